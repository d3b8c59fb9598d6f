import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConsoleCredentials } from '../config/load';
import type { ConsoleAuthMode } from '../config/schema';
import { DifyClient, type DifyClientOptions } from '../activities/dify/client';
import { pickConsoleEra } from '../activities/dify/console-era';
import { DifyError } from '../activities/dify/errors';
import { parseRetryAfter } from '../activities/dify/retry';
import { PROFILES, startDifyServer, type DifyFaults, type DifyProfile, type EraProfileName, type RecordedRequest, type RunningDifyServer } from '../simulator/dify-server';
import type { DifyStore } from '../simulator/store';
import { API_TOKEN, APP_ID, CHAT_API_TOKEN, CONSOLE_EMAIL, CONSOLE_PASSWORD, evenlySpaced, makeStore, runId, uuid } from './fixtures/dify-store';

// 2025-03-01T00:00:00Z and the next day: the window most tests collect.
const FROM_S = 1740787200;
const TO_S = FROM_S + 86400;
const FROM = '2025-03-01T08:00:00+08:00';
const TO = '2025-03-02T08:00:00+08:00';
const FROM_Z = '2025-03-01T00:00:00Z';
const TO_Z = '2025-03-02T00:00:00Z';

const PASSWORD_LOGIN: ConsoleCredentials = { kind: 'password', email: CONSOLE_EMAIL, password: CONSOLE_PASSWORD };
const BASE64_PASSWORD = Buffer.from(CONSOLE_PASSWORD, 'utf8').toString('base64');

interface Harness {
  server: RunningDifyServer;
  client: DifyClient;
  /** Every client that was created, closed at the end. */
  clients: DifyClient[];
  newClient(overrides?: Partial<DifyClientOptions>): DifyClient;
}

async function withDify(
  setup: { store?: DifyStore; profile?: DifyProfile | EraProfileName; faults?: DifyFaults; client?: Partial<DifyClientOptions> },
  body: (h: Harness) => Promise<void>,
): Promise<void> {
  const server = await startDifyServer({ store: setup.store ?? makeStore(evenlySpaced(5, TO_S - 60)), profile: setup.profile, faults: setup.faults });
  const clients: DifyClient[] = [];
  const newClient = (overrides: Partial<DifyClientOptions> = {}): DifyClient => {
    const client = new DifyClient({
      baseUrl: server.url,
      apiToken: API_TOKEN,
      appId: APP_ID,
      consoleAuth: 'auto' satisfies ConsoleAuthMode,
      timeoutMs: 2_000,
      maxRetries: 3,
      retryBaseDelayMs: 5,
      ...setup.client,
      ...overrides,
    });
    clients.push(client);
    return client;
  };
  const client = newClient();
  try {
    await body({ server, client, clients, newClient });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  }
}

const SECRETS = [API_TOKEN, CHAT_API_TOKEN, CONSOLE_PASSWORD, BASE64_PASSWORD, 'WrongPassw0rd1', Buffer.from('WrongPassw0rd1').toString('base64')];

/** Awaits a rejection and checks it is a DifyError without any secret in its text. */
async function difyError(promise: Promise<unknown>, extraSecrets: string[] = []): Promise<DifyError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DifyError, `expected DifyError, got ${String(error)}`);
    const text = `${error.message}\n${error.stack ?? ''}\n${String(error)}`;
    for (const secret of [...SECRETS, ...extraSecrets].filter((value) => value.length >= 4)) assert.ok(!text.includes(secret), `secret leaked in: ${error.message}`);
    return error;
  }
  assert.fail('expected a rejection');
}

