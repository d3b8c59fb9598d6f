import path from 'node:path';
import { Command } from 'commander';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { ConfigError, redactSecrets } from '../config/load';
import { connectClient } from './connection';
import { runDemo } from './demo';
import { runDev } from './dev';
import { runSimulator } from './simulate';
import { runChecks } from './check';
import { configurationProblems } from './check-config';
import { rerenderReport } from './rerender';
import { sendTestMessages } from '../activities/notify';
import { isUsageError, UsageError } from './errors';
import { followReport, formatSummary, prepareReport, startReport } from './report';
import { settingsFromEnvironment } from './settings';
import { statusReport } from './status';
import { applySchedules, backfillSchedule, describeSchedule, listSchedules, resolveScheduleId } from './schedules';
import { runWorkerCommand } from './worker';
import { runCodecServerCommand } from './codec-server';

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

/** Runs `work` with a Temporal client built from the environment's settings. */
function withClient(work: (client: Awaited<ReturnType<typeof connectClient>>, settings: ReturnType<typeof settingsFromEnvironment>) => Promise<void>): Promise<void> {
  return run(async () => {
    const settings = settingsFromEnvironment();
    const client = await connectClient(settings);
    try {
      await work(client, settings);
    } finally {
      await client.connection.close();
    }
  });
}

const schedules = program.command('schedules').description('Daily and weekly report schedules, from the configuration.');
schedules
  .command('apply')
  .description('Create or update the schedules of every configured app (idempotent).')
  .option('--prune', 'delete difyscope schedules of apps no longer configured')
  .action((options: { prune?: boolean }) =>
    withClient(async (client, settings) => {
      for (const result of await applySchedules(client, settings, { prune: options.prune === true })) print(`${result.outcome.padEnd(10)} ${result.id}`);
    }),
  );
schedules
  .command('list')
  .description('Every difyscope schedule: next run in local time, state, last result.')
  .action(() => withClient(async (client, settings) => (await listSchedules(client, settings)).forEach((line) => print(line))));
schedules
  .command('describe <appOrId> [kind]')
  .description('One schedule in detail (give difyscope/<app>/<kind>, or the app key and daily|weekly).')
  .action((appOrId: string, kind: string | undefined) =>
    withClient(async (client, settings) => (await describeSchedule(client, resolveScheduleId(settings, appOrId, kind))).forEach((line) => print(line))),
  );
for (const [name, verb] of [
  ['pause', 'Pause'],
  ['resume', 'Resume'],
] as const) {
  schedules
    .command(`${name} <appOrId> [kind]`)
    .description(`${verb} a schedule, with a note that the Web UI shows.`)
    .option('--note <text>', 'why')
    .action((appOrId: string, kind: string | undefined, options: { note?: string }) =>
      withClient(async (client, settings) => {
        const id = resolveScheduleId(settings, appOrId, kind);
        const handle = client.schedule.getHandle(id);
        if (name === 'pause') await handle.pause(options.note ?? 'paused with difyscope schedules pause');
        else await handle.unpause(options.note ?? 'resumed with difyscope schedules resume');
        print(`${name === 'pause' ? 'paused' : 'resumed'} ${id}`);
      }),
    );
}
schedules
  .command('trigger <appOrId> [kind]')
  .description('Run a schedule now (reports the period before now; waits behind a running one).')
  .action((appOrId: string, kind: string | undefined) =>
    withClient(async (client, settings) => {
      const id = resolveScheduleId(settings, appOrId, kind);
      // The SDK's default would allow overlap; a trigger queues behind a running report like any scheduled run.
      await client.schedule.getHandle(id).trigger(ScheduleOverlapPolicy.BUFFER_ALL);
      print(`triggered ${id}`);
    }),
  );
schedules
  .command('backfill <appOrId> [kind]')
  .description('Report every period covering the local dates --from..--to (inclusive), each once, queued in order.')
  .requiredOption('--from <date>', 'first date (YYYY-MM-DD)')
  .requiredOption('--to <date>', 'last date (YYYY-MM-DD)')
  .action((appOrId: string, kind: string | undefined, options: { from: string; to: string }) =>
    withClient(async (client, settings) => {
      const id = resolveScheduleId(settings, appOrId, kind);
      const range = await backfillSchedule(client, id, options.from, options.to);
      print(`backfilling ${id}: scheduled times ${range.start.toISOString()} → ${range.end.toISOString()}`);
    }),
  );
