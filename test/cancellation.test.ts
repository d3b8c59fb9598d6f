import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { heartbeat } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DifyClient } from '../activities/dify/client';
import { withKeepAlive } from '../activities/liveness';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { FIXTURE_TOKEN, fixtureStore } from './fixtures/store-builder';
import { until } from './helpers/processes';

/**
 * A cancelled activity hands back at once: a request in flight is aborted, a retry wait ends,
 * and heartbeats sent while waiting repeat the activity's last progress instead of erasing it.
 */
describe('cancellation of a running activity', () => {
  let dify: RunningDifyServer;
  before(async () => {
    dify = await startDifyServer({ store: fixtureStore([]) });
  });
  after(async () => {
    await dify?.close();
  });

  const client = (retryBaseDelayMs: number): DifyClient =>
    new DifyClient({ baseUrl: dify.url, apiToken: FIXTURE_TOKEN, consoleAuth: 'auto', timeoutMs: 600_000, maxRetries: 5, retryBaseDelayMs });
  const page = { page: 1, from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' };

  it('aborts a request Dify has not answered', { timeout: 20_000 }, async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3000 });
    const dify1 = client(10);
    const before = dify.requests.length;
    dify.hold(() => true);
    try {
      const pending = env.run(() => withKeepAlive(() => dify1.logsPage(page)));
      await until(() => dify.requests.length > before, 'the request reaches Dify');
      env.cancel();
      await assert.rejects(pending, CancelledFailure);
    } finally {
      dify.release();
      await dify1.close();
    }
  });

  it('ends a retry wait, heartbeating the last progress meanwhile', { timeout: 20_000 }, async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 600, heartbeatDetails: { pagesDone: 3 } });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    // Every answer a 503 and a backoff of minutes: only cancellation can end this attempt soon.
    dify.setFaults({ serverErrorEvery: 1, serverErrorStatus: 503 });
    const dify1 = client(600_000);
    try {
      const pending = env.run(() =>
        withKeepAlive(async () => {
          heartbeat({ pagesDone: 4 });
          return dify1.logsPage(page);
        }),
      );
      await until(() => beats.length >= 4, 'heartbeats during the wait');
      env.cancel();
      await assert.rejects(pending, CancelledFailure);
    } finally {
      dify.setFaults({});
      await dify1.close();
    }
    assert.equal(dify.requests.filter((request) => request.status === 503).length, 1, 'one attempt, then the wait');
    assert.deepEqual(beats.slice(2), beats.slice(2).map(() => ({ pagesDone: 4 })));
  });
});
