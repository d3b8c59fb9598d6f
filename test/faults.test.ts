import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ReportSummary } from '../common/contracts';
import { loadSettings, type Settings } from '../config/load';
import { DifyClient, type DifyClientOptions, type LogsPage, type LogsPageParams } from '../activities/dify/client';
import type { RunDetail } from '../common/dify-schemas';
import { startDifyServer, type DifyFaults, type RecordedRequest, type RunningDifyServer } from '../simulator/dify-server';
import { prepareReport, startReport } from '../client/report';
import { fixtureEnv, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';

/**
 * Dify misbehaving in every way the simulator can, on a real Temporal server: each report must
 * come out exactly as an undisturbed one. 520 runs on 2025-03-01 (Asia/Shanghai): six log
 * pages and three detail chunks, so resuming mid-paging and mid-details is visible.
 */
const DAY_START = DateTime.fromISO('2025-03-01T00:00:00+08:00', { setZone: true });
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const RUNS: FixtureRun[] = Array.from({ length: 520 }, (_, i) => ({
  n: i + 1,
  at: DAY_START.plus({ seconds: 30 + i * 150 }).toISO() ?? '',
  user: USERS[i % USERS.length] ?? 'alice',
  status: i % 17 === 0 ? 'failed' : 'succeeded',
  elapsed: 1 + (i % 7),
  tokens: 100 + i,
  cost: { price: 0.001 * (1 + (i % 3)), currency: i % 4 === 0 ? 'RMB' : 'USD' },
}));
const WINDOW = { from: '2025-03-01', to: '2025-03-01' };

/** Test hooks inside the worker's Dify client: each may throw instead of asking Dify. */
interface Hooks {
  beforeLogsPage?: (params: LogsPageParams) => void;
  /** Rewrites Dify's answer, as a lagging replica or a truncating proxy would. */
  afterLogsPage?: (params: LogsPageParams, page: LogsPage) => LogsPage;
  beforeRunDetail?: (runId: string) => void;
}

class HookedClient extends DifyClient {
  constructor(
    options: DifyClientOptions,
    private readonly hooks: () => Hooks,
  ) {
    super(options);
  }

  override async logsPage(params: LogsPageParams): Promise<LogsPage> {
    this.hooks().beforeLogsPage?.(params);
    const page = await super.logsPage(params);
    return this.hooks().afterLogsPage?.(params, page) ?? page;
  }

  override runDetail(runId: string): Promise<RunDetail | null> {
    this.hooks().beforeRunDetail?.(runId);
    return super.runDetail(runId);
  }
}

/** Log listings as `<limit>:<status>`: pages down the time cursor ask for 100, the closing count for 1. */
const logPageRequests = (requests: RecordedRequest[]): string[] => requests.filter((r) => r.path === '/v1/workflows/logs').map((r) => `${r.query.limit}:${r.status}`);
const pagesThen = (pages: number): string[] => [...Array.from({ length: pages }, () => '100:200'), '1:200'];
const detailRequests = (requests: RecordedRequest[]): RecordedRequest[] => requests.filter((r) => r.path.startsWith('/v1/workflows/run/'));

describe('collection under Dify faults, on a real Temporal server', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let settings: Settings;
  let worker: RunningWorker;
  let hooks: Hooks = {};
  let baseline: { runsCsv: string; summary: ReportSummary };

  before(async () => {
    env = await startTemporal();
    dify = await startDifyServer({ store: fixtureStore(RUNS), profile: 'cookie' });
    const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-faults-'));
    settings = loadSettings({
      ...fixtureEnv(dify.url),
      DIFY_REQUEST_TIMEOUT_MS: '400',
      DIFY_MAX_RETRIES: '6',
      APP_KEY: 'support',
      REPORT_TIMEZONE: 'Asia/Shanghai',
      REPORT_FORMATS: 'csv,json',
      OUTPUT_DIR: outputDir,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('faults'),
    });
    worker = await startTestWorker(env, settings, {
      createDifyClient: (app, secrets) => new HookedClient({ ...app.dify, secrets: [...secrets], retryBaseDelayMs: 5 }, () => hooks),
    });
  });

  after(async () => {
    await worker?.stop();
    await dify?.close();
    await env?.teardown();
  });

  async function report(faults: DifyFaults): Promise<{ runsCsv: string; summary: ReportSummary; requests: RecordedRequest[]; historyEvents: number }> {
    dify.setFaults(faults);
    const firstRequest = dify.requests.length;
    try {
      const handle = await startReport(env.client, settings, prepareReport(settings, WINDOW));
      const summary = await handle.result();
      const history = await handle.fetchHistory();
      const runsCsv = await readFile(path.join(summary.folder, 'runs.csv'), 'utf8');
      return { runsCsv, summary, requests: dify.requests.slice(firstRequest), historyEvents: history.events?.length ?? 0 };
    } finally {
      dify.setFaults({});
      hooks = {};
    }
  }

  /** Exact figures, the same runs.csv and a complete collection: nothing lost, nothing doubled. */
  function assertSameAsBaseline(result: { runsCsv: string; summary: ReportSummary }): void {
    assert.equal(result.runsCsv, baseline.runsCsv);
    const { completeness, runs, succeeded, failed, users, totalTokens, cost } = result.summary;
    assert.deepEqual({ runs, succeeded, failed, users, totalTokens, cost }, { runs: 520, succeeded: 489, failed: 31, users: 5, totalTokens: baseline.summary.totalTokens, cost: baseline.summary.cost });
    assert.deepEqual(
      { ...completeness, line: undefined },
      { level: 'nodes', expected: 520, fetched: 520, duplicates: 0, invalid: 0, detailFailures: 0, nodeFailures: 0, complete: true, line: undefined },
    );
  }

  it('an undisturbed run: six pages and Dify\'s count, each run once, 520 runs', { timeout: 60_000 }, async () => {
    const result = await report({});
    baseline = result;
    assert.equal(result.summary.completeness.line, 'complete: 520 of 520 runs fetched, details for all, node executions for all');
    assert.deepEqual(logPageRequests(result.requests), pagesThen(6));
    assert.equal(detailRequests(result.requests).length, 520);
    assert.equal(result.runsCsv.split('\r\n').filter((line) => line !== '').length, 521);
    // One day is collected whole: the report's history is a handful of events.
    assert.ok(result.historyEvents < 60, `${result.historyEvents} events`);
    assertSameAsBaseline(result);
  });

  it('429 with Retry-After: waits as told, then gets the same report', { timeout: 60_000 }, async () => {
    const result = await report({ rateLimitEvery: 40, retryAfterSeconds: 0.3 });
    const limited = result.requests.filter((request) => request.status === 429);
    assert.ok(limited.length >= 20, `${limited.length} rate-limited requests`);
    for (const request of limited) {
      const retry = result.requests.find((later) => later.at >= request.at && later !== request && later.path === request.path && JSON.stringify(later.query) === JSON.stringify(request.query));
      assert.ok(retry, `no retry of ${request.path}`);
      assert.ok(retry.at - request.at >= 290, `${request.path} retried after ${retry.at - request.at} ms, Retry-After said 300`);
    }
    assertSameAsBaseline(result);
  });

  for (const status of [500, 502, 503] as const) {
    it(`HTTP ${status} on every 9th request: the same report`, { timeout: 60_000 }, async () => {
      const result = await report({ serverErrorEvery: 9, serverErrorStatus: status });
      assert.ok(result.requests.filter((request) => request.status === status).length >= 100);
      assertSameAsBaseline(result);
    });
  }

  it('connection resets on every 11th request: the same report', { timeout: 60_000 }, async () => {
    const result = await report({ resetEvery: 11 });
    assert.ok(result.requests.filter((request) => request.status === 0).length >= 90);
    assertSameAsBaseline(result);
  });

  it('requests that hang past DIFY_REQUEST_TIMEOUT_MS: timed out, retried, the same report', { timeout: 60_000 }, async () => {
    const result = await report({ hangEvery: 60 });
    assert.ok(result.requests.filter((request) => request.status === 0).length >= 17);
    assertSameAsBaseline(result);
  });

  it('the console session expiring mid-run: one fresh login per expiry, the same report', { timeout: 60_000 }, async () => {
    const result = await report({ expireConsoleSessionAfter: 150 });
    const renewals = result.requests.filter((request) => request.path === '/console/api/login' || request.path === '/console/api/refresh-token');
    const rejected = result.requests.filter((request) => request.path.endsWith('/node-executions') && request.status === 401);
    assert.ok(rejected.length >= 3, `${rejected.length} rejected console requests`);
    // Requests in flight on an expired session share one renewal.
    assert.ok(renewals.length >= 4 && renewals.length < rejected.length, `${renewals.length} renewals for ${rejected.length} rejections`);
    assert.ok(renewals.every((renewal) => renewal.status === 200));
    assertSameAsBaseline(result);
  });

  it('a log page that briefly comes back as malformed JSON: asked again, the same report', { timeout: 60_000 }, async () => {
    const result = await report({ malformedLogPages: 2 });
    // The first page twice more; then the five others and the count.
    assert.deepEqual(logPageRequests(result.requests), pagesThen(8));
    const befores = result.requests.filter((r) => r.path === '/v1/workflows/logs').map((r) => r.query.created_at__before);
    assert.deepEqual(befores.slice(0, 3), [befores[0], befores[0], befores[0]]);
    assertSameAsBaseline(result);
  });

  it('all faults at once, with latency: the same report', { timeout: 90_000 }, async () => {
    const result = await report({ latencyMs: 3, rateLimitEvery: 61, retryAfterSeconds: 0.1, serverErrorEvery: 23, serverErrorStatus: 502, resetEvery: 37, hangEvery: 97, malformedLogPages: 1, expireConsoleSessionAfter: 200 });
    assertSameAsBaseline(result);
  });

  it('a run a lagging replica leaves out of one page is found by a second walk down the window', { timeout: 60_000 }, async () => {
    // The fourth page arrives without its 31st entry, once.
    let calls = 0;
    hooks = {
      afterLogsPage: (params, page) => {
        if (params.limit === 1) return page;
        calls += 1;
        return calls === 4 ? { ...page, items: [...page.items.slice(0, 30), ...page.items.slice(31)] } : page;
      },
    };
    const result = await report({});
    // Dify's count says one is missing: the window is walked once more.
    assert.deepEqual(logPageRequests(result.requests), [...pagesThen(6).slice(0, 6), '1:200', ...pagesThen(6).slice(0, 6), '1:200']);
    assertSameAsBaseline(result);
  });

  it('collection killed after three log pages resumes at the fourth from its heartbeat', { timeout: 60_000 }, async () => {
    let crashed = false;
    let calls = 0;
    hooks = {
      beforeLogsPage: () => {
        calls += 1;
        if (calls === 4 && !crashed) {
          crashed = true;
          throw new Error('simulated worker crash');
        }
      },
    };
    const result = await report({});
    assert.equal(crashed, true);
    // Pages 1–3 once: the retried attempt did not start over (each page has its own cursor).
    const befores = result.requests.filter((r) => r.path === '/v1/workflows/logs' && r.query.limit === '100').map((r) => r.query.created_at__before);
    assert.equal(befores.length, 6);
    assert.equal(new Set(befores).size, 6);
    assert.deepEqual(logPageRequests(result.requests), pagesThen(6));
    assertSameAsBaseline(result);
  });

  it('detail collection killed in its second chunk resumes from the first chunk it saved', { timeout: 60_000 }, async () => {
    let calls = 0;
    let crashed = false;
    hooks = {
      beforeRunDetail: () => {
        calls += 1;
        if (calls === 330 && !crashed) {
          crashed = true;
          throw new Error('simulated worker crash');
        }
      },
    };
    const result = await report({});
    assert.equal(crashed, true);
    const details = detailRequests(result.requests);
    const perRun = new Map<string, number>();
    for (const request of details) perRun.set(request.path, (perRun.get(request.path) ?? 0) + 1);
    assert.equal(perRun.size, 520);
    // The first chunk (the newest 250 runs) was saved and not asked again; only the runs of
    // the chunk that was in flight were.
    const repeated = [...perRun.entries()].filter(([, count]) => count > 1).map(([runPath]) => runPath);
    assert.ok(repeated.length > 0 && repeated.length <= 90, `${repeated.length} runs fetched twice`);
    const newest = new Set([...RUNS].reverse().slice(0, 250).map((run) => `/v1/workflows/run/22222222-0000-4000-8000-${run.n.toString(16).padStart(12, '0')}`));
    assert.ok(repeated.every((runPath) => !newest.has(runPath)));
    assertSameAsBaseline(result);
  });

  it('a week is collected in seven day shards, each in its own small child history', { timeout: 90_000 }, async () => {
    const handle = await startReport(env.client, settings, prepareReport(settings, { from: '2025-02-26', to: '2025-03-04' }));
    const summary = await handle.result();
    assert.equal(summary.runs, 520);
    assert.equal(await readFile(path.join(summary.folder, 'runs.csv'), 'utf8'), baseline.runsCsv);
    assert.equal(summary.completeness.line, baseline.summary.completeness.line);
    const history = await handle.fetchHistory();
    const started = (history.events ?? []).filter((event) => event.startChildWorkflowExecutionInitiatedEventAttributes);
    assert.deepEqual(
      started.map((event) => event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId),
      ['2025-02-26', '2025-02-27', '2025-02-28', '2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04'].map((day) => `range/support/2025-02-26_2025-03-04/shard-${day}`),
    );
    // Bounded by the shard count, not the runs; each versioned change (patched()) adds a marker and a search-attribute update.
    assert.ok((history.events?.length ?? 0) < 100, `${history.events?.length} events in the parent`);
    const bytes = historyToJSON(history).length;
    assert.ok(bytes < 120_000, `${bytes} bytes of parent history`);
  });
});
