import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { FIXTURE_TOKEN, fixtureStore } from './fixtures/store-builder';
import { startCli } from './helpers/processes';
import { startTemporal } from './helpers/temporal';

describe('long-running commands stop cleanly', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;

  before(async () => {
    env = await startTemporal();
    dify = await startDifyServer({ store: fixtureStore([]), profile: 'tokenpair' });
  });
  after(async () => {
    await dify?.close();
    await env?.teardown();
  });

  it('`worker` polls until SIGTERM, then drains and exits 0', { timeout: 90_000 }, async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'difyscope-worker-'));
    const worker = startCli(['worker'], { DIFY_BASE_URL: dify.url, DIFY_API_TOKEN: FIXTURE_TOKEN, TEMPORAL_ADDRESS: env.address, LOG_FORMAT: 'json', OUTPUT_DIR: cwd }, cwd);
    await worker.waitFor(/Worker polling task queue "difyscope"/);
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, worker.output());
    assert.match(worker.output(), /Worker stopped\./);
    // Structured logs off a terminal: every SDK line is JSON.
    const sdkLines = worker.output().split('\n').filter((line) => line.startsWith('{'));
    assert.ok(sdkLines.length > 0, worker.output());
    for (const line of sdkLines) assert.deepEqual(Object.keys(JSON.parse(line) as object).slice(0, 3), ['time', 'level', 'msg']);
  });

  it('`simulate` serves generated runs and prints the settings that point at it', { timeout: 60_000 }, async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'difyscope-simulate-'));
    const simulator = startCli(['simulate', '--port', '0', '--days', '2', '--runs-per-day', '50', '--timezone', 'UTC'], {}, cwd);
    await simulator.waitFor(/Ctrl-C stops it\./);
    const url = /DIFY_BASE_URL=(http:\/\/127\.0\.0\.1:\d+)/.exec(simulator.output())?.[1];
    assert.ok(url, simulator.output());
    assert.match(simulator.output(), /: 100 runs from \d{4}-\d{2}-\d{2} to yesterday \(UTC\)\./);
    const token = /DIFY_API_TOKEN=(\S+)/.exec(simulator.output())?.[1] ?? '';
    const info = (await (await fetch(`${url}/v1/info`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { mode: string };
    assert.equal(info.mode, 'workflow');
    simulator.child.kill('SIGINT');
    assert.equal(await simulator.exited, 0, simulator.output());
  });

  it('`dev` starts a local Temporal dev server, applies schedules, and Ctrl-C stops all of it', { timeout: 120_000 }, async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'difyscope-dev-'));
    const dev = startCli(['dev'], { DIFY_BASE_URL: dify.url, DIFY_API_TOKEN: FIXTURE_TOKEN, APP_KEY: 'support', LOG_FORMAT: 'json', OUTPUT_DIR: cwd }, cwd);
    await dev.waitFor(/Worker running on .*task queue difyscope/);
    assert.match(dev.output(), /schedule created: difyscope\/support\/daily/);
    assert.match(dev.output(), /schedule created: difyscope\/support\/weekly/);
    assert.match(dev.output(), new RegExp(`state in ${cwd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\.difyscope/temporal\\.db`));
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0, dev.output());
    assert.match(dev.output(), /Stopped\./);
  });
});
