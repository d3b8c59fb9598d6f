import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, statfs, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ReportRequest, ReportSummary } from '../common/contracts';
import { startDifyServer, type RecordedRequest, type RunningDifyServer } from '../simulator/dify-server';
import { reportWorkflow } from '../workflows';
import { fixtureEnv, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { bundleFile, startCli, until, type CliProcess } from './helpers/processes';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';

/**
 * Scratch files that go missing, arrive truncated or corrupt, and a disk that fills up, under
 * a real worker PROCESS: each becomes the failure of one activity attempt, with a message
 * naming the file and the cause, and the worker keeps running and finishes the report (and
 * the next one). OUTPUT_DIR is a tiny tmpfs of its own, so "disk full" is a real ENOSPC.
 */

const DAY = DateTime.fromISO('2025-03-01T00:00:00Z', { setZone: true });
const RUNS: FixtureRun[] = Array.from({ length: 260 }, (_, i) => ({
  n: i + 1,
  // Pairs of runs share a second, so paging meets ties too.
  at: DAY.plus({ seconds: 60 + Math.floor(i / 2) * 300 }).toISO() ?? '',
  user: ['ann', 'ben', 'cat'][i % 3] ?? 'ann',
  elapsed: 1,
  tokens: 10 + i,
}));

const isCount = (request: RecordedRequest): boolean => request.path === '/v1/workflows/logs' && request.query.limit === '1';

async function filesNamed(dir: string, prefix: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.startsWith(prefix) && entry.name.endsWith('.ndjson.gz')) found.push(full);
    }
  };
  await walk(dir);
  return found.sort();
}

