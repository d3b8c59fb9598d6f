import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings } from '../config/load';
import { DifyClient } from '../activities/dify/client';
import { PROFILES, startDifyServer, type EraProfileName } from '../simulator/dify-server';
import { prepareReport, startReport } from '../client/report';
import { fixtureEnv, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker } from './helpers/worker';

/**
 * The sharded week report on a real Temporal server, against a simulated Dify that returns
 * tied runs in a new order on every request (as PostgreSQL does), fails 5 % of requests and
 * ends console sessions after a few requests: in every login era the report holds every run
 * of the week exactly once. Bursts of 120 and 101 runs share one second (more than a page of
 * 100), others 30; plenty of ordinary runs around them; runs just outside the week stay out.
 */

const WEEK_START = DateTime.fromISO('2025-02-26T00:00:00+08:00', { setZone: true });
const WEEK_END = WEEK_START.plus({ days: 7 });
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

function weekRuns(): { runs: FixtureRun[]; inWeek: number } {
  const at: DateTime[] = [];
  const burst = (when: DateTime, count: number): void => {
    for (let n = 0; n < count; n += 1) at.push(when);
  };
  burst(WEEK_START.plus({ days: 1, hours: 9, minutes: 30 }), 120);
  burst(WEEK_START.plus({ days: 3, hours: 14 }), 101);
  burst(WEEK_START.plus({ days: 3, hours: 14, seconds: -1 }), 30);
  burst(WEEK_START.plus({ days: 5, hours: 23, minutes: 59, seconds: 59 }), 30); // a shard's last second
  burst(WEEK_START.plus({ days: 6 }), 30); // the next shard's first second
  for (let n = 0; n < 180; n += 1) at.push(WEEK_START.plus({ minutes: 7 + n * 53, seconds: n % 4 === 0 ? 0 : n })); // ordinary runs
  burst(WEEK_START, 12); // the week's first second
  burst(WEEK_END, 9); // the next week's
  burst(WEEK_START.minus({ seconds: 1 }), 9); // the last week's
  const runs = at.map((when, i) => ({
    n: i + 1,
    at: when.toISO() ?? '',
    user: USERS[i % USERS.length] ?? 'alice',
    status: i % 13 === 0 ? ('failed' as const) : ('succeeded' as const),
    elapsed: 1 + (i % 5),
    tokens: 50 + i,
  }));
  const inWeek = at.filter((when) => when >= WEEK_START && when < WEEK_END).length;
  return { runs, inWeek };
}

describe('the sharded week report with tied seconds reordered per request, 5 % faults and short console sessions', () => {
  let env: TestWorkflowEnvironment;

  before(async () => {
    env = await startTemporal();
  });
  after(async () => {
    await env?.teardown();
  });

  for (const profile of Object.keys(PROFILES) as EraProfileName[]) {
    it(`${profile}: every run of the week once (0 lost, 0 doubled)`, { timeout: 300_000 }, async () => {
      const { runs, inWeek } = weekRuns();
      const dify = await startDifyServer({ store: fixtureStore(runs), profile, tieSeed: 13 });
      const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-tied-'));
      const settings = loadSettings({
        ...fixtureEnv(dify.url),
        DIFY_REQUEST_TIMEOUT_MS: '2000',
        DIFY_MAX_RETRIES: '8',
        APP_KEY: 'support',
        REPORT_TIMEZONE: 'Asia/Shanghai',
        REPORT_FORMATS: 'csv,json',
        OUTPUT_DIR: outputDir,
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue('tied'),
      });
      const worker = await startTestWorker(env, settings, {
        createDifyClient: (app, secrets) => new DifyClient({ ...app.dify, secrets: [...secrets], retryBaseDelayMs: 5 }),
      });
      try {
        // 5 % of requests fail: every 40th a 502, every 40th (offset) a reset connection.
        dify.setFaults({ serverErrorEvery: 40, serverErrorStatus: 502, resetEvery: 41, expireConsoleSessionAfter: 120 });
        const handle = await startReport(env.client, settings, prepareReport(settings, { from: '2025-02-26', to: '2025-03-04', level: 'nodes' }));
        const summary = await handle.result();
        const failed = dify.requests.filter((request) => request.status === 502 || request.status === 0).length;
        assert.ok(failed >= dify.requests.length / 25, `${failed} of ${dify.requests.length} requests failed`);
        const renewals = dify.requests.filter((request) => request.path === '/console/api/login' || request.path === '/console/api/refresh-token').length;
        assert.ok(renewals >= 5, `${renewals} console logins and refreshes`);

        const { completeness } = summary;
        assert.deepEqual(
          [summary.runs, completeness.expected, completeness.fetched, completeness.duplicates, completeness.invalid, completeness.detailFailures, completeness.nodeFailures, completeness.complete],
          [inWeek, inWeek, inWeek, 0, 0, 0, 0, true],
        );
        const csv = await readFile(path.join(summary.folder, 'runs.csv'), 'utf8');
        const rows = csv.split('\r\n').filter((line) => line !== '').slice(1);
        assert.equal(rows.length, inWeek);
        const runIds = rows.map((row) => /22222222-0000-4000-8000-[0-9a-f]{12}/.exec(row)?.[0]);
        assert.equal(new Set(runIds).size, inWeek, 'a run listed twice or without its id');
        // Seven day shards, each its own child workflow.
        const history = await handle.fetchHistory();
        assert.equal((history.events ?? []).filter((event) => event.startChildWorkflowExecutionInitiatedEventAttributes).length, 7);
      } finally {
        await worker.stop();
        await dify.close();
      }
    });
  }
});
