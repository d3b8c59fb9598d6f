import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DifyClient } from '../../activities/dify/client';
import { isDifyError } from '../../activities/dify/errors';
import { loadSettings } from '../../config/load';
import { startCountingProxy, type CountingProxy } from './counting-proxy';
import { liveDify, type LiveDify } from './harness';
import { stateRedis } from './real-dify';
import { cookiesOf, wire } from './wire';

/**
 * The console API of a real Dify: the login flavour, cookies + X-CSRF-Token on GETs, node
 * executions of every seeded run, session renewal and the cost of a wrong password, counted
 * on the wire by a proxy in front of Dify (and by Dify's own lockout counter when the
 * launcher started the server, so its Redis is at hand).
 */

const LOGIN = '/console/api/login';
const REFRESH = '/console/api/refresh-token';

function clientVia(live: LiveDify, baseUrl: string, overrides: Record<string, string> = {}): DifyClient {
  const app = loadSettings({ ...live.workflowEnv, DIFY_BASE_URL: baseUrl, ...overrides }).apps[0];
  if (!app) throw new Error('no app in the settings');
  return new DifyClient({ ...app.dify, retryBaseDelayMs: 10 });
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('real Dify: console login and node executions', () => {
  let live: LiveDify;
  let proxy: CountingProxy;

  before(async () => {
    live = await liveDify();
    proxy = await startCountingProxy(live.url);
  });

  after(async () => {
    await proxy?.close();
  });

  it('login wants a base64 password, answers {result: success} and sets the session as cookies', async () => {
    const { consoleEmail: email, consolePassword: password } = live.seed;
    const plain = await wire(live.url, LOGIN, { method: 'POST', body: { email, password, remember_me: true } });
    assert.equal(plain.status, 401);
    assert.deepEqual(plain.json, { code: 'authentication_failed', message: 'Invalid encrypted data', status: 401 });

    const login = await wire(live.url, LOGIN, { method: 'POST', body: { email, password: base64(password), remember_me: true } });
    assert.equal(login.status, 200);
    assert.deepEqual(login.json, { result: 'success' });
    const jar = cookiesOf(login);
    assert.deepEqual([...jar.keys()].sort(), ['access_token', 'csrf_token', 'refresh_token']);

    // Every console call, GETs included, needs X-CSRF-Token equal to the csrf_token cookie.
    const run = live.seed.workflowRuns[0];
    assert.ok(run);
    const path = `/console/api/apps/${live.seed.workflowAppId}/workflow-runs/${run.id}/node-executions`;
    const cookie = `access_token=${jar.get('access_token')}; csrf_token=${jar.get('csrf_token')}`;
    const noCsrf = await wire(live.url, path, { headers: { cookie } });
    assert.equal(noCsrf.status, 401);
    assert.deepEqual(noCsrf.json, { code: 'unauthorized', message: 'CSRF token is missing or invalid.', status: 401 });
    const withCsrf = await wire(live.url, path, { headers: { cookie, 'x-csrf-token': jar.get('csrf_token') ?? '' } });
    assert.equal(withCsrf.status, 200);
    assert.equal((withCsrf.json as { data: unknown[] }).data.length, run.totalSteps);
  });

  it('the client: one login, node executions of every seeded run match the run', async () => {
    const before = proxy.requests.length;
    const client = clientVia(live, proxy.url);
    try {
      let nodes = 0;
      for (const run of live.seed.workflowRuns) {
        const executions = await client.nodeExecutions(run.id);
        nodes += executions.length;
        assert.equal(executions.length, run.totalSteps, `nodes of run ${run.id}`);
        assert.deepEqual(executions.map((node) => node.index), executions.map((_, i) => i + 1));
        assert.equal(executions[0]?.node_type, 'start');
        const failed = executions.filter((node) => node.status === 'failed');
        if (run.status === 'failed') {
          assert.equal(failed.length, 1, `one failed node in run ${run.id}`);
          assert.equal(failed[0]?.node_type, 'http-request');
          assert.equal(failed[0]?.error, run.error);
        } else {
          assert.deepEqual(failed, []);
          assert.deepEqual(executions.map((node) => node.node_type), ['start', 'if-else', 'http-request', 'variable-aggregator', 'end']);
        }
      }
      assert.equal(nodes, live.seed.workflowRuns.reduce((sum, run) => sum + (run.totalSteps ?? 0), 0));
      const mine = proxy.requests.slice(before);
      assert.equal(mine.filter((r) => r.path === LOGIN).length, 1, 'one login for all runs');
      assert.equal(mine.filter((r) => r.path === REFRESH).length, 0);
      // A client that has heard nothing from Dify yet learns the version (login flavour) from
      // the X-Version header of GET /v1/, a 404 on 1.14; everything else answers 200.
      assert.deepEqual(mine.filter((r) => r.status !== 200), [{ method: 'GET', path: '/v1/', status: 404 }]);
      assert.equal(mine.findIndex((r) => r.path === '/v1/'), 0, 'the version is known before the login');
    } finally {
      await client.close();
    }
  });

  it('a session Dify rejects is renewed with one refresh, not a second login', async () => {
    const client = clientVia(live, proxy.url);
    const [first, second] = live.seed.workflowRuns;
    assert.ok(first && second);
    try {
      await client.nodeExecutions(first.id);
      const before = proxy.requests.length;
      proxy.spoilAccessToken(1);
      const nodes = await client.nodeExecutions(second.id);
      assert.equal(nodes.length, second.totalSteps);
      const mine = proxy.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, ':id')} ${r.status}`);
      assert.deepEqual(mine, [
        'GET /console/api/apps/:id/workflow-runs/:id/node-executions 401',
        'POST /console/api/refresh-token 200',
        'GET /console/api/apps/:id/workflow-runs/:id/node-executions 200',
      ]);
    } finally {
      await client.close();
    }
  });

  it('a wrong password costs exactly one failed login, however often node executions are asked for', async () => {
    const email = live.seed.consoleEmail;
    const counter = async (): Promise<string | undefined> => (live.state ? stateRedis(live.state, 'GET', `login_error_rate_limit:${email.toLowerCase()}`) : undefined);
    const before = proxy.requests.length;
    const counterBefore = await counter();
    const client = clientVia(live, proxy.url, { DIFY_CONSOLE_PASSWORD: `${live.seed.consolePassword}-wrong` });
    try {
      const run = live.seed.workflowRuns[0];
      assert.ok(run);
      const messages: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        await assert.rejects(client.nodeExecutions(run.id), (error: unknown) => {
          assert.ok(isDifyError(error));
          assert.equal(error.kind, 'auth');
          assert.equal(error.retryable, false);
          messages.push(error.message);
          return true;
        });
      }
      const logins = proxy.requests.slice(before).filter((r) => r.path === LOGIN);
      assert.deepEqual(logins, [{ method: 'POST', path: LOGIN, status: 401 }]);
      assert.ok(!messages.some((m) => m.includes(live.seed.consolePassword)), 'no password in the error');
      if (live.state) {
        // Dify's own count of failed logins for the account, which locks it after 5.
        assert.equal(Number((await counter()) || 0), Number(counterBefore || 0) + 1);
      }
    } finally {
      await client.close();
    }
    // A good login resets Dify's counter, so repeated test runs never lock the account.
    const reset = await wire(live.url, LOGIN, { method: 'POST', body: { email, password: base64(live.seed.consolePassword), remember_me: true } });
    assert.equal(reset.status, 200);
    if (live.state) assert.equal(await counter(), '');
  });
});
