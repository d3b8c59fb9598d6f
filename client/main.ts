import path from 'node:path';
import { Command } from 'commander';
import { redactSecrets } from '../config/load';
import { connectClient } from './connection';
import { runDemo } from './demo';
import { isUsageError } from './errors';
import { followReport, formatSummary, prepareReport, startReport } from './report';
import { settingsFromEnvironment } from './settings';
import { statusLines } from './status';
import { runWorkerCommand } from './worker';

const print = (line: string) => process.stdout.write(`${line}\n`);

/** Bad input exits 2 with one line; anything else exits 1 with the error's message. */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    let secrets: string[] = [];
    try {
      secrets = settingsFromEnvironment().secrets;
    } catch {
      // Config itself is broken: nothing configured to redact beyond what the message holds.
    }
    process.stderr.write(`difyscope: ${redactSecrets(message, secrets).split('\n').join('\ndifyscope: ')}\n`);
    process.exitCode = isUsageError(error) ? 2 : 1;
  }
}

const program = new Command('difyscope').description('Reports on Dify workflow logs, run by Temporal.').showHelpAfterError();
program.configureOutput({ outputError: (text, write) => write(text) });
program.exitOverride((error) => {
  process.exit(error.exitCode === 0 ? 0 : 2);
});

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

program
  .command('worker')
  .description('Run the worker until SIGINT/SIGTERM.')
  .action(() => run(() => runWorkerCommand(settingsFromEnvironment(), print)));

program
  .command('status <workflowId>')
  .description('Progress of a report workflow.')
  .action((workflowId: string) =>
    run(async () => {
      const settings = settingsFromEnvironment();
      const client = await connectClient(settings);
      try {
        for (const line of await statusLines(client, workflowId)) print(line);
      } finally {
        await client.connection.close();
      }
    }),
  );

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

void program.parseAsync(process.argv);
