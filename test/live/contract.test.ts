import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DifyClient } from '../../activities/dify/client';
import { loadSettings } from '../../config/load';
import { liveDify, type LiveDify } from './harness';
import { bearer, wire } from './wire';

/**
 * The service API of a real Dify, asserted against what seeding recorded: versions, log
 * paging, date filters, run details and error envelopes.
 */

function clientFor(env: Record<string, string>, overrides: Partial<ConstructorParameters<typeof DifyClient>[0]> = {}): DifyClient {
  const app = loadSettings(env).apps[0];
  if (!app) throw new Error('no app in the settings');
  return new DifyClient({ ...app.dify, retryBaseDelayMs: 10, ...overrides });
}

/** Seeded run ids by the second their log item was created (what Dify filters on). */
function secondsOf(live: LiveDify): Map<number, string[]> {
  const bySecond = new Map<number, string[]>();
  for (const run of live.seed.workflowRuns) {
    if (run.createdAt === null) continue;
    bySecond.set(run.createdAt, [...(bySecond.get(run.createdAt) ?? []), run.id]);
  }
  return bySecond;
}

describe('real Dify: version and service API', () => {
  let live: LiveDify;
  let client: DifyClient;

  before(async () => {
    live = await liveDify();
    client = clientFor(live.workflowEnv);
  });

  after(async () => {
    await client?.close();
  });

  it('announces its version in X-Version on every answer, errors included, and has no GET /v1/', async () => {
    const index = await wire(live.url, '/v1/');
    assert.equal(index.status, 404);
    const version = index.headers.get('x-version');
    assert.ok(version, 'X-Version on the 404 of /v1/');
    for (const answer of [
      await wire(live.url, '/console/api/setup'),
      await wire(live.url, '/v1/info', { headers: bearer('app-not-a-key') }),
      await wire(live.url, '/v1/workflows/logs', { headers: bearer(live.seed.workflowApiKey), query: { limit: 101 } }),
    ]) {
      assert.equal(answer.headers.get('x-version'), version, `X-Version on a ${answer.status}`);
    }
    if (live.seed.serverVersion) assert.equal(version, live.seed.serverVersion);
  });

  it('the client reads the version from the first answer, without a login', async () => {
    const fresh = clientFor(live.workflowEnv);
    try {
      const expected = (await wire(live.url, '/v1/')).headers.get('x-version');
      assert.equal(await fresh.serverVersion(), expected);
    } finally {
      await fresh.close();
    }
  });

  it('logs: total is the seeded count; pages hold only seeded runs, unstable where rows share a second', async () => {
    const seeded = new Set(live.seed.workflowRuns.map((run) => run.id));
    const first = await wire(live.url, '/v1/workflows/logs', { headers: bearer(live.seed.workflowApiKey), query: { page: 1, limit: 7 } });
    assert.equal(first.status, 200);
    const envelope = first.json as { total: number; has_more: boolean; page: number; limit: number; data: unknown[] };
    assert.deepEqual({ total: envelope.total, has_more: envelope.has_more, page: envelope.page, limit: envelope.limit, rows: envelope.data.length }, { total: seeded.size, has_more: true, page: 1, limit: 7, rows: 7 });

    // Dify orders by created_at alone, in whole seconds: rows sharing a second may move between
    // pages from one query to the next, so page numbers alone can repeat or skip a run.
    let rows = 0;
    for (let page = 1; ; page += 1) {
      const answer = await wire(live.url, '/v1/workflows/logs', { headers: bearer(live.seed.workflowApiKey), query: { page, limit: 7 } });
      const body = answer.json as { has_more: boolean; data: { workflow_run: { id: string } }[] };
      for (const item of body.data) assert.ok(seeded.has(item.workflow_run.id), `unseeded run ${item.workflow_run.id}`);
      rows += body.data.length;
      if (!body.has_more) break;
    }
    assert.equal(rows, seeded.size);
    const past = await wire(live.url, '/v1/workflows/logs', { headers: bearer(live.seed.workflowApiKey), query: { page: Math.ceil(seeded.size / 7) + 1, limit: 7 } });
    assert.equal(past.status, 200);
    assert.deepEqual((past.json as { data: unknown[]; has_more: boolean }).data, []);
  });

  it('date filters: both bounds inclusive, whole seconds, naive ISO = UTC', async () => {
    const bySecond = secondsOf(live);
    const [busiest] = [...bySecond.entries()].sort((a, b) => b[1].length - a[1].length || a[0] - b[0]);
    assert.ok(busiest, 'seeded runs');
    const [second, ids] = busiest;
    const naive = new Date(second * 1000).toISOString().slice(0, 19);
    const answer = await wire(live.url, '/v1/workflows/logs', {
      headers: bearer(live.seed.workflowApiKey),
      query: { limit: 100, created_at__after: naive, created_at__before: naive },
    });
    const body = answer.json as { total: number; data: { created_at: number; workflow_run: { id: string } }[] };
    assert.equal(body.total, ids.length);
    assert.deepEqual(body.data.map((item) => item.workflow_run.id).sort(), [...ids].sort());
    const epoch = await wire(live.url, '/v1/workflows/logs', { headers: bearer(live.seed.workflowApiKey), query: { created_at__before: second } });
    assert.equal(epoch.status, 400);
    assert.deepEqual(epoch.json, { code: 'invalid_param', message: 'ISO time too short', status: 400 });
  });

  it('the client: half-open windows [from, to) partition the seeded runs exactly', async () => {
    const bySecond = secondsOf(live);
    const seconds = [...bySecond.keys()].sort((a, b) => a - b);
    const lo = seconds[0] ?? 0;
    const hi = (seconds[seconds.length - 1] ?? 0) + 1;
    // Cut the seeded span into windows at seconds that hold runs, so every cut is a tie on Dify's inclusive bound.
    const cuts = [lo, ...seconds.filter((_, i) => i % 9 === 5), hi];
    const seen: string[] = [];
    let dropped = 0;
    for (let i = 0; i + 1 < cuts.length; i += 1) {
      const from = new Date((cuts[i] ?? 0) * 1000).toISOString();
      const to = new Date((cuts[i + 1] ?? 0) * 1000).toISOString();
      const page = await client.logsPage({ page: 1, limit: 100, from, to });
      assert.equal(page.hasMore, false);
      const expected = live.seed.workflowRuns.filter((run) => (run.createdAt ?? 0) >= (cuts[i] ?? 0) && (run.createdAt ?? 0) < (cuts[i + 1] ?? 0));
      assert.deepEqual(page.items.map((item) => item.workflow_run?.id).sort(), expected.map((run) => run.id).sort(), `window ${from} .. ${to}`);
      seen.push(...page.items.map((item) => item.workflow_run?.id ?? item.id));
      dropped += page.outsideWindow;
    }
    assert.deepEqual(seen.sort(), live.seed.workflowRuns.map((run) => run.id).sort());
    // Each inner cut's runs came back twice from Dify (inclusive at both ends) and were dropped once.
    assert.equal(dropped, cuts.slice(1, -1).reduce((sum, cut) => sum + (bySecond.get(cut)?.length ?? 0), 0));
  });
});
