import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DifyClient } from '../activities/dify/client';
import { RequestGate, TokenBucket } from '../activities/dify/rate-limiter';
import { MAX_SHARDS, shardPlan, shardWindow } from '../workflows/shards';
import { startDifyServer } from '../simulator/dify-server';
import { API_TOKEN, evenlySpaced, makeStore } from './fixtures/dify-store';
import { DAY_TO_S, dayPlan } from './fixtures/day-plan';

/**
 * The collection building blocks without a Temporal server: the request gate and the shard
 * arithmetic. Log paging is tested in lossless-paging.test.ts, end to end in faults.test.ts.
 */

// 2025-03-01T00:00:00Z and the next day.
const TO_S = DAY_TO_S;

const plan = dayPlan;

describe('RequestGate', () => {
  it('keeps at most `concurrency` requests in flight', async () => {
    const gate = new RequestGate({ concurrency: 3 });
    let inFlight = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        gate.run(async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 10));
          inFlight -= 1;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.equal(gate.peakInFlight, 3);
  });

  it('caps the start rate at maxRps with a burst of a tenth of a second', async () => {
    const gate = new RequestGate({ concurrency: 50, maxRps: 100 });
    const starts: number[] = [];
    const began = Date.now();
    await Promise.all(Array.from({ length: 40 }, () => gate.run(async () => void starts.push(Date.now() - began))));
    // 10 tokens at once, then one every 10 ms: the 40th starts after about 300 ms.
    const last = Math.max(...starts);
    assert.ok(last >= 280, `40 requests at 100/s started within ${last} ms`);
    assert.ok(last < 700, `rate cap far too slow: ${last} ms`);
  });

  it('holds requests that have not started during a Retry-After pause', async () => {
    const gate = new RequestGate({ concurrency: 4 });
    gate.pauseFor(150);
    const began = Date.now();
    await gate.run(async () => undefined);
    assert.ok(Date.now() - began >= 140);
  });

  it('TokenBucket serves waiters in arrival order', async () => {
    const bucket = new TokenBucket(50);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4, 5, 6].map((n) => bucket.take().then(() => order.push(n))));
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6]);
  });

  it('is shared by every client of one app, so parallel shards stay within DIFY_CONCURRENCY', async () => {
    const server = await startDifyServer({ store: makeStore(evenlySpaced(40, TO_S - 60)), faults: { latencyMs: 15 } });
    const options = { baseUrl: server.url, apiToken: API_TOKEN, consoleAuth: 'auto' as const, timeoutMs: 2000, maxRetries: 0, concurrency: 3 };
    const clients = [new DifyClient(options), new DifyClient(options)];
    try {
      assert.equal(clients[0]?.gate, clients[1]?.gate);
      const runIds = makeStore(evenlySpaced(40, TO_S - 60)).apps[0]?.logs.map((log) => log.run.id) ?? [];
      await Promise.all(runIds.map((id, n) => clients[n % 2]?.runDetail(id)));
      assert.equal(clients[0]?.gate.peakInFlight, 3);
    } finally {
      for (const client of clients) await client.close();
      await server.close();
    }
  });
});

describe('shardWindow', () => {
  it('keeps windows of up to two days whole', () => {
    const window = { kind: 'range' as const, from: '2025-03-01T00:00:00+08:00', to: '2025-03-03T00:00:00+08:00', timezone: 'Asia/Shanghai', label: '2025-03-01_2025-03-02' };
    assert.deepEqual(shardWindow(window), [{ from: window.from, to: window.to, label: window.label }]);
  });

  it('cuts a week into local days, in order, without gaps or overlaps', () => {
    const window = { kind: 'weekly' as const, from: '2025-03-03T00:00:00+08:00', to: '2025-03-10T00:00:00+08:00', timezone: 'Asia/Shanghai', label: '2025-W10' };
    const shards = shardWindow(window);
    assert.deepEqual(shards.map((shard) => shard.label), ['2025-03-03', '2025-03-04', '2025-03-05', '2025-03-06', '2025-03-07', '2025-03-08', '2025-03-09']);
    assert.deepEqual(shards[0], { from: '2025-03-03T00:00:00+08:00', to: '2025-03-04T00:00:00+08:00', label: '2025-03-03' });
    assert.equal(shards.at(-1)?.to, window.to);
    for (let i = 1; i < shards.length; i += 1) assert.equal(shards[i]?.from, shards[i - 1]?.to);
  });

  it('follows DST: the autumn change day is a 25-hour shard', () => {
    const window = { kind: 'range' as const, from: '2025-10-25T00:00:00+02:00', to: '2025-10-28T00:00:00+01:00', timezone: 'Europe/Berlin', label: 'x' };
    assert.deepEqual(shardWindow(window), [
      { from: '2025-10-25T00:00:00+02:00', to: '2025-10-26T00:00:00+02:00', label: '2025-10-25' },
      { from: '2025-10-26T00:00:00+02:00', to: '2025-10-27T00:00:00+01:00', label: '2025-10-26' },
      { from: '2025-10-27T00:00:00+01:00', to: '2025-10-28T00:00:00+01:00', label: '2025-10-27' },
    ]);
  });

  it('keeps partial first and last days and groups days beyond MAX_SHARDS', () => {
    const partial = shardWindow({ kind: 'range', from: '2025-03-01T06:00:00Z', to: '2025-03-04T12:00:00Z', timezone: 'UTC', label: 'x' });
    assert.deepEqual(partial.map((shard) => [shard.from, shard.to]), [
      ['2025-03-01T06:00:00Z', '2025-03-02T00:00:00Z'],
      ['2025-03-02T00:00:00Z', '2025-03-03T00:00:00Z'],
      ['2025-03-03T00:00:00Z', '2025-03-04T00:00:00Z'],
      ['2025-03-04T00:00:00Z', '2025-03-04T12:00:00Z'],
    ]);
    const year = shardWindow({ kind: 'range', from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z', timezone: 'UTC', label: 'x' });
    // 366 days (2024 is a leap year) in groups of six.
    assert.equal(year.length, 61);
    assert.ok(year.length <= MAX_SHARDS);
    assert.deepEqual(year[0], { from: '2024-01-01T00:00:00Z', to: '2024-01-07T00:00:00Z', label: '2024-01-01_2024-01-06' });
    assert.equal(year.at(-1)?.to, '2025-01-01T00:00:00Z');
  });

  it('gives each shard its own scratch folder under the report’s', () => {
    const shard = shardPlan(plan('.work/range_support'), { from: '2025-03-01T00:00:00Z', to: '2025-03-01T12:00:00Z', label: '2025-03-01' });
    assert.equal(shard.workDir, '.work/range_support/shard-2025-03-01');
    assert.deepEqual([shard.window.from, shard.window.to, shard.window.label], ['2025-03-01T00:00:00Z', '2025-03-01T12:00:00Z', '2025-03-01']);
  });
});
