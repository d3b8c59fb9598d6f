import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { statusReport } from '../client/status';
import type { ReportRequest, ReportSummary } from '../common/contracts';
import { loadSettings } from '../config/load';
import { generateRuns } from '../simulator/generate';
import { startDifyServer, type RecordedRequest, type RunningDifyServer } from '../simulator/dify-server';
import { reportWorkflow } from '../workflows';
import { FIXTURE_APP_ID, FIXTURE_CONSOLE, FIXTURE_TOKEN, fixtureEnv } from './fixtures/store-builder';
import { bundleFile, pendingHeartbeats, startCli, until, type CliProcess } from './helpers/processes';
import { startSmtpServer, type TestSmtpServer, emailToTestServer } from './helpers/smtp';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker } from './helpers/worker';
import { recordHistory } from './helpers/history';

/**
 * The worker PROCESS is killed with SIGKILL at five points of real reports (mid-paging,
 * mid-details, mid-render, mid-send, mid-paging of a sharded week) and a new one is started:
 * each report comes out identical to an undisturbed run, every notification arrives once,
 * and what was done before the kill is not fetched again. Kill points are reached by holding
 * the simulator's (or the SMTP server's, or a FIFO's) answers, never by hooks in the code.
 */

const HEARTBEAT_TIMEOUT = '5s';
/** Runs per detail chunk in activities/collect-details.ts: the detail kill comes right after the first chunk. */
const DETAIL_CHUNK = 250;
const isLogs = (request: RecordedRequest): boolean => request.path === '/v1/workflows/logs';
const isDetail = (request: RecordedRequest): boolean => request.path.startsWith('/v1/workflows/run/');
const keyOf = (request: RecordedRequest): string => `${request.method} ${request.path}?${new URLSearchParams(request.query).toString()}`;

interface Scenario {
  name: string;
  request: ReportRequest;
  /** Sets up the pause; resolves once the worker is held at the kill point. */
  reach(): Promise<void>;
  /** Whether the step in progress reports its progress by heartbeat (collection). */
  waitForHeartbeat: boolean;
  /** Undoes the pause after the kill. */
  resume(): Promise<void>;
  /** Requests that must not be answered twice. */
  counted?: (request: RecordedRequest) => boolean;
}

/** Every file of a report folder, generation time removed and gzip opened, by relative path. */
async function folderContents(folder: string): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  const year = String(new Date().getUTCFullYear());
  const stamp = new RegExp(`${year}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?(Z|[+-]\\d\\d:?\\d\\d)?`, 'g');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const raw = await readFile(full);
        let text = entry.name.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
        // Raw records keep the order Dify served them in, which for runs of the same second is
        // Dify's (PostgreSQL's) choice on each request: compared as sets of lines.
        if (entry.name.endsWith('.ndjson.gz')) text = text.split('\n').sort().join('\n');
        contents.set(path.relative(folder, full), text.replace(stamp, '<generated>'));
      }
    }
  };
  await walk(folder);
  return contents;
}

