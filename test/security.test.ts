import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import selfsigned from 'selfsigned';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { ConfigError, loadSettings, type Settings } from '../config/load';
import { ensureFolder, resolveInside, writeFileAtomic } from '../activities/storage';
import { findTemporalCli } from '../client/temporal-cli';
import { prepareReport, startReport } from '../client/report';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { FIXTURE_APP_ID, fixtureStore } from './fixtures/store-builder';
import { startReceiver, type TestReceiver } from './helpers/dingtalk-receiver';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp';
import { MISSING_CLI_MESSAGE, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';

// Every log line of the SDK, the worker, workflows and activities, unfiltered and unredacted,
// so the assertions see what a careless log call would have written. Installed before anything
// else can create the runtime (helpers/temporal.ts's quietRuntime is therefore never called).
const logs: LogEntry[] = [];
Runtime.install({ logger: new DefaultLogger('DEBUG', (entry) => logs.push(entry)) });

const unique = (prefix: string): string => `${prefix}${randomBytes(9).toString('hex')}`;
const SECRETS = {
  difyToken: unique('app-SecretToken-'),
  consolePassword: unique('ConsolePw-'),
  smtpPassword: unique('SmtpPw-'),
  dingtalkSecret: unique('SECdingtalk'),
  dingtalkAccessToken: unique('dtAccess'),
  wrongToken: unique('app-WrongToken-'),
};
const CONSOLE_EMAIL = 'ops@example.com';

function logText(entry: LogEntry): string {
  const meta = JSON.stringify(entry.meta ?? {}, (_key, value: unknown) => (value instanceof Error ? { message: value.message, stack: value.stack, cause: value.cause } : value));
  return `${entry.level} ${entry.message} ${meta}`;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)])));
  return nested.flat();
}

async function historyText(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  // The JSON shows payload data in base64; the encoded bytes read as UTF-8 show it as written.
  return `${historyToJSON(history)}\n${Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('utf8')}`;
}

function assertNoSecret(text: string, where: string): void {
  for (const [name, value] of Object.entries(SECRETS)) assert.equal(text.includes(value), false, `${name} appears in ${where}`);
}

/** A Dify that echoes the rejected key back in its error body, as some proxies and builds do. */
async function startEchoingDify(): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    const key = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    seen.push(key);
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ code: 'unauthorized', message: `Access token ${key} is invalid`, status: 401 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