schedules
  .command('delete <appOrId> [kind]')
  .description('Delete a schedule (running reports are not affected).')
  .action((appOrId: string, kind: string | undefined) =>
    withClient(async (client, settings) => {
      const id = resolveScheduleId(settings, appOrId, kind);
      await client.schedule.getHandle(id).delete();
      print(`deleted ${id}`);
    }),
  );

program
  .command('check')
  .description('Validate the configuration and try every connection, one line per check.')
  .action(() =>
    run(async () => {
      let settings;
      try {
        settings = settingsFromEnvironment();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
      }
      // Everything the worker would refuse, in one pass, before any connection is tried.
      const problems = configurationProblems(process.env);
      if (settings === undefined || problems.length > 0) {
        for (const line of problems) print(`✗ Configuration: ${line}`);
        process.exitCode = 2;
        return;
      }
      const results = await runChecks(settings);
      for (const result of results) print(`${result.ok ? '✓' : '✗'} ${result.name}: ${result.detail}`);
      if (results.some((result) => !result.ok)) process.exitCode = results.some((result) => !result.ok && result.badInput) ? 2 : 1;
    }),
  );

program
  .command('rerender')
  .argument('<folder>', 'a report folder under OUTPUT_DIR, e.g. outputs/support/daily/2025-03-09')
  .description('Render a report again from the raw records in its folder (another locale or formats, or after an upgrade); asks neither Dify nor Temporal.')
  .option('--locale <locale>', 'en or zh-CN (default: the app\'s REPORT_LOCALE)')
  .option('--formats <list>', 'comma list of csv,md,json,html (default: the app\'s REPORT_FORMATS)')
  .action((folder: string, options: { locale?: string; formats?: string }) =>
    run(async () => {
      const summary = await rerenderReport(settingsFromEnvironment(), folder, options);
      print(`Re-rendered ${summary.folder}: ${summary.files.join(', ')}`);
      print(summary.completeness.line);
    }),
  );

program
  .command('notify')
  .description('Notification channels.')
  .option('--test', 'send a test message to each configured channel')
  .action((options: { test?: boolean }) =>
    run(async () => {
      if (!options.test) throw new UsageError('notify: nothing to do; use --test to send a test message to each configured channel');
      const results = await sendTestMessages(settingsFromEnvironment());
      if (results.length === 0) throw new UsageError('NOTIFY_CHANNELS: no channel is configured; set SMTP_*, DINGTALK_WEBHOOK or WEBHOOK_URL');
      for (const result of results) print(`${result.ok ? '✓' : '✗'} ${result.channel.padEnd(8)} ${result.detail}`);
      if (results.some((result) => !result.ok)) process.exitCode = 1;
    }),
  );

program
  .command('worker')
  .description('Run the worker until SIGINT/SIGTERM.')
  .action(() => run(() => runWorkerCommand(settingsFromEnvironment(), print)));

program
  .command('codec-server')
  .description('Serve /encode and /decode for the Temporal Web UI, so it shows payloads encrypted with DIFYSCOPE_ENCRYPTION_KEY.')
  .option('--port <port>', 'port (default: CODEC_SERVER_PORT)')
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .action((options: { port?: string; host: string }) =>
    run(async () => {
      const port = options.port === undefined ? undefined : Number(options.port);
      if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new UsageError(`--port: "${options.port}" is not a port number (1-65535)`);
      await runCodecServerCommand(settingsFromEnvironment(), { port, host: options.host }, print);
    }),
  );

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

program
  .command('dev')
  .description('Local Temporal dev server (unless TEMPORAL_ADDRESS is set) + worker + schedules applied, against the configured Dify.')
  .action(() => run(() => runDev(settingsFromEnvironment(), path.resolve('.difyscope'), print)));

program
  .command('simulate')
  .description('Serve a simulated Dify with generated runs of the last days, to try every command without a Dify.')
  .option('--port <port>', 'port to listen on', '5001')
  .option('--days <days>', 'days of runs, ending yesterday', '14')
  .option('--runs-per-day <runs>', 'runs per day', '240')
  .option('--timezone <zone>', 'time zone of the days', process.env.REPORT_TIMEZONE ?? 'Asia/Shanghai')
  .option('--profile <era>', 'Dify era: legacy, tokenpair, cookie, cookie-host, cookie-base64, or 1.14.1 (as recorded from the real server)', 'cookie-base64')
  .action((options: { port: string; days: string; runsPerDay: string; timezone: string; profile: string }) =>
    run(() =>
      runSimulator({ port: Number(options.port), days: Number(options.days), runsPerDay: Number(options.runsPerDay), timezone: options.timezone, profile: options.profile }, print),
    ),
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
