import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { prepareReport, startReport } from '../../client/report';
import { loadSettings, type Settings } from '../../config/load';
import { errorSignature } from '../../reports/errors';
import { startTemporal, uniqueTaskQueue } from '../helpers/temporal';
import { startTestWorker, type RunningWorker } from '../helpers/worker';
import { liveDify, type LiveDify, type SeededRun } from './harness';

/**
 * A whole report of the seeded day, on a real Temporal dev server against the real Dify,
 * with only the settings a user has: URL, app key, app id, console e-mail and password
 * (no DIFY_CONSOLE_AUTH: the login flavour comes from the server's version). Every figure is
 * compared with what seeding recorded.
 */

/** The node a seeded run's branch goes through, by node id (seed.py's workflow graph). */
const BRANCH_NODE: Record<string, string> = { echo: 'http_echo', question: 'http_search', fail_500: 'http_flaky', fail_refused: 'http_down' };

interface ReportJson {
  completeness: { level: string; expected: number; fetched: number; duplicates: number; invalid: number; detailFailures: number; nodeFailures: number; complete: boolean; line: string };
  figures: { runs: number; succeeded: number; failed: number; users: number };
  statusCounts: Record<string, number>;
  nodes: { nodeId: string; nodeType: string; executions: number; failures: number }[];
  errors: { signature: string; node: string; count: number; exampleRunIds: string[] }[];
  latestFailures: { runId: string; userId: string; error: string }[];
}

function count<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('report of the seeded day from a real Dify, with only URL, key, app id, e-mail and password', () => {
  let live: LiveDify;
  let env: TestWorkflowEnvironment;
  let worker: RunningWorker;
  let settings: Settings;

  before(async () => {
    live = await liveDify();
    env = await startTemporal();
    const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-live-report-'));
    settings = loadSettings({ ...live.workflowEnv, OUTPUT_DIR: outputDir, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('live-report') });
    worker = await startTestWorker(env, settings);
  });

  after(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  it('holds exactly the seeded runs, statuses, users, node figures and error signatures', { timeout: 600_000 }, async () => {
    assert.deepEqual(Object.keys(live.workflowEnv).sort(), ['DIFY_API_TOKEN', 'DIFY_APP_ID', 'DIFY_BASE_URL', 'DIFY_CONSOLE_EMAIL', 'DIFY_CONSOLE_PASSWORD']);
    assert.equal(settings.apps[0]?.dify.consoleAuth, 'auto');
    const runs: SeededRun[] = live.seed.workflowRuns;
    const zone = settings.apps[0]?.report.timezone ?? 'UTC';
    const days = runs.map((run) => DateTime.fromSeconds(run.createdAt ?? 0, { zone }).toISODate() ?? '').sort();
    const prepared = prepareReport(settings, { from: days[0] ?? '', to: days[days.length - 1] ?? '' });
    const summary = await (await startReport(env.client, settings, prepared)).result();

    const failed = runs.filter((run) => run.status === 'failed');
    assert.deepEqual(
      { runs: summary.runs, succeeded: summary.succeeded, failed: summary.failed, users: summary.users },
      { runs: runs.length, succeeded: runs.length - failed.length, failed: failed.length, users: new Set(runs.map((run) => run.user)).size },
    );
    assert.equal(summary.completeness.line, `complete: ${runs.length} of ${runs.length} runs fetched, details for all, node executions for all`);

    const report = JSON.parse(await readFile(path.join(summary.folder, 'report.json'), 'utf8')) as ReportJson;
    assert.deepEqual(report.completeness, {
      level: 'nodes',
      expected: runs.length,
      fetched: runs.length,
      duplicates: 0,
      invalid: 0,
      detailFailures: 0,
      nodeFailures: 0,
      complete: true,
      line: summary.completeness.line,
    });
    assert.deepEqual(report.statusCounts, count(runs, (run) => run.status));

    // Node figures: every run passes start and the router, then its branch's HTTP node; only
    // runs that succeeded reach the aggregator and the end.
    const succeeded = runs.filter((run) => run.status === 'succeeded');
    const expectedNodes: Record<string, { executions: number; failures: number }> = {
      start: { executions: runs.length, failures: 0 },
      route: { executions: runs.length, failures: 0 },
      merge: { executions: succeeded.length, failures: 0 },
      end: { executions: succeeded.length, failures: 0 },
    };
    for (const run of runs) {
      const node = BRANCH_NODE[run.branch] ?? `unknown branch ${run.branch}`;
      const entry = (expectedNodes[node] ??= { executions: 0, failures: 0 });
      entry.executions += 1;
      if (run.status === 'failed') entry.failures += 1;
    }
    assert.deepEqual(Object.fromEntries(report.nodes.map((node) => [node.nodeId, { executions: node.executions, failures: node.failures }])), expectedNodes);
    assert.equal(
      report.nodes.reduce((sum, node) => sum + node.executions, 0),
      runs.reduce((sum, run) => sum + (run.totalSteps ?? 0), 0),
    );

    const expectedErrors = count(failed, (run) => errorSignature(run.error ?? ''));
    assert.deepEqual(Object.fromEntries(report.errors.map((error) => [error.signature, error.count])), expectedErrors);
    const failedIds = new Set(failed.map((run) => run.id));
    for (const error of report.errors) for (const id of error.exampleRunIds) assert.ok(failedIds.has(id));
    for (const failure of report.latestFailures) {
      const run = failed.find((candidate) => candidate.id === failure.runId);
      assert.ok(run, `latest failure ${failure.runId} is a seeded failed run`);
      assert.equal(failure.userId, run.user);
      assert.equal(failure.error, run.error?.slice(0, 200));
    }
  });
});