describe('scratch file faults and a full disk under a real worker process', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let worker: CliProcess;
  let outputDir: string;
  let mounted = false;
  const taskQueue = uniqueTaskQueue('scratch');

  before(async () => {
    env = await startTemporal();
    dify = await startDifyServer({ store: fixtureStore(RUNS), profile: 'cookie' });
    const workDir = await mkdtemp(path.join(tmpdir(), 'difyscope-scratch-'));
    outputDir = path.join(workDir, 'output');
    await mkdir(outputDir);
    // A real small disk: writes beyond it fail with ENOSPC, as on a full volume.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m,mode=0700', 'tmpfs', outputDir]);
    mounted = true;
    const bundle = await bundleFile(workDir);
    worker = startCli(
      ['worker'],
      {
        ...fixtureEnv(dify.url),
        APP_KEY: 'support',
        REPORT_TIMEZONE: 'UTC',
        REPORT_FORMATS: 'csv,json',
        OUTPUT_DIR: outputDir,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        ACTIVITY_HEARTBEAT_TIMEOUT: '5s',
        WORKFLOW_BUNDLE_PATH: bundle,
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'warn',
      },
      workDir,
    );
    await worker.waitFor(/Worker polling task queue/);
  });

  after(async () => {
    await worker?.kill();
    if (mounted) execFileSync('umount', [outputDir]);
    await dify?.close();
    await env?.teardown();
  });

  let counter = 0;
  async function report(tamper?: () => Promise<void>): Promise<{ summary: ReportSummary; failures: string[] }> {
    counter += 1;
    const request: ReportRequest = { app: 'support', from: '2025-03-01', to: '2025-03-01', level: 'details' };
    const start = dify.requests.length;
    if (tamper) dify.hold(isCount);
    const handle = await env.client.workflow.start(reportWorkflow, { taskQueue, workflowId: `scratch-${counter}`, args: [request] });
    if (tamper) {
      // Paging is done and its answers are on disk; the collection has yet to read them back.
      await until(() => dify.requests.slice(start).some(isCount), 'the closing count request is held');
      await tamper();
      dify.release();
    }
    const summary = await handle.result();
    const failures: string[] = [];
    for (const event of (await handle.fetchHistory()).events ?? []) {
      const message = event.activityTaskStartedEventAttributes?.lastFailure?.message;
      if (message) failures.push(message);
    }
    return { summary, failures };
  }

  function assertExact(summary: ReportSummary): void {
    const { completeness } = summary;
    assert.deepEqual([summary.runs, completeness.expected, completeness.fetched, completeness.duplicates, completeness.complete], [260, 260, 260, 0, true]);
  }

  function assertWorkerAlive(): void {
    assert.equal(worker.child.exitCode, null, worker.output());
    assert.equal(worker.child.signalCode, null);
    assert.doesNotMatch(worker.output(), /Unhandled 'error' event|uncaughtException|unhandledRejection/);
  }

  it('an undisturbed report', { timeout: 120_000 }, async () => {
    const { summary, failures } = await report();
    assertExact(summary);
    assert.deepEqual(failures, []);
    assertWorkerAlive();
  });

  it('a missing answer file: that attempt fails naming it (ENOENT), the retry collects afresh', { timeout: 120_000 }, async () => {
    const { summary, failures } = await report(async () => {
      const answers = await filesNamed(outputDir, 'answer-');
      assert.ok(answers.length >= 3);
      await unlink(answers[1] ?? '');
    });
    assertExact(summary);
    assert.equal(failures.length, 1, failures.join('\n'));
    assert.match(failures[0] ?? '', /cannot read .*answer-000002\..*ENOENT/);
    assertWorkerAlive();
  });

  it('a truncated answer file: the attempt fails (unexpected end of file), the retry collects afresh', { timeout: 120_000 }, async () => {
    const { summary, failures } = await report(async () => {
      const answers = await filesNamed(outputDir, 'answer-');
      await truncate(answers[1] ?? '', 200);
    });
    assertExact(summary);
    assert.equal(failures.length, 1, failures.join('\n'));
    assert.match(failures[0] ?? '', /cannot read .*answer-000002\..*unexpected end of file/);
    assertWorkerAlive();
  });

  it('a corrupt answer file: the attempt fails, the retry does not resume from it and collects afresh', { timeout: 120_000 }, async () => {
    const { summary, failures } = await report(async () => {
      const answers = await filesNamed(outputDir, 'answer-');
      await writeFile(answers[0] ?? '', 'this is not gzip at all\n');
    });
    assertExact(summary);
    assert.equal(failures.length, 1, failures.join('\n'));
    assert.match(failures[0] ?? '', /cannot read .*answer-000001\..*(incorrect header check|Z_DATA_ERROR)/);
    assertWorkerAlive();
  });

  it('a full disk: attempts fail with ENOSPC naming the file, and once space is freed the report completes', { timeout: 240_000 }, async () => {
    // Everything but a few KB taken by another file.
    const free = await statfs(outputDir);
    const filler = path.join(outputDir, 'filler.bin');
    await writeFile(filler, Buffer.alloc(Math.max(0, free.bavail * free.bsize - 4096)));
    const request: ReportRequest = { app: 'support', from: '2025-03-01', to: '2025-03-01', level: 'details' };
    const handle = await env.client.workflow.start(reportWorkflow, { taskQueue, workflowId: 'scratch-full-disk', args: [request] });
    let seen = '';
    await until(async () => {
      const description = await handle.describe();
      seen = (description.raw.pendingActivities ?? []).map((activity) => activity.lastFailure?.message ?? '').join('\n');
      return /ENOSPC/.test(seen);
    }, 'an attempt failed for the full disk');
    assert.match(seen, /cannot write .*ENOSPC/);
    assertWorkerAlive();
    await rm(filler);
    const summary = await handle.result();
    assertExact(summary);
    assertWorkerAlive();
  });

  it('the same worker process then serves the next report as if nothing happened', { timeout: 120_000 }, async () => {
    const { summary, failures } = await report();
    assertExact(summary);
    assert.deepEqual(failures, []);
    assertWorkerAlive();
  });
});
