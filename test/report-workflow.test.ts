import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings, type Settings } from '../config/load';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { createWorker } from '../worker/worker';
import { prepareReport, startReport } from '../client/report';
import { progressQuery, reportWorkflow } from '../workflows';
import { fixtureEnv, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { startTemporal, uniqueTaskQueue, workflowBundle } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';
import { recordHistory } from './helpers/history';
import { startSmtpServer, type TestSmtpServer, emailToTestServer } from './helpers/smtp';

/**
 * The whole pipeline on a real Temporal dev server against the simulated Dify: figures in the
 * reports are asserted exactly against this fixture (window 2025-03-01..02, Asia/Shanghai).
 */
const RUNS: FixtureRun[] = [
  { n: 1, at: '2025-03-01T00:00:00+08:00', user: 'alice', elapsed: 2, tokens: 100, cost: { price: 0.001, currency: 'USD' } },
  { n: 2, at: '2025-03-01T10:00:00+08:00', user: 'alice', elapsed: 4, tokens: 300, cost: { price: 0.002, currency: 'USD' } },
  { n: 3, at: '2025-03-01T11:00:00+08:00', user: 'bob', status: 'failed', elapsed: 1, tokens: 0, error: 'Timeout after 30s' },
  { n: 4, at: '2025-03-02T09:00:00+08:00', user: 'bob', elapsed: 3, tokens: 200, cost: { price: 0.5, currency: 'RMB' } },
  { n: 5, at: '2025-03-02T23:59:59+08:00', user: 'carol', elapsed: 1, tokens: 50, cost: { price: 0.001, currency: 'USD' } },
  // Outside the window: exactly at `to` (belongs to the next day) and one second before `from`.
  { n: 6, at: '2025-03-03T00:00:00+08:00', user: 'dave', elapsed: 1, tokens: 10 },
  { n: 7, at: '2025-02-28T23:59:59+08:00', user: 'erin', elapsed: 1, tokens: 10 },
];

function csvRows(content: string): string[][] {
  return parse(content.replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];
}

describe('reportWorkflow on a real Temporal server', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let outputDir: string;
  let settings: Settings;
  let worker: RunningWorker;
  let smtp: TestSmtpServer;
  const taskQueue = uniqueTaskQueue('report');
  const mail = (): Record<string, string> => ({
    ...emailToTestServer(smtp, 'Difyscope <difyscope@example.com>'),
  });

  before(async () => {
    env = await startTemporal();
    smtp = await startSmtpServer();
    dify = await startDifyServer({ store: fixtureStore(RUNS), profile: 'cookie' });
    outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-e2e-'));
    settings = loadSettings({
      ...fixtureEnv(dify.url),
      APP_KEY: 'support',
      APP_NAME: 'Support bot',
      REPORT_TIMEZONE: 'Asia/Shanghai',
      OUTPUT_DIR: outputDir,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ...mail(),
    });
    worker = await startTestWorker(env, settings);
  });

  after(async () => {
    await worker?.stop();
    await dify?.close();
    await smtp?.close();
    await env?.teardown();
  });

  it('collects the window [from, to), renders every report, and returns exact figures', { timeout: 180_000 }, async () => {
    const prepared = prepareReport(settings, { from: '2025-03-01', to: '2025-03-02' });
    assert.equal(prepared.workflowId, 'range/support/2025-03-01_2025-03-02');
    assert.deepEqual(prepared.window, {
      kind: 'range',
      from: '2025-03-01T00:00:00+08:00',
      to: '2025-03-03T00:00:00+08:00',
      timezone: 'Asia/Shanghai',
      label: '2025-03-01_2025-03-02',
    });
    const handle = await startReport(env.client, settings, prepared);
    const summary = await handle.result();

    assert.equal(summary.runs, 5);
    assert.equal(summary.succeeded, 4);
    assert.equal(summary.failed, 1);
    assert.equal(summary.users, 3);
    assert.equal(summary.totalTokens, 650);
    assert.deepEqual(summary.cost, { RMB: 0.5, USD: 0.004 });
    assert.deepEqual(
      { ...summary.completeness, line: undefined },
      { level: 'nodes', expected: 5, fetched: 5, duplicates: 0, invalid: 0, detailFailures: 0, nodeFailures: 0, complete: true, line: undefined },
    );
    assert.equal(summary.completeness.line, 'complete: 5 of 5 runs fetched, details for all, node executions for all');
    assert.equal(summary.folder, path.join(outputDir, 'support', 'range', '2025-03-01_2025-03-02'));

    const files = (await readdir(summary.folder)).sort();
    for (const expected of ['overview.csv', 'daily.csv', 'users.csv', 'qa-pairs.csv', 'runs.csv', 'report.json', 'report.md', 'report.html', 'raw']) {
      assert.ok(files.includes(expected), `${expected} missing from ${files.join(', ')}`);
    }

    const overview = csvRows(await readFile(path.join(summary.folder, 'overview.csv'), 'utf8'));
    assert.deepEqual(overview[0]?.slice(0, 11), ['window_start', 'window_end', 'timezone', 'runs', 'users', 'sessions', 'avg_interactions', 'token_speed', 'satisfaction', 'cost', 'currency']);
    assert.deepEqual(overview[1]?.slice(0, 6), ['2025-03-01T00:00:00+08:00', '2025-03-03T00:00:00+08:00', 'Asia/Shanghai', '5', '3', '5']);
    // 650 tokens over 11 s of elapsed time.
    assert.equal(overview[1]?.[7], '59.09');

    const daily = csvRows(await readFile(path.join(summary.folder, 'daily.csv'), 'utf8'));
    assert.deepEqual(daily.map((row) => row.slice(0, 4)), [
      ['date', 'runs', 'succeeded', 'failed'],
      ['2025-03-01', '3', '2', '1'],
      ['2025-03-02', '2', '2', '0'],
    ]);

    const users = csvRows(await readFile(path.join(summary.folder, 'users.csv'), 'utf8'));
    assert.deepEqual(users.map((row) => row.slice(0, 5)), [
      ['user_id', 'runs', 'active_days', 'first_seen', 'last_seen'],
      ['alice', '2', '1', '2025-03-01', '2025-03-01'],
      ['bob', '2', '2', '2025-03-01', '2025-03-02'],
      ['carol', '1', '1', '2025-03-02', '2025-03-02'],
    ]);

    const runsCsv = csvRows(await readFile(path.join(summary.folder, 'runs.csv'), 'utf8'));
    assert.equal(runsCsv.length, 6);
    assert.deepEqual(runsCsv.slice(1).map((row) => row[0]), [1, 2, 3, 4, 5].map((n) => `11111111-0000-4000-8000-${n.toString(16).padStart(12, '0')}`));

    const raw = gunzipSync(await readFile(path.join(summary.folder, 'raw', 'runs.ndjson.gz'))).toString('utf8').trim().split('\n');
    assert.equal(raw.length, 5);

    // The scratch folder is gone once the report is in place.
    assert.deepEqual((await readdir(path.join(outputDir, '.work'))).length, 0);

    const progress = await handle.query(progressQuery);
    assert.deepEqual(progress, { phase: 'done', logsFetched: 5, logsExpected: 5, detailsFetched: 5, folder: summary.folder });

    // The exact service-API requests: one page with the inclusive bounds in UTC (the upper one the
    // last instant before `to`), limit 100, then Dify's count of the window.
    const logRequests = dify.requests.filter((request) => request.path === '/v1/workflows/logs');
    assert.deepEqual(logRequests.map((request) => request.query), [
      { page: '1', limit: '100', created_at__after: '2025-02-28T16:00:00Z', created_at__before: '2025-03-02T15:59:59.999999Z' },
      { page: '1', limit: '1', created_at__after: '2025-02-28T16:00:00Z', created_at__before: '2025-03-02T15:59:59.999999Z' },
    ]);
    assert.equal(dify.requests.filter((request) => request.path.startsWith('/v1/workflows/run/')).length, 5);
    assert.equal(dify.requests.filter((request) => request.path.endsWith('/node-executions')).length, 5);
    assert.equal(dify.requests.filter((request) => request.path === '/console/api/login').length, 1);

    // An ad-hoc range notifies only when asked (--notify).
    assert.equal(smtp.messages.length, 0);
    assert.equal(summary.notifications?.length, 0);

    if (process.env.RECORD_HISTORY) {
      await recordHistory(handle, 'report-workflow');
    }
  });

  it('re-running the same range replaces the folder with an identical report', { timeout: 180_000 }, async () => {
    const prepared = prepareReport(settings, { from: '2025-03-01', to: '2025-03-02', formats: 'csv' });
    const summary = await (await startReport(env.client, settings, prepared)).result();
    const files = (await readdir(summary.folder)).sort();
    assert.deepEqual(files.filter((name) => name.endsWith('.csv')).includes('overview.csv'), true);
    assert.equal(files.includes('report.md'), false, 'formats=csv writes no Markdown');
    assert.equal(summary.runs, 5);
  });

  it('with --notify, e-mails the finished report exactly once', { timeout: 180_000 }, async () => {
    const prepared = prepareReport(settings, { from: '2025-03-01', to: '2025-03-02', notify: true });
    const summary = await (await startReport(env.client, settings, prepared)).result();
    assert.deepEqual(summary.notifications?.map((result) => [result.channel, result.status]), [['email', 'sent']]);
    assert.equal(smtp.messages.length, 1);
    const message = smtp.messages[0]?.parsed;
    assert.equal(message?.subject, '[Difyscope] range · Support bot · 2025-03-01_2025-03-02 · 5 runs · 20% failed');
    assert.deepEqual(smtp.messages[0]?.to, ['ops@example.com']);
    assert.match(String(message?.html), /<html/);
    assert.match(message?.text ?? '', /complete: 5 of 5 runs fetched/);
    // Charts travel inline (by content id); the attachments proper are the CSV sheets.
    const inline = message?.attachments.filter((attachment) => attachment.contentDisposition === 'inline') ?? [];
    assert.ok(inline.length > 0 && inline.every((attachment) => attachment.contentType === 'image/png' && attachment.cid));
    assert.deepEqual(message?.attachments.filter((attachment) => attachment.contentDisposition !== 'inline').map((attachment) => attachment.filename).sort(), ['daily.csv', 'errors.csv', 'nodes.csv', 'overview.csv', 'qa-pairs.csv', 'runs.csv', 'users.csv']);
    smtp.messages.length = 0;
  });

  it('fails with a non-retryable error naming the setting when the service token is wrong', { timeout: 180_000 }, async () => {
    const broken = loadSettings({ DIFY_BASE_URL: dify.url, DIFY_API_TOKEN: 'app-wrong-token-xyz', APP_KEY: 'broken', OUTPUT_DIR: outputDir, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('broken'), ...mail() });
    const brokenWorker = await createWorker({ settings: broken, connection: env.nativeConnection, workflowBundle: await workflowBundle() });
    await brokenWorker.runUntil(async () => {
      const handle = await startReport(env.client, broken, prepareReport(broken, { from: '2025-03-01', to: '2025-03-01' }));
      await assert.rejects(handle.result(), (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        const message = error.cause?.message ?? '';
        assert.match(message, /DIFY_API_TOKEN/);
        assert.doesNotMatch(message, /app-wrong-token-xyz/);
        return true;
      });
    });
    // Exactly one failure notice, naming the workflow to look up; no secret in it.
    assert.equal(smtp.messages.length, 1);
    const notice = smtp.messages[0]?.parsed;
    assert.match(notice?.subject ?? '', /^\[Difyscope\] FAILED range · broken · 2025-03-01/);
    assert.match(notice?.text ?? '', /range\/broken\/2025-03-01/);
    assert.match(notice?.text ?? '', /DIFY_API_TOKEN/);
    assert.doesNotMatch(smtp.messages[0]?.raw.toString('utf8') ?? '', /app-wrong-token-xyz/);
    smtp.messages.length = 0;
  });

  it('starting the same range while it runs attaches to the running report', { timeout: 180_000 }, async () => {
    dify.setFaults({ latencyMs: 300 });
    try {
      const prepared = prepareReport(settings, { from: '2025-03-02', to: '2025-03-02' });
      const first = await startReport(env.client, settings, prepared);
      const second = await startReport(env.client, settings, prepared);
      assert.equal(second.firstExecutionRunId, first.firstExecutionRunId);
      const [a, b] = await Promise.all([first.result(), second.result()]);
      assert.deepEqual(a, b);
      assert.equal(a.runs, 2);
    } finally {
      dify.setFaults({});
    }
  });

  it('accepts plain JSON input as `temporal workflow start` would send it', { timeout: 180_000 }, async () => {
    const handle = await env.client.workflow.start(reportWorkflow, {
      taskQueue,
      workflowId: 'manual-json-input',
      args: [{ app: 'support', from: '2025-03-02', to: '2025-03-02', level: 'logs' }],
    });
    const summary = await handle.result();
    assert.equal(summary.runs, 2);
    assert.equal(summary.window.label, '2025-03-02');
    assert.equal(summary.completeness.line, 'complete: 2 of 2 runs fetched');
  });
});
