import type { Command } from 'commander';
import { statusReport } from '../status';
import { print, withClient } from './run';

export function registerStatus(program: Command): void {
  program
    .command('status <workflowId>')
    .description('Progress of a report workflow.')
    .action((workflowId: string) =>
      withClient(async (client) => {
        const status = await statusReport(client, workflowId);
        status.lines.forEach((line) => print(line));
        if (status.failed) process.exitCode = 1;
      }),
    );
}
