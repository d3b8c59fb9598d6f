import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DifyClient, type DifyClientOptions } from '../activities/dify/client';
import type { NodeExecution } from '../common/dify-schemas';
import { loadSettings, type Settings } from '../config/load';
import { prepareReport, startReport } from '../client/report';
import type { ReportSummary } from '../common/contracts';
import { startDifyServer, type RecordedRequest, type RunningDifyServer } from '../simulator/dify-server';
import { generateDemoStore } from '../simulator/generate';
import type { DifyStore } from '../simulator/store';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';

/**
 * At level `nodes`, a run whose detail its log item and node executions give costs one
 * request; the reports are the same as when every run detail is asked for. Request counts
 * and file contents only, never timings.
 */

const DATE = '2025-03-05';
const TIMEZONE = 'Asia/Shanghai';
const STORE: DifyStore = generateDemoStore({ date: DATE, timezone: TIMEZONE, runs: 600, seed: 11, attachments: false });
const APP = STORE.apps[0];
const SHEETS = ['runs.csv', 'qa-pairs.csv', 'users.csv', 'daily.csv', 'overview.csv'];

/** Throws once, like a worker dying, on the n-th node-executions request it sees. */
let crashAt: number | undefined;
let nodeCalls = 0;
class CrashingClient extends DifyClient {
  constructor(options: DifyClientOptions) {
    super(options);
  }

  override nodeExecutions(runId: string): Promise<NodeExecution[]> {
    nodeCalls += 1;
    if (crashAt !== undefined && nodeCalls === crashAt) {
      crashAt = undefined;
      return Promise.reject(new Error('simulated worker crash'));
    }
    return super.nodeExecutions(runId);
  }
}

const count = (requests: RecordedRequest[], match: (path: string) => boolean): number => requests.filter((request) => match(request.path)).length;
const isDetail = (p: string): boolean => p.startsWith('/v1/workflows/run/');
const isNodes = (p: string): boolean => p.endsWith('/node-executions');

describe('one request per run at level nodes', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let settings: Settings;
  let worker: RunningWorker;

  before(async () => {
    assert.ok(APP);
    env = await startTemporal();
    dify = await startDifyServer({ store: STORE, profile: 'cookie' });
    settings = loadSettings({
      DIFY_BASE_URL: dify.url,
      DIFY_API_TOKEN: APP.apiToken,
      DIFY_APP_ID: APP.id,
      DIFY_CONSOLE_EMAIL: STORE.consoleUsers[0]?.email ?? '',
      DIFY_CONSOLE_PASSWORD: STORE.consoleUsers[0]?.password ?? '',
      APP_KEY: 'support',
      REPORT_TIMEZONE: TIMEZONE,
      DIFY_COLLECT_LEVEL: 'nodes',
      REPORT_FORMATS: 'csv,json',
      OUTPUT_DIR: await mkdtemp(path.join(tmpdir(), 'difyscope-one-request-')),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('one-request'),
    });
    worker = await startTestWorker(env, settings, { createDifyClient: (app, secrets) => new CrashingClient({ ...app.dify, secrets: [...secrets], retryBaseDelayMs: 10 }) });
  });

  after(async () => {
    await worker?.stop();
    await dify?.close();
    await env?.teardown();
  });

  async function report(fileUpload: boolean): Promise<{ summary: ReportSummary; sheets: Record<string, string>; raw: Record<string, unknown>[]; requests: RecordedRequest[] }> {
    assert.ok(APP);
    APP.fileUpload = fileUpload;
    const first = dify.requests.length;
    const summary = await (await startReport(env.client, settings, prepareReport(settings, { from: DATE, to: DATE }))).result();
    const sheets: Record<string, string> = {};
    for (const name of SHEETS) sheets[name] = await readFile(path.join(summary.folder, name), 'utf8');
    const raw = gunzipSync(await readFile(path.join(summary.folder, 'raw', 'runs.ndjson.gz')))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { summary, sheets, raw, requests: dify.requests.slice(first) };
  }

  it('builds every run detail from node executions for an app without file uploads, with the same reports', { timeout: 120_000 }, async () => {
    const everyDetail = await report(true);
    const runs = everyDetail.summary.runs;
    assert.equal(runs, 600);
    assert.equal(count(everyDetail.requests, isDetail), runs);
    assert.equal(count(everyDetail.requests, isNodes), runs);

    const oneEach = await report(false);
    assert.equal(count(oneEach.requests, isDetail), 0);
    assert.equal(count(oneEach.requests, isNodes), runs);
    assert.equal(count(oneEach.requests, (p) => p === '/v1/parameters'), 1);
    assert.deepEqual(oneEach.summary.completeness, everyDetail.summary.completeness);
    for (const name of SHEETS) assert.equal(oneEach.sheets[name], everyDetail.sheets[name], name);
    assert.ok(oneEach.raw.every((run) => run.detailFrom === 'nodes'));
    assert.ok(everyDetail.raw.every((run) => run.detailFrom === undefined));
  });

  it('a crash mid-collection resumes after the last saved chunk and gives the same reports', { timeout: 120_000 }, async () => {
    const baseline = await report(false);
    nodeCalls = 0;
    crashAt = 400;
    const resumed = await report(false);
    assert.equal(crashAt, undefined);
    const perRun = new Map<string, number>();
    for (const request of resumed.requests.filter((r) => isNodes(r.path))) perRun.set(request.path, (perRun.get(request.path) ?? 0) + 1);
    assert.equal(perRun.size, 600);
    // The first chunk (250 runs) was on disk and not asked again; at most the chunks in flight were.
    const repeated = [...perRun.values()].filter((times) => times > 1).length;
    assert.ok(repeated > 0 && repeated <= 350, `${repeated} runs fetched twice`);
    assert.equal(count(resumed.requests, isDetail), 0);
    for (const name of SHEETS) assert.equal(resumed.sheets[name], baseline.sheets[name], name);
  });
});
