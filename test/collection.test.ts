import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { LogCollection, ReportPlan } from '../common/contracts';
import { collectLogPages, type LogProgress } from '../activities/collect-logs';
import { DifyClient, type LogsPage, type LogsPageParams } from '../activities/dify/client';
import { RequestGate, TokenBucket } from '../activities/dify/rate-limiter';
import { readNdjsonGz, resolveInside } from '../activities/storage';
import { MAX_SHARDS, shardPlan, shardWindow } from '../workflows/shards';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import type { DifyStore } from '../simulator/store';
import { API_TOKEN, evenlySpaced, logId, makeLog, makeStore } from './fixtures/dify-store';

/**
 * The collection building blocks without a Temporal server: the request gate, the shard
 * arithmetic, and log paging (resume, dedupe, completeness re-fetch) in a mocked activity
 * context. The same paths run end to end on a real server in faults.test.ts.
 */

// 2025-03-01T00:00:00Z and the next day.
const FROM_S = 1740787200;
const TO_S = FROM_S + 86400;

function plan(workDir: string): ReportPlan {
  return {
    app: 'support',
    appName: 'Support',
    window: { kind: 'range', from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z', timezone: 'UTC', label: '2025-03-01' },
    level: 'logs',
    formats: ['csv'],
    locale: 'en',
    folder: 'support/range/2025-03-01',
    workDir,
    previousFolder: 'support/range/2025-02-28',
  };
}

/** A client whose `logsPage` can be intercepted, as a misbehaving Dify or proxy would answer. */
class HookedClient extends DifyClient {
  constructor(
    url: string,
    private readonly hook: (params: LogsPageParams, fetch: () => Promise<LogsPage>) => Promise<LogsPage>,
  ) {
    super({ baseUrl: url, apiToken: API_TOKEN, consoleAuth: 'auto', timeoutMs: 2000, maxRetries: 2, retryBaseDelayMs: 5 });
  }

  override logsPage(params: LogsPageParams): Promise<LogsPage> {
    return this.hook(params, () => super.logsPage(params));
  }
}

const logPages = (server: RunningDifyServer): number[] => server.requests.filter((request) => request.path === '/v1/workflows/logs').map((request) => Number(request.query.page));

async function fetchedIds(outputDir: string, collection: LogCollection): Promise<string[]> {
  const ids: string[] = [];
  for await (const record of readNdjsonGz(resolveInside(outputDir, collection.file))) ids.push((record as { id: string }).id);
  return ids;
}

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

describe('collectLogPages', () => {
  let outputDir: string;
  const servers: RunningDifyServer[] = [];
  const clients: DifyClient[] = [];
  let counter = 0;
  const collect = (env: MockActivityEnvironment, client: DifyClient, p: ReportPlan): Promise<LogCollection> =>
    env.run(async (): Promise<LogCollection> => collectLogPages(client, outputDir, p));

  before(async () => {
    outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-collection-'));
  });
  after(async () => {
    for (const client of clients) await client.close();
    for (const server of servers) await server.close();
  });

  async function setup(store: DifyStore, hook?: (params: LogsPageParams, fetch: () => Promise<LogsPage>) => Promise<LogsPage>): Promise<{ server: RunningDifyServer; client: DifyClient; plan: ReportPlan }> {
    const server = await startDifyServer({ store });
    servers.push(server);
    const client = new HookedClient(server.url, hook ?? ((_, fetch) => fetch()));
    clients.push(client);
    counter += 1;
    return { server, client, plan: plan(`.work/collection-${counter}`) };
  }

  it('pages the window, then resumes a retried attempt after the last page its heartbeat recorded', async () => {
    const { server, client, plan: p } = await setup(makeStore(evenlySpaced(250, TO_S - 60)));
    const heartbeats: LogProgress[] = [];
    let calls = 0;
    const crashing = new HookedClient(server.url, async (_, fetch) => {
      calls += 1;
      if (calls === 3) throw new Error('worker lost');
      return fetch();
    });
    clients.push(crashing);
    const first = new MockActivityEnvironment();
    first.on('heartbeat', (details: LogProgress) => heartbeats.push(details));
    await assert.rejects(collect(first, crashing, p), /worker lost/);
    assert.deepEqual(heartbeats, [{ pagesDone: 1, total: 250 }, { pagesDone: 2, total: 250 }]);

    const retry = new MockActivityEnvironment({ heartbeatDetails: heartbeats.at(-1) });
    const result = await collect(retry, client, p);
    assert.deepEqual(logPages(server), [1, 2, 3]);
    assert.deepEqual({ ...result, file: undefined }, { expected: 250, fetched: 250, duplicates: 0, invalid: 0, pages: 3, refetchedPages: 0, file: undefined });
    assert.equal(new Set(await fetchedIds(outputDir, result)).size, 250);
  });

  it('starts over, discarding stale pages, when no heartbeat vouches for them', async () => {
    const { server, client, plan: p } = await setup(makeStore(evenlySpaced(250, TO_S - 60)));
    await collect(new MockActivityEnvironment(), client, p);
    // A later run of the same workflow id, with fewer runs in the window.
    const smaller = await setup(makeStore(evenlySpaced(120, TO_S - 60)));
    const result = await collect(new MockActivityEnvironment(), smaller.client, p);
    assert.equal(result.fetched, 120);
    assert.equal(result.pages, 2);
    assert.deepEqual(await readdir(resolveInside(outputDir, `${p.workDir}/log-pages`)), ['page-00001.ndjson.gz', 'page-00002.ndjson.gz']);
    assert.deepEqual(logPages(server), [1, 2, 3]);
  });

  it('finds a run that arrived mid-paging at the head by asking for page 1 again', async () => {
    const store = makeStore(evenlySpaced(250, TO_S - 600));
    const app = store.apps[0];
    assert.ok(app);
    const { server, client, plan: p } = await setup(store, async (params, fetch) => {
      const page = await fetch();
      // A run arriving between page 1 and page 2 pushes page 1's last record onto page 2.
      if (params.page === 1 && !app.logs.some((log) => log.id === logId(999))) app.logs.push(makeLog(999, TO_S - 60));
      return page;
    });
    const result = await collect(new MockActivityEnvironment(), client, p);
    assert.deepEqual(logPages(server), [1, 2, 3, 1]);
    assert.deepEqual({ ...result, file: undefined }, { expected: 251, fetched: 251, duplicates: 1, invalid: 0, pages: 3, refetchedPages: 1, file: undefined });
    const ids = await fetchedIds(outputDir, result);
    assert.equal(ids.length, new Set(ids).size);
    assert.ok(ids.includes(logId(999)));
  });

  it('drops and counts a record Dify served twice', async () => {
    const { client, plan: p } = await setup(makeStore(evenlySpaced(150, TO_S - 60)), async (params, fetch) => {
      const page = await fetch();
      // Equal timestamps may come back in another order on the next query: one record twice, one never.
      if (params.page !== 2) return page;
      const first = await client.logsPage({ ...params, page: 1 });
      const repeat = first.items.at(-1);
      return repeat ? { ...page, items: [repeat, ...page.items.slice(1)] } : page;
    });
    const result = await collect(new MockActivityEnvironment(), client, p);
    assert.deepEqual([result.expected, result.fetched, result.duplicates], [150, 149, 1]);
  });

  it('re-fetches a page Dify returned short once, and the report is complete', async () => {
    let dropped = false;
    const { server, client, plan: p } = await setup(makeStore(evenlySpaced(250, TO_S - 60)), async (params, fetch) => {
      const page = await fetch();
      if (params.page !== 2 || dropped) return page;
      dropped = true;
      return { ...page, items: page.items.slice(0, 40) };
    });
    const result = await collect(new MockActivityEnvironment(), client, p);
    assert.deepEqual(logPages(server), [1, 2, 3, 2]);
    assert.deepEqual({ ...result, file: undefined }, { expected: 250, fetched: 250, duplicates: 0, invalid: 0, pages: 3, refetchedPages: 1, file: undefined });
  });

  it('after an empty page mid-window, fetches it and the pages after it once more', async () => {
    let dropped = false;
    const { server, client, plan: p } = await setup(makeStore(evenlySpaced(350, TO_S - 60)), async (params, fetch) => {
      const page = await fetch();
      if (params.page !== 2 || dropped) return page;
      dropped = true;
      return { ...page, items: [] };
    });
    const result = await collect(new MockActivityEnvironment(), client, p);
    assert.deepEqual(logPages(server), [1, 2, 2, 3, 4]);
    assert.equal(result.fetched, 350);
    assert.equal(result.expected, 350);
    assert.equal(result.refetchedPages, 3);
  });

  it('reports the gap when the page stays short after its one re-fetch', async () => {
    const { server, client, plan: p } = await setup(makeStore(evenlySpaced(250, TO_S - 60)), async (params, fetch) => {
      const page = await fetch();
      return params.page === 2 ? { ...page, items: page.items.slice(0, 70) } : page;
    });
    const result = await collect(new MockActivityEnvironment(), client, p);
    assert.deepEqual(logPages(server), [1, 2, 3, 2]);
    assert.deepEqual([result.expected, result.fetched, result.refetchedPages], [250, 220, 1]);
  });

  it('a retry after the re-fetch pass does not repeat it', async () => {
    const { server, client, plan: p } = await setup(makeStore(evenlySpaced(150, TO_S - 60)), async (params, fetch) => {
      const page = await fetch();
      return params.page === 1 ? { ...page, items: page.items.slice(1) } : page;
    });
    const heartbeats: LogProgress[] = [];
    const first = new MockActivityEnvironment();
    first.on('heartbeat', (details: LogProgress) => heartbeats.push(details));
    await collect(first, client, p);
    assert.deepEqual(heartbeats.at(-1), { pagesDone: 2, total: 150, paged: true, refetched: 1 });
    const before = logPages(server).length;
    const again = await collect(new MockActivityEnvironment({ heartbeatDetails: heartbeats.at(-1) }), client, p);
    assert.equal(logPages(server).length, before);
    assert.deepEqual([again.fetched, again.expected, again.refetchedPages], [149, 150, 1]);
  });

  it('drops runs exactly at `to` from both the records and the expected count', async () => {
    const { client, plan: p } = await setup(makeStore([TO_S, ...evenlySpaced(3, TO_S - 60), FROM_S - 1]));
    const result = await collect(new MockActivityEnvironment(), client, p);
    assert.deepEqual([result.expected, result.fetched], [3, 3]);
  });
});
