import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings, type Settings } from '../config/load';
import { prepareReport, startReport } from '../client/report';
import { openStore, type ObjectStore } from '../activities/store';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { fixtureEnv, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { startS3Server, type S3Server } from './helpers/s3-server';
import { startSmtpServer, type TestSmtpServer, emailToTestServer } from './helpers/smtp';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';

const CLI = path.join(__dirname, '..', 'bin', 'difyscope.js');

/** 12 runs in the week of 2025-02-24 and 30 in the week of 2025-03-03 (Asia/Shanghai), 5 users. */
function weekRuns(first: number, count: number, monday: string): FixtureRun[] {
  return Array.from({ length: count }, (_, index) => {
    const day = index % 7;
    const hour = String(8 + (index % 12)).padStart(2, '0');
    const date = new Date(Date.parse(`${monday}T00:00:00Z`) + day * 86_400_000).toISOString().slice(0, 10);
    const failed = index % 6 === 5;
    return {
      n: first + index,
      at: `${date}T${hour}:00:${String(index % 60).padStart(2, '0')}+08:00`,
      user: `user-${index % 5}`,
      elapsed: 1 + (index % 3),
      tokens: failed ? 0 : 10 * (index + 1),
      ...(failed ? { status: 'failed' as const, error: 'Timeout after 30s' } : {}),
    };
  });
}
const WEEK1 = weekRuns(1, 12, '2025-02-24');
const WEEK2 = weekRuns(100, 30, '2025-03-03');

function expected(runs: FixtureRun[]) {
  const failed = runs.filter((run) => run.status === 'failed').length;
  return { runs: runs.length, succeeded: runs.length - failed, failed, users: new Set(runs.map((run) => run.user)).size, totalTokens: runs.reduce((sum, run) => sum + run.tokens, 0) };
}

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
}

/**
 * Several worker processes on one task queue, each with its own scratch folder, sharing a real
 * S3-compatible store: week reports exact; one worker stopped (SIGTERM) and another killed
 * (SIGKILL) mid-report, a third started in their place finishes it exactly, one e-mail each.
 */