const paths = (requests: RecordedRequest[]): string[] => requests.map((r) => `${r.method} ${r.path} ${r.status}`);
const cookieValue = (header: string | undefined, name: string): string | undefined =>
  header
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${name}=`))
    ?.slice(name.length + 1);

void describe('pickConsoleEra', () => {
  void it('maps release numbers to login eras at the chosen boundaries', () => {
    const cases: [string, string][] = [
      ['0.6.16', 'legacy'],
      ['0.9.2', 'legacy'],
      ['0.10.0', 'tokenpair'],
      ['0.15.3', 'tokenpair'],
      ['1.9.1', 'tokenpair'],
      ['1.9.2', 'cookie'],
      ['1.10.1', 'cookie'],
      ['1.11.1', 'cookie'],
      ['1.11.2', 'cookie-base64'],
      ['v1.13.0', 'cookie-base64'],
      ['1.11.2-fix.1', 'cookie-base64'],
      ['2.0', 'cookie-base64'],
    ];
    for (const [version, era] of cases) assert.equal(pickConsoleEra(version), era, version);
  });

  void it('refuses an unreadable version with a config error naming DIFY_CONSOLE_AUTH', () => {
    assert.throws(() => pickConsoleEra('nightly'), (error: unknown) => error instanceof DifyError && error.kind === 'config' && !error.retryable && /DIFY_CONSOLE_AUTH/.test(error.message));
  });

  void it('gives every simulator profile a version inside its era', () => {
    for (const profile of Object.values(PROFILES)) assert.equal(pickConsoleEra(profile.serverVersion), profile.era);
  });
});

void describe('parseRetryAfter', () => {
  void it('reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('2025-03-01T00:00:00Z');
    assert.equal(parseRetryAfter('1', now), 1000);
    assert.equal(parseRetryAfter(' 120 ', now), 120_000);
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter('Sat, 01 Mar 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Fri, 28 Feb 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter(['5', '9'], now), 5000);
  });

  void it('ignores missing or unreadable values', () => {
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter(''), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter('-1'), undefined);
  });
});

async function allPages(client: DifyClient): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let page = 1;
  for (;;) {
    const result = await client.logsPage({ page, from: FROM, to: TO });
    ids.push(...result.items.map((item) => item.id));
    if (!result.hasMore) return { ids, pages: page };
    page += 1;
  }
}

void describe('DifyClient.logsPage', () => {
  for (const [runs, expectedPages] of [
    [200, 2],
    [201, 3],
  ] as const) {
    void it(`pages ${runs} runs with exactly ${expectedPages} requests of limit=100`, async () => {
      await withDify({ store: makeStore(evenlySpaced(runs, TO_S - 1)) }, async ({ server, client }) => {
        const { ids, pages } = await allPages(client);
        assert.equal(pages, expectedPages);
        assert.equal(ids.length, runs);
        assert.equal(new Set(ids).size, runs);
        assert.deepEqual(
          server.requests.map((r) => ({ method: r.method, path: r.path, query: r.query, authorization: r.headers.authorization })),
          Array.from({ length: expectedPages }, (_, i) => ({
            method: 'GET',
            path: '/v1/workflows/logs',
            query: { page: String(i + 1), limit: '100', created_at__after: FROM_Z, created_at__before: TO_Z },
            authorization: `Bearer ${API_TOKEN}`,
          })),
        );
      });
    });
  }

  void it('keeps a run at `from`, drops a run at `to` and reports it as outside the window', async () => {
    const store = makeStore([FROM_S - 1, FROM_S, FROM_S + 3600, TO_S - 1, TO_S, TO_S + 1]);
    await withDify({ store }, async ({ client, server }) => {
      const page = await client.logsPage({ page: 1, from: FROM, to: TO });
      assert.deepEqual(
        page.items.map((item) => item.created_at),
        [TO_S - 1, FROM_S + 3600, FROM_S],
      );
      assert.equal(page.outsideWindow, 1);
      assert.equal(page.total, 4, 'Dify counts both inclusive bounds');
      assert.equal(page.hasMore, false);
      assert.deepEqual(page.invalid, []);
      assert.equal(server.requests[0]?.query.created_at__before, TO_Z);
    });
  });

  void it('reports an item that fails validation in `invalid` and keeps the others', async () => {
    const store = makeStore([FROM_S + 10, FROM_S + 20, FROM_S + 30]);
    const broken = store.apps[0]?.logs[1];
    assert.ok(broken);
    Object.assign(broken.run, { status: null });
    await withDify({ store }, async ({ client }) => {
      const page = await client.logsPage({ page: 1, from: FROM, to: TO });
      assert.equal(page.items.length, 2);
      assert.equal(page.invalid.length, 1);
      assert.equal(page.invalid[0]?.logId, broken.id);
      assert.match(page.invalid[0]?.reason ?? '', /workflow_run\.status/);
    });
  });

  void it('retries a page that briefly comes back as malformed JSON', async () => {
    await withDify({ faults: { malformedLogPages: 1 } }, async ({ client, server }) => {
      const page = await client.logsPage({ page: 1, from: FROM, to: TO });
      assert.equal(page.items.length, 5);
      assert.deepEqual(paths(server.requests), ['GET /v1/workflows/logs 200', 'GET /v1/workflows/logs 200']);
    });
  });

  void it('throws a retryable schema error when the envelope stays malformed', async () => {
    await withDify({ faults: { malformedLogPages: 10 }, client: { maxRetries: 2 } }, async ({ client, server }) => {
      const error = await difyError(client.logsPage({ page: 1, from: FROM, to: TO }));
      assert.equal(error.kind, 'schema');
      assert.equal(error.retryable, true);
      assert.equal(server.requests.length, 3);
    });
  });
});

void describe('DifyClient service errors', () => {
  void it('names DIFY_API_TOKEN for a rejected key, without retrying or leaking it', async () => {
    await withDify({ client: { apiToken: 'app-ThisKeyIsWrong123' } }, async ({ client, server }) => {
      const error = await difyError(client.appInfo(), ['app-ThisKeyIsWrong123']);
      assert.equal(error.kind, 'auth');
      assert.equal(error.retryable, false);
      assert.equal(error.status, 401);
      assert.equal(error.setting, 'DIFY_API_TOKEN');
      assert.equal(error.message, 'Dify rejected the service API key (Access token is invalid); check DIFY_API_TOKEN');
      assert.equal(server.requests.length, 1);
    });
  });

  for (const profile of ['tokenpair', 'cookie-base64'] as const) {
    void it(`explains a 403 for an app with API access disabled (${profile})`, async () => {
      await withDify({ profile, store: makeStore([FROM_S], { enableApi: false }) }, async ({ client }) => {
        const error = await difyError(client.logsPage({ page: 1, from: FROM, to: TO }));
        assert.equal(error.kind, 'forbidden');
        assert.equal(error.retryable, false);
        assert.match(error.message, /API service has been disabled/);
        assert.match(error.message, /API Access/);
        assert.match(error.message, /DIFY_API_TOKEN/);
      });
    });
  }

  void it('says when the key belongs to an app that is not a workflow app', async () => {
    await withDify({ client: { apiToken: CHAT_API_TOKEN } }, async ({ client }) => {
      const error = await difyError(client.logsPage({ page: 1, from: FROM, to: TO }));
      assert.equal(error.kind, 'bad-request');
      assert.equal(error.retryable, false);
      assert.match(error.message, /not a workflow app/);
      assert.match(error.message, /DIFY_API_TOKEN/);
    });
  });
});

void describe('DifyClient retries', () => {
  void it('waits at least Retry-After after a 429, then succeeds', async () => {
    await withDify({}, async ({ client, server }) => {
      server.setFaults({ rateLimitEvery: 2, retryAfterSeconds: 1 });
      await client.appInfo();
      const started = Date.now();
      const info = await client.appInfo();
      const waited = Date.now() - started;
      assert.equal(info.name, 'Support flow');
      assert.deepEqual(paths(server.requests), ['GET /v1/info 200', 'GET /v1/info 429', 'GET /v1/info 200']);
      const [, limited, retried] = server.requests;
      assert.ok(limited && retried);
      assert.ok(retried.at - limited.at >= 1000, `retried after ${retried.at - limited.at} ms`);
      assert.ok(waited >= 1000, `call took ${waited} ms`);
    });
  });

  void it('throws a retryable error carrying retryAfterMs when Retry-After exceeds maxRetryAfterMs', async () => {
    await withDify({ faults: { rateLimitEvery: 1, retryAfterSeconds: 120 } }, async ({ client, server }) => {
      const error = await difyError(client.appInfo());
      assert.equal(error.kind, 'rate-limited');
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterMs, 120_000);
      assert.equal(server.requests.length, 1);
    });
  });

  for (const status of [500, 502, 503] as const) {
    void it(`retries a ${status} and then succeeds`, async () => {
      await withDify({}, async ({ client, server }) => {
        server.setFaults({ serverErrorEvery: 2, serverErrorStatus: status });
        await client.appInfo();
        const detail = await client.runDetail(runId(0));
        assert.equal(detail?.id, runId(0));
        assert.deepEqual(
          server.requests.map((r) => r.status),
          [200, status, 200],
        );
      });
    });
  }

  void it('retries after a connection reset and after a request that hangs past timeoutMs', async () => {
    await withDify({ client: { timeoutMs: 300 } }, async ({ client, server }) => {
      server.setFaults({ resetEvery: 2 });
      await client.appInfo();
      await client.appInfo();
      assert.deepEqual(
        server.requests.map((r) => r.status),
        [200, 0, 200],
      );
      server.requests.length = 0;
      server.setFaults({ hangEvery: 1 });
      const error = await difyError(client.appInfo());
      assert.equal(error.kind, 'timeout');
      assert.equal(error.retryable, true);
      assert.match(error.message, /DIFY_REQUEST_TIMEOUT_MS/);
      assert.equal(server.requests.length, 4, 'first attempt + 3 retries');
      server.requests.length = 0;
      server.setFaults({ hangEvery: 2 });
      await client.appInfo();
      await client.appInfo();
      assert.deepEqual(
        server.requests.map((r) => r.status),
        [200, 0, 200],
      );
    });
  });

  void it('gives up after maxRetries with a retryable server error', async () => {
    await withDify({ faults: { serverErrorEvery: 1 }, client: { maxRetries: 2 } }, async ({ client, server }) => {
      const error = await difyError(client.appInfo());
      assert.equal(error.kind, 'server');
      assert.equal(error.retryable, true);
      assert.equal(error.status, 500);
      assert.match(error.message, /gave up after 3 attempts/);
      assert.equal(server.requests.length, 3);
    });
  });
});

void describe('DifyClient.runDetail', () => {
  void it('reads RFC-822 timestamps and JSON-text outputs (legacy), and 200-all-null as unknown', async () => {
    await withDify({ profile: 'legacy' }, async ({ client, server }) => {
      const detail = await client.runDetail(runId(1));
      assert.ok(detail);
      assert.equal(detail.created_at, TO_S - 120);
      assert.equal(detail.finished_at, TO_S - 118);
      assert.deepEqual(detail.inputs, { query: 'question 1', 'sys.user_id': 'customer-1' });
      assert.deepEqual(detail.outputs, { text: 'answer 1' });
      assert.equal(await client.runDetail(uuid(0x99, 1)), null);
      assert.deepEqual(paths(server.requests), [`GET /v1/workflows/run/${runId(1)} 200`, `GET /v1/workflows/run/${uuid(0x99, 1)} 200`]);
    });
  });

  void it('reads integer timestamps and object outputs (newest), and 404 as unknown', async () => {
    await withDify({ profile: 'cookie-base64' }, async ({ client, server }) => {
      const detail = await client.runDetail(runId(2));
      assert.ok(detail);
      assert.equal(detail.created_at, TO_S - 180);
      assert.deepEqual(detail.outputs, { text: 'answer 2' });
      assert.deepEqual(detail.inputs, { query: 'question 2', 'sys.user_id': 'customer-2' });
      assert.equal(await client.runDetail(uuid(0x99, 1)), null);
      assert.equal(server.requests[1]?.status, 404);
    });
  });

  void it('handles every profile combination of timestamps and outputs', async () => {
    for (const runDetailTimestamps of ['int', 'rfc822'] as const) {
      for (const runDetailOutputs of ['string', 'object'] as const) {
        const profile: DifyProfile = { ...PROFILES.cookie, runDetailTimestamps, runDetailOutputs };
        await withDify({ profile }, async ({ client }) => {
          const detail = await client.runDetail(runId(0));
          assert.equal(detail?.created_at, TO_S - 60);
          assert.deepEqual(detail?.outputs, { text: 'answer 0' });
        });
      }
    }
  });
});

const ERA_PROFILES: EraProfileName[] = ['legacy', 'tokenpair', 'cookie', 'cookie-host', 'cookie-base64', '1.14.1'];
/** GET /v1/ tells the version in its body, or (1.14) is a 404 whose X-Version header tells it. */
const versionProbe = (name: EraProfileName): string => (name === '1.14.1' ? 'GET /v1/ 404' : 'GET /v1/ 200');

void describe('DifyClient console login per era', () => {
  for (const name of ERA_PROFILES) {
    void it(`${name}: logs in once from the server version and reads node executions in order`, async () => {
      await withDify({ profile: name, client: { console: PASSWORD_LOGIN } }, async ({ client, server }) => {
        const [a, b, c] = await Promise.all([client.nodeExecutions(runId(0)), client.nodeExecutions(runId(1)), client.nodeExecutions(runId(2))]);
        for (const nodes of [a, b, c]) assert.deepEqual(nodes.map((node) => node.index), [1, 2, 3]);
        assert.equal(a[1]?.execution_metadata?.total_price, 0.00024);

        const profile = PROFILES[name];
        const cookieEra = profile.era === 'cookie' || profile.era === 'cookie-base64';
        const logins = server.requests.filter((r) => r.path === '/console/api/login');
        assert.equal(logins.length, 1, 'one login shared by concurrent callers');
        assert.deepEqual(paths(server.requests.slice(0, 2)), [versionProbe(name), 'POST /console/api/login 200']);
        assert.deepEqual(logins[0]?.body, { email: CONSOLE_EMAIL, password: '***', remember_me: true });
        assert.equal(logins[0]?.headers['content-type'], 'application/json');
        assert.equal(logins[0]?.credential, profile.era === 'cookie-base64' ? 'base64-match' : 'plain-match');

        const reads = server.requests.filter((r) => r.path.endsWith('/node-executions'));
        assert.equal(reads.length, 3);
        const prefix = profile.hostPrefixCookies ? '__Host-' : '';
        for (const read of reads) {
          assert.equal(read.status, 200);
          assert.match(read.path, new RegExp(`^/console/api/apps/${APP_ID}/workflow-runs/[0-9a-f-]{36}/node-executions$`));
          if (cookieEra) {
            assert.equal(read.headers.authorization, undefined);
            const csrf = cookieValue(read.headers.cookie, `${prefix}csrf_token`);
            assert.ok(csrf, `csrf cookie ${prefix}csrf_token sent`);
            assert.ok(cookieValue(read.headers.cookie, `${prefix}access_token`), 'access cookie sent');
            assert.equal(cookieValue(read.headers.cookie, `${prefix}refresh_token`), undefined, 'refresh cookie only goes to the refresh endpoint');
            assert.equal(read.headers['x-csrf-token'], csrf);
          } else {
            assert.match(read.headers.authorization ?? '', /^Bearer eyJ/);
            assert.equal(read.headers.cookie, undefined);
            assert.equal(read.headers['x-csrf-token'], undefined);
          }
        }
      });
    });
  }

  void it('uses a pre-issued console token as Bearer and never logs in', async () => {
    await withDify({ profile: 'tokenpair' }, async ({ server, newClient }) => {
      const login = await fetch(`${server.url}/console/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: CONSOLE_EMAIL, password: CONSOLE_PASSWORD }),
      });
      const token = ((await login.json()) as { data: { access_token: string } }).data.access_token;
      server.requests.length = 0;
      const client = newClient({ console: { kind: 'token', token } });
      const nodes = await client.nodeExecutions(runId(0));
      assert.equal(nodes.length, 3);
      assert.deepEqual(paths(server.requests), [`GET /console/api/apps/${APP_ID}/workflow-runs/${runId(0)}/node-executions 200`]);
      assert.equal(server.requests[0]?.headers.authorization, `Bearer ${token}`);
    });
  });

  void it('cookie era: the fake rejects a console GET without a matching X-CSRF-Token', async () => {
    await withDify({ profile: 'cookie', client: { console: PASSWORD_LOGIN } }, async ({ client, server }) => {
      await client.nodeExecutions(runId(0));
      const read = server.requests.find((r) => r.path.endsWith('/node-executions'));
      assert.ok(read?.headers.cookie);
      const url = `${server.url}${read.path}`;
      const attempts: Record<string, string>[] = [{ cookie: read.headers.cookie }, { cookie: read.headers.cookie, 'x-csrf-token': 'not-the-cookie' }];
      for (const headers of attempts) {
        const response = await fetch(url, { headers });
        assert.equal(response.status, 401);
        assert.deepEqual(await response.json(), { code: 'unauthorized', message: 'CSRF token is missing or invalid.', status: 401 });
      }
    });
  });

  void it('a wrong password: one login request, a non-retryable auth error naming DIFY_CONSOLE_PASSWORD, never asked again', async () => {
    const console: ConsoleCredentials = { kind: 'password', email: CONSOLE_EMAIL, password: 'WrongPassw0rd1' };
    await withDify({ profile: 'cookie-base64', client: { console } }, async ({ client, server }) => {
      const error = await difyError(client.nodeExecutions(runId(0)));
      assert.equal(error.kind, 'auth');
      assert.equal(error.retryable, false);
      assert.equal(error.setting, 'DIFY_CONSOLE_PASSWORD');
      assert.match(error.message, /DIFY_CONSOLE_PASSWORD/);
      const again = await difyError(client.nodeExecutions(runId(1)));
      assert.equal(again.kind, 'auth');
      assert.equal(server.requests.filter((r) => r.path === '/console/api/login').length, 1);
      assert.equal(server.loginFailures(CONSOLE_EMAIL), 1);
    });
  });

  void it('a locked-out account: a non-retryable locked-out error that says how long Dify locks', async () => {
    await withDify({ profile: 'cookie', client: { console: PASSWORD_LOGIN } }, async ({ client, server }) => {
      for (let i = 0; i < 6; i += 1) {
        await fetch(`${server.url}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: CONSOLE_EMAIL, password: 'nope' }) });
      }
      server.requests.length = 0;
      const error = await difyError(client.nodeExecutions(runId(0)));
      assert.equal(error.kind, 'locked-out');
      assert.equal(error.retryable, false);
      assert.equal(error.status, 429);
      assert.match(error.message, /24 hours/);
      assert.deepEqual(paths(server.requests), ['GET /v1/ 200', 'POST /console/api/login 429']);
    });
  });

  void it('auto mode with an unknown server version: config error, no login attempt', async () => {
    const profile: DifyProfile = { ...PROFILES.cookie, serverVersion: 'nightly-build' };
    await withDify({ profile, client: { console: PASSWORD_LOGIN } }, async ({ client, server }) => {
      const error = await difyError(client.nodeExecutions(runId(0)));
      assert.equal(error.kind, 'config');
      assert.equal(error.setting, 'DIFY_CONSOLE_AUTH');
      assert.deepEqual(paths(server.requests), ['GET /v1/ 200']);
    });
  });

  void it('an explicit DIFY_CONSOLE_AUTH skips the version lookup', async () => {
    await withDify({ profile: 'cookie-base64', client: { console: PASSWORD_LOGIN, consoleAuth: 'cookie-base64' } }, async ({ client, server }) => {
      await client.nodeExecutions(runId(0));
      assert.equal(server.requests[0]?.path, '/console/api/login');
      assert.equal(server.requests[0]?.credential, 'base64-match');
    });
  });

  void it('an unknown console app id: non-retryable not-found naming DIFY_APP_ID', async () => {
    await withDify({ profile: 'cookie-host', client: { console: PASSWORD_LOGIN, appId: uuid(0x77, 7) } }, async ({ client }) => {
      const error = await difyError(client.nodeExecutions(runId(0)));
      assert.equal(error.kind, 'not-found');
      assert.equal(error.retryable, false);
      assert.equal(error.setting, 'DIFY_APP_ID');
      assert.match(error.message, /check DIFY_APP_ID/);
    });
  });

  void it('an unknown run has no node executions', async () => {
    await withDify({ profile: 'cookie', client: { console: PASSWORD_LOGIN } }, async ({ client }) => {
      assert.deepEqual(await client.nodeExecutions(uuid(0x99, 9)), []);
    });
  });
});

void describe('DifyClient console session renewal', () => {
  const renewal: Record<EraProfileName, string> = {
    legacy: 'POST /console/api/login 200',
    tokenpair: 'POST /console/api/refresh-token 200',
    cookie: 'POST /console/api/refresh-token 200',
    'cookie-host': 'POST /console/api/refresh-token 200',
    'cookie-base64': 'POST /console/api/refresh-token 200',
    '1.14.1': 'POST /console/api/refresh-token 200',
  };
  for (const name of ERA_PROFILES) {
    void it(`${name}: a 401 renews the session exactly once, then the call succeeds`, async () => {
      await withDify({ profile: name, faults: { expireConsoleSessionAfter: 1 }, client: { console: PASSWORD_LOGIN } }, async ({ client, server }) => {
        await client.nodeExecutions(runId(0));
        const nodes = await client.nodeExecutions(runId(1));
        assert.equal(nodes.length, 3);
        const read = `GET /console/api/apps/${APP_ID}/workflow-runs`;
        assert.deepEqual(
          paths(server.requests).map((line) => line.replace(/\/[0-9a-f-]{36}\/node-executions/, '')),
          [versionProbe(name), 'POST /console/api/login 200', `${read} 200`, `${read} 401`, renewal[name], `${read} 200`],
        );
        const refresh = server.requests[4];
        if (name === 'tokenpair') {
          assert.deepEqual(Object.keys(refresh?.body as object), ['refresh_token']);
        } else if (name !== 'legacy') {
          const prefix = PROFILES[name].hostPrefixCookies ? '__Host-' : '';
          assert.ok(cookieValue(refresh?.headers.cookie, `${prefix}refresh_token`));
          const before = cookieValue(server.requests[3]?.headers.cookie, `${prefix}access_token`);
          const after = cookieValue(server.requests[5]?.headers.cookie, `${prefix}access_token`);
          assert.ok(before && after && before !== after, 'the renewed access cookie is used');
          assert.equal(server.requests[5]?.headers['x-csrf-token'], cookieValue(server.requests[5]?.headers.cookie, `${prefix}csrf_token`));
        }
      });
    });
  }

  void it('a second 401 after renewal is a non-retryable auth error', async () => {
    await withDify({ profile: 'cookie-host', faults: { expireConsoleSessionAfter: 0 }, client: { console: PASSWORD_LOGIN } }, async ({ client, server }) => {
      const error = await difyError(client.nodeExecutions(runId(0)), server.requests.map((r) => r.headers.cookie ?? ''));
      assert.equal(error.kind, 'auth');
      assert.equal(error.retryable, false);
      assert.equal(error.status, 401);
      assert.equal(server.requests.filter((r) => r.path.endsWith('/node-executions')).length, 2);
      assert.equal(server.requests.filter((r) => r.path === '/console/api/refresh-token').length, 1);
      for (const request of server.requests) {
        for (const part of (request.headers.cookie ?? '').split(';')) {
          const value = part.split('=')[1];
          if (value) assert.ok(!error.message.includes(value), 'no cookie value in the message');
        }
      }
    });
  });
});

void describe('simulated Dify (what the fake itself answers)', () => {
  const get = async (server: RunningDifyServer, path: string, headers: Record<string, string> = { authorization: `Bearer ${API_TOKEN}` }) => {
    const response = await fetch(`${server.url}${path}`, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };
  const login = (server: RunningDifyServer, password: string) =>
    fetch(`${server.url}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: CONSOLE_EMAIL, password, remember_me: true }) });

  void it('answers service auth failures as in wraps.py, with WWW-Authenticate', async () => {
    await withDify({}, async ({ server }) => {
      const missing = await get(server, '/v1/info', {});
      assert.equal(missing.status, 401);
      assert.deepEqual(missing.body, { code: 'unauthorized', message: "Authorization header must be provided and start with 'Bearer'", status: 401 });
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"');
      const scheme = await get(server, '/v1/info', { authorization: `Basic ${API_TOKEN}` });
      assert.equal(scheme.body.message, "Authorization scheme must be 'Bearer'");
      const unknown = await get(server, '/v1/info', { authorization: 'Bearer app-unknown' });
      assert.equal(unknown.body.message, 'Access token is invalid');
      const version = await get(server, '/v1/', {});
      assert.deepEqual(version.body, { welcome: 'Dify OpenAPI', api_version: 'v1', server_version: PROFILES['cookie-base64'].serverVersion });
    });
  });

  void it('uses specific admission codes only in the newest profile', async () => {
    for (const [profile, code] of [
      ['cookie', 'forbidden'],
      ['cookie-base64', 'app_abnormal_status'],
    ] as const) {
      await withDify({ profile, store: makeStore([FROM_S], { status: 'abnormal' }) }, async ({ server }) => {
        const { status, body } = await get(server, '/v1/info');
        assert.equal(status, 403);
        assert.deepEqual(body, { code, message: "The app's status is abnormal.", status: 403 });
      });
    }
  });

  void it('validates log query parameters like reqparse and the service', async () => {
    await withDify({ profile: 'tokenpair' }, async ({ server }) => {
      const limit = await get(server, '/v1/workflows/logs?limit=500');
      assert.equal(limit.status, 400);
      assert.deepEqual(limit.body, { code: 'invalid_param', message: 'Invalid argument: 500. argument must be within the range 1 - 100', params: 'limit', status: 400 });
      assert.equal((await get(server, '/v1/workflows/logs?page=0')).body.params, 'page');
      assert.equal((await get(server, '/v1/workflows/logs?status=running')).body.params, 'status');
      const date = await get(server, '/v1/workflows/logs?created_at__after=yesterday');
      assert.deepEqual(date.body, { code: 'invalid_param', message: "Invalid isoformat string: 'yesterday'", status: 400 });
      const account = await get(server, '/v1/workflows/logs?created_by_account=nobody%40example.com');
      assert.deepEqual(account.body, { code: 'invalid_param', message: 'Account not found: nobody@example.com', status: 400 });
    });
    await withDify({ profile: 'legacy' }, async ({ server }) => {
      const limit = await get(server, '/v1/workflows/logs?limit=0');
      assert.deepEqual(limit.body, { code: 'invalid_param', message: 'Invalid argument: 0. argument must be within the range 1 - 100', params: 'limit' }, '0.x: no status key');
    });
  });

  void it('filters logs by keyword (first 30 chars), session, status and run id, newest first, with has_more', async () => {
    await withDify({}, async ({ server }) => {
      const all = await get(server, '/v1/workflows/logs?limit=2');
      assert.deepEqual([all.body.total, all.body.has_more, all.body.limit, all.body.page], [5, true, 2, 1]);
      const ids = (all.body.data as { id: string; created_at: number }[]).map((item) => item.created_at);
      assert.deepEqual(ids, [TO_S - 60, TO_S - 120]);
      const last = await get(server, '/v1/workflows/logs?limit=2&page=3');
      assert.deepEqual([(last.body.data as unknown[]).length, last.body.has_more], [1, false]);
      const beyond = await get(server, '/v1/workflows/logs?limit=2&page=4');
      assert.deepEqual([(beyond.body.data as unknown[]).length, beyond.body.has_more], [0, false]);
      const keyword = await get(server, `/v1/workflows/logs?keyword=${encodeURIComponent('answer 3' + 'x'.repeat(40))}`);
      assert.equal(keyword.body.total, 0, 'only the first 30 characters are used');
      assert.equal((await get(server, '/v1/workflows/logs?keyword=ANSWER%203')).body.total, 1);
      assert.equal((await get(server, `/v1/workflows/logs?keyword=${runId(4)}`)).body.total, 1);
      assert.equal((await get(server, '/v1/workflows/logs?created_by_end_user_session_id=customer-1')).body.total, 2);
      assert.equal((await get(server, '/v1/workflows/logs?status=failed')).body.total, 0);
      const window = await get(server, `/v1/workflows/logs?created_at__after=${new Date((TO_S - 180) * 1000).toISOString()}&created_at__before=${new Date((TO_S - 120) * 1000).toISOString()}`);
      assert.equal(window.body.total, 2, 'both bounds inclusive');
    });
  });

  void it('locks console login after more than 5 failures, checked before the password; base64 garbage does not count', async () => {
    await withDify({ profile: 'cookie-base64' }, async ({ server }) => {
      const garbage = await login(server, 'not base64!');
      assert.equal(garbage.status, 401);
      assert.equal(server.loginFailures(CONSOLE_EMAIL), 0);
      for (let i = 1; i <= 6; i += 1) {
        const wrong = await login(server, Buffer.from(`wrong${i}`).toString('base64'));
        assert.equal(wrong.status, 401);
        assert.deepEqual(await wrong.json(), { code: 'authentication_failed', message: 'Invalid email or password.', status: 401 });
      }
      const locked = await login(server, BASE64_PASSWORD);
      assert.equal(locked.status, 429);
      assert.deepEqual(await locked.json(), { code: 'email_code_login_limit', message: 'Too many incorrect password attempts. Please try again later.', status: 429 });
      assert.ok(server.requests.every((r) => r.path !== '/console/api/login' || (r.body as { password: string }).password === '***'), 'passwords are never recorded');
    });
  });

  void it('sets era cookies with the __Host- prefix and rotates the refresh token', async () => {
    await withDify({ profile: 'cookie-host' }, async ({ server }) => {
      const response = await login(server, CONSOLE_PASSWORD);
      const cookies = response.headers.getSetCookie();
      assert.deepEqual(
        cookies.map((line) => line.split('=')[0]),
        ['__Host-access_token', '__Host-refresh_token', '__Host-csrf_token'],
      );
      assert.ok(cookies.every((line) => line.includes('Path=/') && line.includes('Secure')));
      const refreshCookie = cookies[1]?.split(';')[0] ?? '';
      const refresh = () => fetch(`${server.url}/console/api/refresh-token`, { method: 'POST', headers: { cookie: refreshCookie } });
      assert.equal((await refresh()).status, 200);
      const reused = await refresh();
      assert.equal(reused.status, 401);
      assert.deepEqual(await reused.json(), { result: 'fail', message: 'Invalid refresh token' });
      const none = await fetch(`${server.url}/console/api/refresh-token`, { method: 'POST' });
      assert.deepEqual(await none.json(), { result: 'fail', message: 'No refresh token provided' });
    });
  });

  void it('rejects non-UUID console app ids with not_found and unknown ones with app_not_found', async () => {
    await withDify({ profile: 'tokenpair' }, async ({ server }) => {
      const token = ((await (await login(server, CONSOLE_PASSWORD)).json()) as { data: { access_token: string } }).data.access_token;
      const headers = { authorization: `Bearer ${token}` };
      assert.equal((await get(server, `/console/api/apps/not-a-uuid/workflow-runs/${runId(0)}/node-executions`, headers)).body.code, 'not_found');
      const unknown = await get(server, `/console/api/apps/${uuid(0x77, 7)}/workflow-runs/${runId(0)}/node-executions`, headers);
      assert.deepEqual(unknown.body, { code: 'app_not_found', message: 'App not found.', status: 404 });
      const nodes = await get(server, `/console/api/apps/${APP_ID}/workflow-runs/${runId(0)}/node-executions`, headers);
      assert.deepEqual((nodes.body.data as { index: number }[]).map((node) => node.index), [3, 2, 1], 'trace order: index descending');
      const logs = await get(server, `/console/api/apps/${APP_ID}/workflow-app-logs?limit=1`, headers);
      assert.deepEqual([logs.body.total, logs.body.has_more], [5, true]);
      const unauthenticated = await get(server, `/console/api/apps/${APP_ID}/workflow-app-logs`, {});
      assert.deepEqual(unauthenticated.body, { code: 'unauthorized', message: 'Invalid Authorization token.', status: 401 });
    });
  });
});
