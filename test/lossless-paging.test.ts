import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { LogCollection, ReportPlan } from '../common/contracts';
import { collectLogPages } from '../activities/collect-logs';
import type { LogProgress } from '../common/collection-progress';
import { DifyClient, type LogsPage, type LogsPageParams } from '../activities/dify/client';
import { readNdjsonGz, resolveInside } from '../activities/storage';
import { PROFILES, startDifyServer, type EraProfileName, type RunningDifyServer } from '../simulator/dify-server';
import { API_TOKEN, logId, makeLog, makeStore } from './fixtures/dify-store';
import { DAY_FROM_S, DAY_TO_S, dayPlan } from './fixtures/day-plan';

/**
 * Log paging loses nothing when many runs share a second and the simulated Dify returns tied
 * runs in a new order on every request (as PostgreSQL does for `ORDER BY created_at DESC`
 * without a tiebreaker): with date filters (time cursor) and without (0.x: offset pages asked
 * again until every tied position is accounted for), in every login era.
 */

// 2025-03-01T00:00:00Z and the next day.
const FROM_S = DAY_FROM_S;
const TO_S = DAY_TO_S;

const plan = dayPlan;

/**
 * Bursts of runs sharing one second, between ordinary runs: 30, 99, 100, 101, 150 and 250 in a
 * second, bursts on both sides of the window's bounds (which must stay out), and a burst at
 * the window's first second (which must be in). 1,200 runs in the window.
 */
export function burstSeconds(): { seconds: number[]; inWindow: number } {
  const seconds: number[] = [];
  const burst = (at: number, count: number): void => {
    for (let n = 0; n < count; n += 1) seconds.push(at);
  };
  burst(TO_S, 40); // exactly at `to`: the next window's
  burst(TO_S + 5, 30);
  burst(TO_S - 1, 30);
  burst(TO_S - 100, 99);
  burst(TO_S - 200, 100);
  burst(TO_S - 300, 101);
  burst(TO_S - 400, 250);
  burst(TO_S - 401, 150);
  for (let n = 0; n < 300; n += 1) seconds.push(TO_S - 1000 - n * 7 - (n % 3)); // ordinary runs, some pairs tied
  burst(FROM_S + 1, 20);
  burst(FROM_S, 150); // the window's first second
  burst(FROM_S - 1, 60); // the previous window's
  const inWindow = seconds.filter((s) => s >= FROM_S && s < TO_S).length;
  return { seconds, inWindow };
}

class CountingClient extends DifyClient {
  asked = 0;
  constructor(
    url: string,
    private readonly hook?: (params: LogsPageParams, fetch: () => Promise<LogsPage>) => Promise<LogsPage>,
  ) {
    super({ baseUrl: url, apiToken: API_TOKEN, consoleAuth: 'auto', timeoutMs: 5000, maxRetries: 3, retryBaseDelayMs: 5 });
  }

  override logsPage(params: LogsPageParams): Promise<LogsPage> {
    this.asked += 1;
    return this.hook ? this.hook(params, () => super.logsPage(params)) : super.logsPage(params);
  }
}

const collect = (env: MockActivityEnvironment, client: DifyClient, p: ReportPlan): Promise<LogCollection> =>
  env.run(async (): Promise<LogCollection> => collectLogPages(client, outputDirOf(), p));

let outputDir = '';
const outputDirOf = (): string => outputDir;

async function ids(outputDir: string, collection: LogCollection): Promise<string[]> {
  const found: string[] = [];
  for await (const record of readNdjsonGz(resolveInside(outputDir, collection.file))) found.push((record as { id: string }).id);
  return found;
}