describe('several worker processes sharing an S3-compatible store', () => {
  let env: TestWorkflowEnvironment;
  let s3: S3Server;
  let dify: RunningDifyServer;
  let smtp: TestSmtpServer;
  let store: ObjectStore;
  let settings: Settings;
  let variables: Record<string, string>;
  const workers: WorkerProcess[] = [];

  async function startWorker(name: string): Promise<WorkerProcess> {
    const scratch = mkdtempSync(path.join(tmpdir(), `difyscope-${name}-`));
    const child = spawn(process.execPath, [CLI, 'worker'], { env: { PATH: process.env.PATH ?? '', HOME: scratch, ...variables, OUTPUT_DIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const worker = { name, child, output: () => output };
    workers.push(worker);
    for (let tries = 0; !output.includes('Worker polling'); tries += 1) {
      if (child.exitCode !== null || tries > 1200) throw new Error(`worker ${name} did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return worker;
  }

  before(async () => {
    s3 = await startS3Server();
    env = await startTemporal();
    smtp = await startSmtpServer();
    dify = await startDifyServer({ store: fixtureStore([...WEEK1, ...WEEK2]), profile: 'cookie' });
    variables = {
      ...fixtureEnv(dify.url),
      ...s3.env(`multi-${process.pid}`),
      APP_KEY: 'support',
      REPORT_TIMEZONE: 'Asia/Shanghai',
      OUTPUT_DIR: mkdtempSync(path.join(tmpdir(), 'difyscope-client-')),
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('multi'),
      // One request at a time, and a dead worker's step noticed within seconds.
      DIFY_CONCURRENCY: '1',
      ACTIVITY_HEARTBEAT_TIMEOUT: '5s',
      ...emailToTestServer(smtp),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
    };
    settings = loadSettings(variables);
    assert.ok(settings.storage);
    store = openStore(settings.storage, 0o600);
    await Promise.all([startWorker('a'), startWorker('b')]);
  });
  after(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    store?.close();
    await dify?.close();
    await smtp?.close();
    await env?.teardown();
    await s3?.close();
  });

  it('two workers: a week report exact, published in the store, one e-mail', { timeout: 240_000 }, async () => {
    const summary = await (await startReport(env.client, settings, prepareReport(settings, { from: '2025-02-24', to: '2025-03-02', notify: true }))).result();
    assert.deepEqual({ runs: summary.runs, succeeded: summary.succeeded, failed: summary.failed, users: summary.users, totalTokens: summary.totalTokens }, expected(WEEK1));
    assert.equal(summary.completeness.complete, true);
    assert.equal(smtp.messages.length, 1);
    const report = JSON.parse((await store.get('support/range/2025-02-24_2025-03-02/report.json'))?.toString() ?? '{}') as { figures?: { runs?: number } };
    assert.equal(report.figures?.runs, WEEK1.length);
  });

  it('one worker stopped and the other killed mid-report: a new worker finishes it exactly, nothing sent twice', { timeout: 300_000 }, async (t: TestContext) => {
    // Pause at the 12th run detail of the week, so both workers are stopped mid-collection.
    let details = 0;
    dify.hold((request) => request.path.startsWith('/v1/workflows/run/') && ++details === 12);
    const handle = await startReport(env.client, settings, prepareReport(settings, { from: '2025-03-03', to: '2025-03-09', notify: true }));
    for (let tries = 0; details < 12; tries += 1) {
      if (tries > 2400) throw new Error('the report never reached the 12th run detail');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [a, b] = workers as [WorkerProcess, WorkerProcess];
    const stopped = new Promise((resolve) => a.child.once('exit', resolve));
    const killed = new Promise((resolve) => b.child.once('exit', resolve));
    a.child.kill('SIGTERM');
    b.child.kill('SIGKILL');
    const replacedAt = Date.now();
    // The held request stays unanswered until both are gone: the stopped worker cannot finish the step in its grace time.
    await Promise.all([stopped, killed]);
    dify.release();
    assert.equal(b.child.signalCode, 'SIGKILL');
    const goneAt = Date.now();
    await startWorker('c');
    const startedAt = Date.now();
    const summary = await handle.result();
    const done = Date.now();
    t.diagnostic(
      `report finished ${((done - replacedAt) / 1000).toFixed(1)} s after SIGTERM/SIGKILL (the stopped worker took ${((goneAt - replacedAt) / 1000).toFixed(1)} s to exit); ` +
        `the replacement worker took ${((done - startedAt) / 1000).toFixed(1)} s from polling to the finished report`,
    );

    assert.deepEqual({ runs: summary.runs, succeeded: summary.succeeded, failed: summary.failed, users: summary.users, totalTokens: summary.totalTokens }, expected(WEEK2));
    assert.equal(summary.completeness.complete, true);
    assert.equal(summary.completeness.fetched, WEEK2.length);
    // One e-mail per report: the first week's and this one.
    assert.equal(smtp.messages.length, 2);
    // A notify step retried after its e-mail went out finds it in the shared ledger: 'already-sent', never a second e-mail.
    assert.equal((summary.notifications ?? []).length, 1);
    assert.ok(['sent', 'already-sent'].includes(summary.notifications?.[0]?.status ?? ''), JSON.stringify(summary.notifications));
    const report = JSON.parse((await store.get('support/range/2025-03-03_2025-03-09/report.json'))?.toString() ?? '{}') as { figures?: { runs?: number }; changes?: unknown };
    assert.equal(report.figures?.runs, WEEK2.length);
    assert.ok(report.changes, 'compared with the first week, rendered by another worker');
    // The collection really moved between workers: some step ran more than one attempt.
    // Collection may run in child workflows (shards): look through theirs too.
    const histories = [await handle.fetchHistory()];
    for (const event of histories[0]?.events ?? []) {
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId) histories.push(await env.client.workflow.getHandle(child.workflowId, child.runId ?? undefined).fetchHistory());
    }
    const retried = histories.some((history) => (history.events ?? []).some((event) => (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1));
    assert.ok(retried, 'a step was retried on the replacement worker');
  });
});
