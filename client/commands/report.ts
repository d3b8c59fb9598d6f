import type { Command } from 'commander';
import { connectClient } from '../connection';
import { followReport, formatSummary, prepareReport, startReport } from '../report';
import { settingsFromEnvironment } from '../settings';
import { print, run } from './run';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Report on an ad-hoc range: dates are whole local days (--to inclusive); ISO timestamps with offset are exact [from, to) bounds.')
    .requiredOption('--from <date>', 'first day (YYYY-MM-DD) or start timestamp')
    .requiredOption('--to <date>', 'last day, inclusive (YYYY-MM-DD) or exclusive end timestamp')
    .option('--app <key>', 'app key from the configuration (default: the first app)')
    .option('--level <level>', 'logs, details or nodes')
    .option('--formats <list>', 'comma list of csv,md,json,html')
    .option('--locale <locale>', 'en or zh-CN')
    .option('--notify', 'send notifications when done')
    .option('--no-wait', 'print the workflow id and return at once')
    .action((options: { from: string; to: string; app?: string; level?: string; formats?: string; locale?: string; notify?: boolean; wait: boolean }) =>
      run(async () => {
        const settings = settingsFromEnvironment();
        const prepared = prepareReport(settings, options);
        const client = await connectClient(settings);
        try {
          const handle = await startReport(client, settings, prepared);
          print(`Workflow ${prepared.workflowId} (run ${handle.firstExecutionRunId})`);
          if (!options.wait) return;
          const summary = await followReport(handle, print, process.stdout.isTTY === true);
          for (const line of formatSummary(summary)) print(line);
        } finally {
          await client.connection.close();
        }
      }),
    );
}