describe('lossless log paging with tied seconds reordered on every request', () => {
  const servers: RunningDifyServer[] = [];
  const clients: DifyClient[] = [];
  let counter = 0;

  before(async () => {
    outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-lossless-'));
  });
  after(async () => {
    for (const client of clients) await client.close();
    for (const server of servers) await server.close();
  });

  async function setup(profile: EraProfileName, seconds: number[], hook?: ConstructorParameters<typeof CountingClient>[1], tieOrder: 'shuffled' | 'per-query' = 'shuffled') {
    const server = await startDifyServer({ store: makeStore(seconds), profile, tieSeed: counter + 7, tieOrder });
    servers.push(server);
    const client = new CountingClient(server.url, hook);
    clients.push(client);
    counter += 1;
    return { server, client, plan: plan(`.work/lossless-${counter}`) };
  }

  const expectedIds = (seconds: number[]): string[] =>
    seconds.flatMap((at, n) => (at >= FROM_S && at < TO_S ? [logId(n)] : [])).sort();

  for (const profile of Object.keys(PROFILES) as EraProfileName[]) {
    it(`${profile} (${PROFILES[profile].logDateFilters ? 'time cursor' : 'offset pages, no date filters'}): every run of the window once, 0 lost`, { timeout: 120_000 }, async () => {
      const { seconds, inWindow } = burstSeconds();
      const { server, client, plan: p } = await setup(profile, seconds);
      const result = await collect(new MockActivityEnvironment(), client, p);
      const found = await ids(outputDir, result);
      assert.equal(found.length, new Set(found).size, 'a run written twice');
      assert.deepEqual([...found].sort(), expectedIds(seconds));
      assert.deepEqual([result.expected, result.fetched, result.duplicates, result.invalid], [inWindow, inWindow, 0, 0]);
      const asked = server.requests.filter((request) => request.path === '/v1/workflows/logs');
      if (PROFILES[profile].logDateFilters) {
        // Every bound sent is ISO, whole-second start or end.
        for (const request of asked) {
          assert.match(request.query.created_at__before ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.999999)?Z$/);
          assert.match(request.query.created_at__after ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        }
      }
    });
  }

  for (const profile of Object.keys(PROFILES) as EraProfileName[]) {
    it(`${profile}, ties in an order of their own per distinct query (the same when asked again, as measured on Dify 1.14.1): 0 lost`, { timeout: 120_000 }, async () => {
      const { seconds, inWindow } = burstSeconds();
      const { client, plan: p } = await setup(profile, seconds, undefined, 'per-query');
      const result = await collect(new MockActivityEnvironment(), client, p);
      const found = await ids(outputDir, result);
      assert.equal(found.length, new Set(found).size, 'a run written twice');
      assert.deepEqual([...found].sort(), expectedIds(seconds));
      assert.deepEqual([result.expected, result.fetched], [inWindow, inWindow]);
    });
  }

  it('offset paging without the re-asking would lose runs here: the simulator really reorders ties', async () => {
    const { seconds, inWindow } = burstSeconds();
    const { server } = await setup('cookie', seconds);
    const found = new Set<string>();
    const client = new CountingClient(server.url);
    clients.push(client);
    for (let page = 1; ; page += 1) {
      const answer = await client.logsPage({ page, limit: 100, from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' });
      for (const item of answer.items) found.add(item.id);
      if (!answer.hasMore) break;
    }
    assert.ok(found.size < inWindow, `plain offset paging found all ${found.size}`);
  });

  it('resumes from the state an attempt left on disk, reading only its own chain, and finishes with 0 lost', { timeout: 60_000 }, async () => {
    const { seconds, inWindow } = burstSeconds();
    let calls = 0;
    const { server, plan: p } = await setup('cookie-base64', seconds);
    const crashing = new CountingClient(server.url, async (_, fetch) => {
      calls += 1;
      if (calls === 9) throw new Error('worker lost');
      return fetch();
    });
    clients.push(crashing);
    const heartbeats: LogProgress[] = [];
    const first = new MockActivityEnvironment({ attempt: 1 });
    first.on('heartbeat', (details: LogProgress) => heartbeats.push(details));
    await assert.rejects(collect(first, crashing, p), /worker lost/);
    assert.equal(heartbeats.at(-1)?.answers, 8);

    // The retry gets no heartbeat details (throttled away): the state file on disk suffices.
    const client = new CountingClient(server.url);
    clients.push(client);
    const before = server.requests.length;
    const result = await collect(new MockActivityEnvironment({ attempt: 2 }), client, p);
    const firstAsked = server.requests.slice(0, before).filter((request) => request.path === '/v1/workflows/logs').length;
    assert.equal(firstAsked, 8);
    assert.deepEqual([result.expected, result.fetched], [inWindow, inWindow]);
    assert.deepEqual([...(await ids(outputDir, result))].sort(), expectedIds(seconds));
    const names = await readdir(resolveInside(outputDir, `${p.workDir}/log-pages/00000000`));
    assert.equal(names.filter((name) => name.endsWith('-a1.ndjson.gz')).length, 8);
    assert.ok(names.some((name) => name.endsWith('-a2.ndjson.gz')));
  });

  it('an older attempt that keeps running never touches the newer attempt’s files', { timeout: 60_000 }, async () => {
    const { seconds, inWindow } = burstSeconds();
    const { server, plan: p } = await setup('cookie', seconds);
    const newer = new CountingClient(server.url);
    clients.push(newer);
    const result = await collect(new MockActivityEnvironment({ attempt: 3 }), newer, p);
    const newerFile = result.file;
    // The stale attempt 2 runs its whole course afterwards, in the same folder.
    const stale = new CountingClient(server.url);
    clients.push(stale);
    const staleResult = await collect(new MockActivityEnvironment({ attempt: 2 }), stale, p);
    assert.notEqual(staleResult.file, newerFile);
    assert.deepEqual([...(await ids(outputDir, result))].sort(), expectedIds(seconds));
    assert.equal((await ids(outputDir, result)).length, inWindow);
  });

  it('a run Dify leaves out of one answer is found by the second pass Dify’s count asks for', { timeout: 60_000 }, async () => {
    const { seconds, inWindow } = burstSeconds();
    let dropped = false;
    const { client, plan: p } = await setup('cookie', seconds, async (params, fetch) => {
      const page = await fetch();
      if (dropped || params.limit === 1 || page.items.length < 50) return page;
      dropped = true;
      // A lagging replica: one run missing from the middle of a page.
      return { ...page, items: [...page.items.slice(0, 20), ...page.items.slice(21)] };
    });
    const result = await collect(new MockActivityEnvironment(), client, p);
    assert.equal(dropped, true);
    assert.deepEqual([result.expected, result.fetched], [inWindow, inWindow]);
    assert.ok((result.refetchedPages ?? 0) > 0);
  });

  it('drops logs exactly at `to` and before `from` from the records and the count', async () => {
    const { client, plan: p } = await setup('cookie', [TO_S, TO_S - 60, TO_S - 120, TO_S - 180, FROM_S - 1]);
    const result = await collect(new MockActivityEnvironment(), client, p);
    assert.deepEqual([result.expected, result.fetched], [3, 3]);
  });

  it('an empty window: nothing asked beyond one page and the count', async () => {
    const { client, plan: p } = await setup('cookie', [TO_S + 60]);
    const result = await collect(new MockActivityEnvironment(), client, p);
    assert.deepEqual([result.expected, result.fetched, client.asked], [0, 0, 2]);
  });

  it('a later run of the same workflow id starts afresh and removes the earlier run’s scratch', async () => {
    const { client, plan: p } = await setup('cookie', [TO_S - 60, TO_S - 120, TO_S - 180]);
    await collect(new MockActivityEnvironment({ attempt: 4 }), client, p);
    const smaller = await setup('cookie', [TO_S - 60]);
    const workflowExecution = { workflowId: 'test', runId: '11111111-0000-0000-0000-000000000000' };
    const result = await collect(new MockActivityEnvironment({ workflowExecution }), smaller.client, p);
    assert.deepEqual([result.expected, result.fetched], [1, 1]);
    assert.deepEqual(await readdir(resolveInside(outputDir, `${p.workDir}/log-pages`)), ['11111111']);
  });

  it('makeLog ids are unique per position', () => {
    assert.notEqual(makeLog(1, 0).id, makeLog(2, 0).id);
  });
});
