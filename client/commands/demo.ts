import path from 'node:path';
import type { Command } from 'commander';
import { runDemo } from '../demo';
import { print, run } from './run';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Local Temporal dev server + simulated Dify + worker + one report of a generated day.')
    .option('--exit', 'exit after the report instead of keeping the Web UI up')
    .action((options: { exit?: boolean }) =>
      run(async () => {
        await runDemo({
          keepRunning: options.exit !== true && process.stdout.isTTY === true && !process.env.CI,
          stateDir: path.resolve('.difyscope'),
          outputDir: process.env.OUTPUT_DIR ?? './outputs',
          log: print,
        });
      }),
    );
}