describe('the worker process killed mid-report', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let smtp: TestSmtpServer;
  let baselineSmtp: TestSmtpServer;
  let workDir: string;
  let bundle: string;
  let worker: CliProcess | undefined;

  before(async () => {
    env = await startTemporal();
    const logs = generateRuns({ date: '2025-03-01', timezone: 'UTC', days: 16, runs: 16 * 300, appId: FIXTURE_APP_ID, apiToken: FIXTURE_TOKEN, consoleUser: FIXTURE_CONSOLE });
    dify = await startDifyServer({
      store: { apps: [{ id: FIXTURE_APP_ID, name: 'Fixture app', mode: 'workflow', apiToken: FIXTURE_TOKEN, status: 'normal', enableApi: true, logs }], consoleUsers: [{ id: '66666666-0000-4000-8000-000000000001', name: 'Ops', ...FIXTURE_CONSOLE }] },
      profile: 'tokenpair',
    });
    smtp = await startSmtpServer();
    baselineSmtp = await startSmtpServer();
    workDir = await mkdtemp(path.join(tmpdir(), 'difyscope-kill-'));
    bundle = await bundleFile(workDir);
  });

  after(async () => {
    await worker?.kill();
    await dify?.close();
    await smtp?.close();
    await baselineSmtp?.close();
    await env?.teardown();
  });

  it('five kill points: identical reports, one notification each, nothing done fetched again', { timeout: 900_000 }, async (t) => {
    const settingsEnv = (outputDir: string, taskQueue: string, mail: TestSmtpServer): Record<string, string> => ({
      ...fixtureEnv(dify.url),
      APP_KEY: 'support',
      REPORT_TIMEZONE: 'UTC',
      OUTPUT_DIR: outputDir,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ACTIVITY_HEARTBEAT_TIMEOUT: HEARTBEAT_TIMEOUT,
      ...emailToTestServer(mail, 'Difyscope <difyscope@example.com>'),
    });
    const requestsFrom = (start: number): RecordedRequest[] => dify.requests.slice(start);

    let fifo: FileHandle | undefined;
    const killedOut = path.join(workDir, 'killed');
    const scenarios: Scenario[] = [
      {
        name: 'mid-paging',
        request: { app: 'support', from: '2025-03-03', to: '2025-03-03', level: 'logs', notify: true },
        waitForHeartbeat: true,
        counted: isLogs,
        reach: async () => {
          const start = dify.requests.length;
          dify.hold((request) => isLogs(request) && requestsFrom(start).filter(isLogs).length > 2);
          await until(() => requestsFrom(start).filter(isLogs).length > 2, 'the third log page is asked for');
        },
        resume: async () => dify.release(),
      },
      {
        name: 'mid-details',
        request: { app: 'support', from: '2025-03-05', to: '2025-03-05', level: 'details', notify: true },
        waitForHeartbeat: true,
        counted: isDetail,
        reach: async () => {
          const start = dify.requests.length;
          dify.hold((request) => isDetail(request) && requestsFrom(start).filter(isDetail).length > DETAIL_CHUNK);
          await until(() => requestsFrom(start).filter(isDetail).length > DETAIL_CHUNK, 'the first detail of the second chunk is asked for');
        },
        resume: async () => dify.release(),
      },
      {
        name: 'mid-render',
        request: { app: 'support', from: '2025-03-07', to: '2025-03-07', level: 'logs', notify: true },
        waitForHeartbeat: false,
        reach: async () => {
          // The previous day's report.json is a FIFO: rendering blocks reading it until killed.
          const previous = path.join(killedOut, 'support', 'range', '2025-03-06');
          await mkdir(previous, { recursive: true });
          execFileSync('mkfifo', [path.join(previous, 'report.json')]);
          await until(async () => {
            try {
              fifo = await open(path.join(previous, 'report.json'), constants.O_WRONLY | constants.O_NONBLOCK);
              return true;
            } catch {
              return false;
            }
          }, 'rendering opens the previous report');
        },
        resume: async () => {
          await fifo?.close();
          await rm(path.join(killedOut, 'support', 'range', '2025-03-06'), { recursive: true, force: true });
        },
      },
      {
        name: 'mid-send',
        request: { app: 'support', from: '2025-03-11', to: '2025-03-11', level: 'logs', notify: true },
        waitForHeartbeat: false,
        reach: async () => {
          smtp.hold();
          await until(() => smtp.heldCount > 0, 'the e-mail is sent and waits for its acknowledgement');
        },
        resume: async () => smtp.dropHeld(),
      },
      {
        name: 'mid-paging of a sharded week',
        request: { app: 'support', from: '2025-03-10', to: '2025-03-16', level: 'logs', notify: true },
        waitForHeartbeat: true,
        counted: isLogs,
        reach: async () => {
          const start = dify.requests.length;
          dify.hold((request) => isLogs(request) && requestsFrom(start).filter(isLogs).length > 6);
          await until(() => requestsFrom(start).filter(isLogs).length > 6, 'seven log pages of the shards are asked for');
        },
        resume: async () => dify.release(),
      },
    ];
    const workflowId = (scenario: Scenario): string => `kill/${scenario.request.from}_${scenario.request.to}`;

    // The undisturbed runs, in the same order (each report reads the earlier ones' users).
    const baselineOut = path.join(workDir, 'baseline');
    const baselineQueue = uniqueTaskQueue('kill-baseline');
    const baselineWorker = await startTestWorker(env, loadSettings(settingsEnv(baselineOut, baselineQueue, baselineSmtp)));
    const baseline = new Map<string, ReportSummary>();
    const baselineCounts = new Map<string, number>();
    try {
      for (const scenario of scenarios) {
        const start = dify.requests.length;
        const summary = await env.client.workflow.execute(reportWorkflow, { taskQueue: baselineQueue, workflowId: `baseline/${workflowId(scenario)}`, args: [scenario.request] });
        baseline.set(scenario.name, summary);
        baselineCounts.set(scenario.name, requestsFrom(start).filter((request) => request.status !== 0).length);
      }
    } finally {
      await baselineWorker.stop();
    }
    assert.equal(baselineSmtp.messages.length, scenarios.length);

    const queue = uniqueTaskQueue('kill');
    const startWorker = async (): Promise<CliProcess> => {
      const process = startCli(['worker'], { ...settingsEnv(killedOut, queue, smtp), WORKFLOW_BUNDLE_PATH: bundle, LOG_FORMAT: 'json', LOG_LEVEL: 'warn' }, workDir);
      await process.waitFor(/Worker polling task queue/);
      return process;
    };
    worker = await startWorker();
    for (const scenario of scenarios) {
      const start = dify.requests.length;
      const handle = await env.client.workflow.start(reportWorkflow, { taskQueue: queue, workflowId: workflowId(scenario), args: [scenario.request] });
      await scenario.reach().catch((error: unknown) => {
        throw new Error(`${String(error)}\nworker output:\n${worker?.output() ?? ''}`);
      });
      if (scenario.waitForHeartbeat) {
        // Kill only once Temporal has the latest progress: a heartbeat recorded after the pause began.
        const paused = Date.now();
        await until(async () => {
          const beats = await pendingHeartbeats(env.client, handle);
          return beats.length > 0 && beats.every((beat) => beat.lastHeartbeat !== undefined && beat.lastHeartbeat > paused);
        }, `${scenario.name}: progress recorded by heartbeat`);
      }
      if (scenario.name === 'mid-paging') {
        // `difyscope status` of a running report shows the live counts of the step in progress.
        const status = await statusReport(env.client, handle.workflowId);
        assert.ok(status.lines.some((line) => /^ {2}running: collectLogs \(attempt 1\): .*\d/.test(line)), status.lines.join('\n'));
        t.diagnostic(`status while paging: ${status.lines.join(' | ')}`);
      }
      await worker.kill();
      const answeredBefore = requestsFrom(start).filter((request) => request.status !== 0 && (scenario.counted?.(request) ?? false));
      const killedAt = dify.requests.length;
      await scenario.resume();
      worker = await startWorker();
      const summary = await handle.result();

      if (process.env.RECORD_HISTORY && scenario.name === 'mid-details') await recordHistory(handle, 'report-worker-killed-mid-details');

      const expected = baseline.get(scenario.name);
      assert.ok(expected);
      assert.equal(summary.runs, expected.runs, scenario.name);
      assert.deepEqual(summary.completeness, expected.completeness, scenario.name);
      const [want, got] = await Promise.all([folderContents(expected.folder), folderContents(summary.folder)]);
      assert.ok(want.size >= 5, `${scenario.name}: ${[...want.keys()].join(', ')}`);
      assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), scenario.name);
      const differing = [...want].filter(([file, content]) => got.get(file) !== content).map(([file]) => file);
      assert.deepEqual(differing, [], `${scenario.name}: files differ from the undisturbed run`);

      const before = new Set(answeredBefore.map(keyOf));
      const again = requestsFrom(killedAt).filter((request) => request.status !== 0 && before.has(keyOf(request)));
      const answered = requestsFrom(start).filter((request) => request.status !== 0).length;
      t.diagnostic(`${scenario.name}: ${before.size} requests answered before the kill, ${again.length} of them again after; ${answered} answered in all (undisturbed: ${baselineCounts.get(scenario.name)})`);
      assert.equal(again.length, 0, `${scenario.name}: asked again after the kill: ${again.map(keyOf).slice(0, 5).join(', ')}`);
      if (scenario.counted) assert.ok(before.size > 0, `${scenario.name}: nothing was done before the kill`);
    }

    // One e-mail per report, the one held at the kill included: never two.
    assert.equal(smtp.messages.length, scenarios.length, smtp.messages.map((message) => message.parsed.subject).join('\n'));
    assert.equal(new Set(smtp.messages.map((message) => message.parsed.subject)).size, scenarios.length);
    await worker.kill();
    worker = undefined;
  });

  it('SIGTERM mid-request: after the grace time the step is cancelled, the worker exits 0, the next one completes the report', { timeout: 240_000 }, async () => {
    const queue = uniqueTaskQueue('sigterm');
    const workerEnv = {
      ...fixtureEnv(dify.url),
      APP_KEY: 'support',
      REPORT_TIMEZONE: 'UTC',
      OUTPUT_DIR: path.join(workDir, 'sigterm'),
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: queue,
      ACTIVITY_HEARTBEAT_TIMEOUT: HEARTBEAT_TIMEOUT,
      WORKFLOW_BUNDLE_PATH: bundle,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
    };
    worker = startCli(['worker'], workerEnv, workDir);
    await worker.waitFor(/Worker polling task queue/);
    const start = dify.requests.length;
    const logsSince = (): RecordedRequest[] => dify.requests.slice(start).filter(isLogs);
    dify.hold((request) => isLogs(request) && logsSince().length > 1);
    const handle = await env.client.workflow.start(reportWorkflow, { taskQueue: queue, workflowId: 'sigterm/2025-03-12', args: [{ app: 'support', from: '2025-03-12', to: '2025-03-12', level: 'logs' }] });
    await until(() => logsSince().length > 1, 'the second log page is asked for');

    worker.child.kill('SIGTERM');
    // Exit 0 means the shutdown completed: the step handed back when cancelled, before the force time.
    assert.equal(await worker.exited, 0, worker.output());
    dify.release();
    const held = logsSince()[1];
    assert.equal(held?.status, 0, 'the cancelled request was never answered');

    worker = startCli(['worker'], workerEnv, workDir);
    await worker.waitFor(/Worker polling task queue/);
    const summary = await handle.result();
    assert.equal(summary.completeness.complete, true, summary.completeness.line);
    assert.equal(summary.runs, 387);
    await worker.kill();
    worker = undefined;
  });
});
