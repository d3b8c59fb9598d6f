import type { Command } from 'commander';
import { settingsFromEnvironment } from '../settings';
import { runWorkerCommand } from '../worker';
import { print, run } from './run';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run the worker until SIGINT/SIGTERM.')
    .action(() => run(() => runWorkerCommand(settingsFromEnvironment(), print)));
}
