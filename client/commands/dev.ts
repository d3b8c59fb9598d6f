import path from 'node:path';
import type { Command } from 'commander';
import { runDev } from '../dev';
import { settingsFromEnvironment } from '../settings';
import { print, run } from './run';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('Local Temporal dev server (unless TEMPORAL_ADDRESS is set) + worker + schedules applied, against the configured Dify.')
    .action(() => run(() => runDev(settingsFromEnvironment(), path.resolve('.difyscope'), print)));
}