describe('secrets stay on the worker', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let echoing: Awaited<ReturnType<typeof startEchoingDify>>;
  let smtp: TestSmtpServer;
  let robot: TestReceiver;
  let outputDir: string;
  let settings: Settings;
  let broken: Settings;
  const workers: RunningWorker[] = [];

  const environment = (overrides: Record<string, string>): Record<string, string> => ({
    DIFY_BASE_URL: dify.url,
    DIFY_API_TOKEN: SECRETS.difyToken,
    DIFY_APP_ID: FIXTURE_APP_ID,
    DIFY_CONSOLE_EMAIL: CONSOLE_EMAIL,
    DIFY_CONSOLE_PASSWORD: SECRETS.consolePassword,
    APP_KEY: 'support',
    REPORT_TIMEZONE: 'Asia/Shanghai',
    OUTPUT_DIR: outputDir,
    NOTIFY_CHANNELS: 'email,dingtalk',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_SECURITY: 'starttls',
    SMTP_TLS_REJECT_UNAUTHORIZED: 'false',
    SMTP_USER: 'difyscope',
    SMTP_PASSWORD: SECRETS.smtpPassword,
    SMTP_FROM: 'Difyscope <difyscope@example.com>',
    SMTP_TO: 'ops@example.com',
    DINGTALK_WEBHOOK: `${robot.url}/robot/send?access_token=${SECRETS.dingtalkAccessToken}`,
    DINGTALK_SECRET: SECRETS.dingtalkSecret,
    ...overrides,
  });

  before(async () => {
    const cli = findTemporalCli();
    if (!cli) throw new Error(MISSING_CLI_MESSAGE);
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: cli }, ip: '127.0.0.1', extraArgs: ['--log-level', 'error'] } });
    const store = fixtureStore([
      { n: 1, at: '2025-03-01T09:00:00+08:00', user: 'alice', elapsed: 2, tokens: 100 },
      { n: 2, at: '2025-03-01T10:00:00+08:00', user: 'bob', status: 'failed', elapsed: 1, tokens: 0, error: 'Timeout after 30s' },
    ]);
    for (const app of store.apps) app.apiToken = SECRETS.difyToken;
    for (const user of store.consoleUsers) Object.assign(user, { email: CONSOLE_EMAIL, password: SECRETS.consolePassword });
    dify = await startDifyServer({ store, profile: 'cookie' });
    echoing = await startEchoingDify();
    const pems = selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { days: 2, keySize: 2048, algorithm: 'sha256' });
    smtp = await startSmtpServer({ tls: { key: pems.private, cert: pems.cert }, login: { user: 'difyscope', password: SECRETS.smtpPassword } });
    robot = await startReceiver();
    outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-security-'));

    settings = loadSettings(environment({ TEMPORAL_TASK_QUEUE: uniqueTaskQueue('secure') }));
    broken = loadSettings(environment({ DIFY_BASE_URL: echoing.url, DIFY_API_TOKEN: SECRETS.wrongToken, APP_KEY: 'broken', TEMPORAL_TASK_QUEUE: uniqueTaskQueue('secure-broken') }));
    for (const configured of [settings, broken]) {
      workers.push(await startTestWorker(env, configured));
    }
  });

  after(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await dify?.close();
    await new Promise<void>((resolve) => (echoing ? echoing.server.close(() => resolve()) : resolve()));
    await smtp?.close();
    await robot?.close();
    await env?.teardown();
  });

  it('keeps every configured secret out of histories, logs, reports and notifications', { timeout: 120_000 }, async () => {
    for (const value of Object.values(SECRETS)) assert.ok(settings.secrets.includes(value) || broken.secrets.includes(value) || value === SECRETS.dingtalkAccessToken, `${value} is not a configured secret`);

    const good = await startReport(env.client, settings, prepareReport(settings, { from: '2025-03-01', to: '2025-03-01', notify: true }));
    const summary = await good.result();
    assert.equal(summary.runs, 2);
    assert.deepEqual(summary.notifications?.map((result) => [result.channel, result.status]).sort(), [['dingtalk', 'sent'], ['email', 'sent']]);

    const bad = await startReport(env.client, broken, prepareReport(broken, { from: '2025-03-01', to: '2025-03-01' }));
    await assert.rejects(bad.result(), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      // Dify's echoed body reaches the message, with the key cut out of it.
      assert.match(error.cause?.message ?? '', /^Dify rejected the service API key \(Access token \*\*\* is invalid\); check DIFY_API_TOKEN/);
      return true;
    });

    // The secrets were really used: Dify saw the keys, console login and SMTP AUTH succeeded, DingTalk was signed.
    assert.ok(dify.requests.some((request) => request.headers.authorization === `Bearer ${SECRETS.difyToken}`));
    assert.ok(echoing.seen.includes(SECRETS.wrongToken));
    assert.ok(dify.requests.some((request) => request.path === '/console/api/login' && request.status === 200));
    assert.ok(smtp.authAttempts.length >= 2 && smtp.authAttempts.every((attempt) => attempt.ok));
    assert.ok(robot.requests.length >= 2);
    for (const request of robot.requests) {
      assert.equal(request.url.searchParams.get('access_token'), SECRETS.dingtalkAccessToken);
      assert.match(request.url.searchParams.get('sign') ?? '', /^[A-Za-z0-9+/]+=*$/);
      assertNoSecret(request.body, 'a DingTalk message');
    }
    assert.equal(smtp.messages.length, 2, 'the report and the failure notice');
    for (const message of smtp.messages) assertNoSecret(message.raw.toString('utf8'), 'an e-mail');

    assertNoSecret(await historyText(good), 'the report workflow history');
    const failedHistory = await historyText(bad);
    assert.match(failedHistory, /check DIFY_API_TOKEN/);
    assertNoSecret(failedHistory, 'the failed workflow history');

    const files = await filesUnder(outputDir);
    assert.ok(files.some((file) => file.endsWith('report.html')));
    for (const file of files) {
      const content = await readFile(file);
      assertNoSecret((file.endsWith('.gz') ? gunzipSync(content) : content).toString('utf8'), file);
    }

    assert.ok(logs.some((entry) => entry.message === 'Activity failed'), 'the log capture saw the failing activity');
    assert.ok(logs.length > 20, `only ${logs.length} log entries captured`);
    for (const entry of logs) assertNoSecret(logText(entry), `the log line "${entry.message}"`);
  });

  it('writes report folders owner-only (700) and their files 600', { timeout: 120_000 }, async () => {
    const summary = await (await startReport(env.client, settings, prepareReport(settings, { from: '2025-03-01', to: '2025-03-01', formats: 'csv,md' }))).result();
    assert.equal(settings.outputFileMode, 0o700);
    assert.equal((await stat(summary.folder)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(summary.folder, 'raw'))).mode & 0o777, 0o700);
    const files = await filesUnder(summary.folder);
    assert.ok(files.length >= 6, files.join(', '));
    for (const file of files) assert.equal((await stat(file)).mode & 0o777, 0o600, file);
  });
});

describe('file names and permissions', () => {
  it('refuses an app key that could leave OUTPUT_DIR', () => {
    for (const key of ['../../etc', 'a/b', '..', '.hidden']) {
      assert.throws(() => loadSettings({ DIFY_BASE_URL: 'https://dify.example.com', DIFY_API_TOKEN: 'app-test-token-123', APP_KEY: key }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, 'APP_KEY: use letters, digits, - and _ only (it names folders and workflow ids)');
        return true;
      });
    }
  });

  it('resolveInside refuses traversal and absolute paths', () => {
    const root = path.join(tmpdir(), 'difyscope-root');
    assert.equal(resolveInside(root, 'support/daily/2025-03-01'), path.join(root, 'support', 'daily', '2025-03-01'));
    for (const relative of ['../etc', 'support/../../etc', '/etc/passwd', 'support/./daily', 'a\\..\\b', 'support//daily', '']) {
      assert.throws(() => resolveInside(root, relative), /^Error: unsafe path segment/, relative);
    }
  });

  it('applies OUTPUT_FILE_MODE exactly, whatever the umask', async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'difyscope-mode-')), 'report');
    const previous = process.umask(0o077);
    try {
      await ensureFolder(dir, 0o750);
      await writeFileAtomic(path.join(dir, 'a.csv'), 'x', 0o750);
    } finally {
      process.umask(previous);
    }
    assert.equal((await stat(dir)).mode & 0o777, 0o750);
    assert.equal((await stat(path.join(dir, 'a.csv'))).mode & 0o777, 0o640);
    assert.equal(loadSettings({ DIFY_BASE_URL: 'https://dify.example.com', DIFY_API_TOKEN: 'app-test-token-123', OUTPUT_FILE_MODE: '750' }).outputFileMode, 0o750);
  });
});
