import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings, type Settings } from '../config/load';
import { prepareReport, startReport } from '../client/report';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { fixtureEnv, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { startSmtpServer, type TestSmtpServer, emailToTestServer } from './helpers/smtp';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { freePort } from './helpers/ports';

const CLI = path.join(__dirname, '..', 'bin', 'difyscope.js');

const RUNS: FixtureRun[] = [
  { n: 1, at: '2025-03-01T09:00:00+08:00', user: 'alice', elapsed: 2, tokens: 100 },
  { n: 2, at: '2025-03-01T10:00:00+08:00', user: 'bob', status: 'failed', elapsed: 1, tokens: 0, error: 'Timeout after 30s' },
  { n: 3, at: '2025-03-02T11:00:00+08:00', user: 'alice', elapsed: 3, tokens: 300 },
];


/** Samples of the Prometheus text format: `name{labels} value` → value, keyed by `name{labels}`. */
function samples(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^(\S+?(?:\{.*\})?)\s+(\S+)$/.exec(line);
    if (match?.[1] && match[2]) result.set(match[1], Number(match[2]));
  }
  return result;
}

const sum = (all: Map<string, number>, prefix: string): number =>
  [...all].filter(([key]) => key === prefix || key.startsWith(`${prefix}{`)).reduce((total, [, value]) => total + value, 0);

/** The worker process serves Prometheus metrics; after a report they match its figures exactly. */
describe('worker metrics (Prometheus)', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let smtp: TestSmtpServer;
  let worker: ChildProcess;
  let metricsUrl: string;
  let settings: Settings;
  let workerOutput = '';

  before(async () => {
    env = await startTemporal();
    smtp = await startSmtpServer();
    dify = await startDifyServer({ store: fixtureStore(RUNS), profile: 'cookie' });
    const metricsPort = await freePort();
    const variables: Record<string, string> = {
      ...fixtureEnv(dify.url),
      APP_KEY: 'support',
      REPORT_TIMEZONE: 'Asia/Shanghai',
      OUTPUT_DIR: mkdtempSync(path.join(tmpdir(), 'difyscope-metrics-')),
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('metrics'),
      METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      ...emailToTestServer(smtp),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
    };
    settings = loadSettings(variables);
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    worker = spawn(process.execPath, [CLI, 'worker'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...variables }, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    worker.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    for (let tries = 0; !workerOutput.includes('Worker polling'); tries += 1) {
      if (worker.exitCode !== null || tries > 1200) throw new Error(`worker did not start: ${workerOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  after(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await dify?.close();
    await smtp?.close();
    await env?.teardown();
  });

  it('counts Dify requests, runs, the report and its notification exactly, next to the SDK metrics', { timeout: 180_000 }, async () => {
    const before = samples(await (await fetch(metricsUrl)).text());
    assert.equal(sum(before, 'difyscope_reports_total'), 0);

    const prepared = prepareReport(settings, { from: '2025-03-01', to: '2025-03-02', notify: true });
    const summary = await (await startReport(env.client, settings, prepared)).result();
    assert.equal(summary.runs, 3);
    assert.equal(summary.completeness.complete, true);
    assert.equal(smtp.messages.length, 1);

    const response = await fetch(metricsUrl);
    assert.equal(response.status, 200);
    const text = await response.text();
    const after = samples(text);
    const labels = 'app="support",kind="range"';
    assert.equal(after.get(`difyscope_runs_collected_total{${labels}}`), summary.runs);
    assert.equal(after.get(`difyscope_reports_total{${labels},complete="true"}`), 1);
    assert.equal(after.get(`difyscope_report_completeness_ratio{${labels}}`), 1);
    assert.equal(after.get(`difyscope_report_duration_seconds_count{${labels}}`), 1);
    assert.ok((after.get(`difyscope_report_duration_seconds_sum{${labels}}`) ?? -1) > 0);
    assert.equal(after.get('difyscope_notifications_total{channel="email",result="sent"}'), 1);
    assert.equal(sum(after, 'difyscope_notifications_total'), 1);
    // Every request the simulated Dify received came from this worker, and each was counted once.
    assert.equal(sum(after, 'difyscope_dify_requests_total'), dify.requests.length);
    const logPages = dify.requests.filter((request) => request.path === '/v1/workflows/logs').length;
    assert.ok(logPages > 0);
    assert.equal(after.get('difyscope_dify_requests_total{endpoint="/v1/workflows/logs",status="200"}'), logPages);
    // The Temporal SDK's runtime metrics on the same endpoint.
    assert.match(text, /^temporal_\w+/m);
    assert.ok(sum(after, 'temporal_workflow_completed_total') >= 1, 'temporal_workflow_completed_total counted the report');
  });
});
