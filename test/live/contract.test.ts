import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DifyClient } from '../../activities/dify/client';
import { isDifyError } from '../../activities/dify/errors';
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
  it('run detail: inputs a JSON string with sys.* keys, outputs an object, failed runs answer 200 with the error', async () => {
    const succeeded = live.seed.workflowRuns.find((run) => run.status === 'succeeded');
    const failed = live.seed.workflowRuns.find((run) => run.status === 'failed');
    assert.ok(succeeded && failed);
    const raw = await wire(live.url, `/v1/workflows/run/${succeeded.id}`, { headers: bearer(live.seed.workflowApiKey) });
    assert.equal(raw.status, 200);
    const body = raw.json as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['created_at', 'elapsed_time', 'error', 'finished_at', 'id', 'inputs', 'outputs', 'status', 'total_steps', 'total_tokens', 'workflow_id']);
    assert.equal(typeof body.inputs, 'string');
    const inputs = JSON.parse(body.inputs as string) as Record<string, unknown>;
    assert.equal(inputs.query, succeeded.query);
    assert.equal(inputs['sys.user_id'], succeeded.user);
    assert.equal(inputs['sys.workflow_run_id'], succeeded.id);
    assert.deepEqual(body.outputs, succeeded.outputs);
    assert.equal(typeof body.created_at, 'number');

    for (const run of [succeeded, failed]) {
      const detail = await client.runDetail(run.id);
      assert.ok(detail);
      assert.deepEqual(
        { id: detail.id, status: detail.status, error: detail.error ?? null, steps: detail.total_steps, finished: detail.finished_at },
        { id: run.id, status: run.status, error: run.error, steps: run.totalSteps, finished: run.runFinishedAt },
      );
      // The blocking run's answer and the stored run may disagree on created_at by a second;
      // the log item is written last, so it is never earlier.
      assert.ok(Math.abs(Number(detail.created_at) - (run.runCreatedAt ?? 0)) <= 1, `created_at ${detail.created_at} vs ${run.runCreatedAt}`);
      assert.ok(Number(detail.created_at) <= (run.createdAt ?? 0));
    }
    const failedRaw = await wire(live.url, `/v1/workflows/run/${failed.id}`, { headers: bearer(live.seed.workflowApiKey) });
    assert.equal(failedRaw.status, 200);
    assert.deepEqual((failedRaw.json as { outputs: unknown }).outputs, {});
    assert.equal(await client.runDetail('00000000-0000-4000-8000-000000000000'), null);
  });

  it('error envelopes', async () => {
    const key = bearer(live.seed.workflowApiKey);
    const cases: [string, Awaited<ReturnType<typeof wire>>, number, Record<string, unknown>][] = [
      ['non-UUID run id', await wire(live.url, '/v1/workflows/run/nope', { headers: key }), 500, { message: 'Internal Server Error', code: 'unknown', status: 500 }],
      ['unknown run', await wire(live.url, '/v1/workflows/run/00000000-0000-4000-8000-000000000000', { headers: key }), 404, { code: 'not_found', message: 'Workflow run not found.', status: 404 }],
      ['wrong key', await wire(live.url, '/v1/info', { headers: bearer('app-not-a-key') }), 401, { code: 'unauthorized', message: 'Access token is invalid', status: 401 }],
      ['no key', await wire(live.url, '/v1/info'), 401, { code: 'unauthorized', message: "Authorization header must be provided and start with 'Bearer'", status: 401 }],
      ['second setup', await wire(live.url, '/console/api/setup', { method: 'POST', body: { email: 'x@example.com', name: 'x', password: 'Passw0rd123' } }), 403, { error: { type: 'authorization_error', message: 'Forbidden', status: 403 } }],
      ['GET workspaces/current', await wire(live.url, '/console/api/workspaces/current'), 405, { code: 'method_not_allowed', message: 'The method is not allowed for the requested URL.', status: 405 }],
    ];
    for (const [what, answer, status, body] of cases) {
      assert.equal(answer.status, status, what);
      assert.deepEqual(answer.json, body, what);
    }
    for (const query of [{ limit: 101 }, { limit: 0 }, { status: 'partial-succeeded' }] as Record<string, string | number>[]) {
      const answer = await wire(live.url, '/v1/workflows/logs', { headers: key, query });
      assert.equal(answer.status, 400, JSON.stringify(query));
      const envelope = answer.json as { code: string; message: string; status: number };
      assert.equal(envelope.code, 'invalid_param');
      assert.equal(envelope.status, 400);
      assert.match(envelope.message, /^1 validation error for WorkflowLogQuery\n/);
    }
    const chat = await wire(live.url, '/v1/workflows/logs', { headers: bearer(live.seed.chatApiKey) });
    assert.deepEqual(chat.json, { page: 1, limit: 20, total: 0, has_more: false, data: [] });

    const wrongKey = clientFor({ ...live.workflowEnv, DIFY_API_TOKEN: 'app-not-a-key' });
    try {
      await assert.rejects(wrongKey.appInfo(), (error: unknown) => {
        assert.ok(isDifyError(error));
        assert.deepEqual({ kind: error.kind, retryable: error.retryable, setting: error.setting }, { kind: 'auth', retryable: false, setting: 'DIFY_API_TOKEN' });
        assert.ok(!error.message.includes('app-not-a-key'));
        return true;
      });
    } finally {
      await wrongKey.close();
    }
  });
});
