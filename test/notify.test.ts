import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { ApplicationFailure, msToNumber } from '@temporalio/common';
import { unzipSync } from 'fflate';
import selfsigned from 'selfsigned';
import type { ReportSummary } from '../common/contracts';
import { loadSettings, type Settings } from '../config/load';
import { deliverNotifications, sendTestMessages, type NotifyRequest } from '../activities/notify';
import { cutToBytes, dingtalkMessage, DINGTALK_MAX_BYTES } from '../activities/notify/dingtalk';
import { messageIdFor, NotificationLedger } from '../activities/notify/ledger';
import { buildNotification } from '../activities/notify/message';
import { NO_EXTRAS } from '../activities/notify/report-extras';
import { evaluateAlerts } from '../reports/alerts';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp';
import { expectedDingTalkSign, startReceiver, type TestReceiver } from './helpers/dingtalk-receiver';

/**
 * Notifications against real protocol endpoints in the test process: an SMTP server
 * (smtp-server) that nodemailer delivers to, with messages parsed back by mailparser, and an
 * HTTP receiver playing the DingTalk robot and a generic webhook.
 */

const APP_NAME = '客服机器人';
const IDENTITY = 'daily/support/2025-03-09';
const SMTP_PASSWORD = 'pa55-w0rd-secret';
const DINGTALK_TOKEN = 'tok-0123456789abcdef';
const DINGTALK_SECRET = 'SEC0123456789abcdefsecret';
const WEBHOOK_SECRET = 'whsec-0123456789';
const MOBILES = ['13800138000', '13900139000'];

const REPORT_HTML = '<!doctype html><html><head><meta charset="utf-8"><title>客服机器人 日报</title></head><body><h1>客服机器人 · 2025-03-09</h1><p>1,204 runs</p></body></html>\n';
const REPORT_MD = '# 客服机器人 · 2025-03-09\n\n- Runs: 1,204\n- Failed: 25\n';
const OVERVIEW_CSV = '\ufeff指标,值\nruns,1204\nfailed,25\n';
const USERS_CSV = 'user,runs\nalice,700\nbob,504\n';
const REPORT_JSON = {
  schema: 'difyscope.report/1',
  changes: [
    { figure: 'runs', current: 1204, previous: 1104, delta: 100, deltaPercent: 9.1 },
    { figure: 'failed', current: 25, previous: 30, delta: -5, deltaPercent: -16.7 },
    { figure: 'sessions', current: 10, previous: null, delta: null, deltaPercent: null },
    { figure: 'cost', currency: 'USD', current: 1.234567, previous: 1, delta: 0.234567, deltaPercent: 23.5 },
  ],
  errors: [
    { signature: 'Timeout after <n>s', node: 'LLM', count: 12, firstSeen: '', lastSeen: '', exampleRunIds: [], example: '' },
    { signature: 'Rate limit `429`', node: '', count: 8, firstSeen: '', lastSeen: '', exampleRunIds: [], example: '' },
    { signature: 'Invalid JSON', node: 'Parser', count: 3, firstSeen: '', lastSeen: '', exampleRunIds: [], example: '' },
    { signature: 'Fourth error', node: '', count: 1, firstSeen: '', lastSeen: '', exampleRunIds: [], example: '' },
  ],
};

const WINDOW = { kind: 'daily' as const, from: '2025-03-09T00:00:00.000+08:00', to: '2025-03-10T00:00:00.000+08:00', timezone: 'Asia/Shanghai', label: '2025-03-09' };

function summaryFor(folder: string, overrides: Partial<ReportSummary> = {}): ReportSummary {
  return {
    app: 'support',
    window: WINDOW,
    folder,
    files: ['report.html', 'report.md', 'report.json', 'overview.csv', '概览.csv', 'users.csv'],
    runs: 1204,
    succeeded: 1179,
    failed: 25,
    users: 87,
    totalTokens: 1_234_567,
    cost: { USD: 1.234567, RMB: 0.5 },
    p95ElapsedSeconds: 12.345,
    completeness: {
      level: 'details',
      expected: 1204,
      fetched: 1204,
      duplicates: 0,
      invalid: 0,
      detailFailures: 0,
      nodeFailures: 0,
      complete: true,
      line: 'complete: 1204 of 1204 runs fetched, details for all',
    },
    ...overrides,
  };
}

/** A fresh OUTPUT_DIR holding one rendered-looking report folder. */
function reportFixture(): { outputDir: string; folder: string } {
  const outputDir = mkdtempSync(path.join(tmpdir(), 'difyscope-notify-'));
  const folder = path.join(outputDir, 'support', 'daily', '2025-03-09');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'report.html'), REPORT_HTML);
  writeFileSync(path.join(folder, 'report.md'), REPORT_MD);
  writeFileSync(path.join(folder, 'report.json'), JSON.stringify(REPORT_JSON, null, 2));
  writeFileSync(path.join(folder, 'overview.csv'), OVERVIEW_CSV);
  writeFileSync(path.join(folder, '概览.csv'), OVERVIEW_CSV);
  writeFileSync(path.join(folder, 'users.csv'), USERS_CSV);
  return { outputDir, folder };
}

const temporaryDirs: string[] = [];

function settingsFor(outputDir: string, env: Record<string, string>): Settings {
  temporaryDirs.push(outputDir);
  return loadSettings({
    DIFY_BASE_URL: 'http://dify.local',
    DIFY_API_TOKEN: 'app-test-token-123',
    APP_KEY: 'support',
    APP_NAME,
    OUTPUT_DIR: outputDir,
    ...env,
  });
}

function smtpEnv(server: TestSmtpServer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(server.port),
    SMTP_SECURITY: 'none',
    SMTP_FROM: 'Difyscope <difyscope@example.com>',
    SMTP_TO: 'ops@example.com, 李雷 <lilei@example.com>',
    SMTP_CC: 'boss@example.com',
    ...extra,
  };
}

function reportRequest(folder: string, overrides: Partial<ReportSummary> = {}): NotifyRequest {
  return { identity: IDENTITY, kind: 'report', appKey: 'support', window: WINDOW, summary: summaryFor(folder, overrides) };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

function assertNoSecrets(text: string): void {
  for (const secret of [SMTP_PASSWORD, DINGTALK_TOKEN, DINGTALK_SECRET, WEBHOOK_SECRET]) assert.ok(!text.includes(secret), `"${text}" leaks a secret`);
}

after(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

describe('alert rules', () => {
  const summary = summaryFor('/nowhere', { runs: 12, failed: 1, users: 5, totalTokens: 4000, p95ElapsedSeconds: 31.25 });

  it('evaluates every metric and operator, quoting the actual value', () => {
    const rules = [
      'failure_rate > 0.05',
      'failure_rate >= 0.0833',
      'failure_rate < 0.05',
      'p95_latency_s > 30',
      'p95_latency_s <= 30',
      'runs < 20',
      'runs == 12',
      'runs >= 13',
      'failed >= 1',
      'failed > 1',
      'users <= 5',
      'users == 6',
      'tokens > 3999.5',
      'tokens < 100',
    ];
    assert.deepEqual(
      evaluateAlerts(rules, summary).map((alert) => alert.message),
      [
        'failure_rate > 0.05 (actual 0.0833)',
        'failure_rate >= 0.0833 (actual 0.0833)',
        'p95_latency_s > 30 (actual 31.25)',
        'runs < 20 (actual 12)',
        'runs == 12 (actual 12)',
        'failed >= 1 (actual 1)',
        'users <= 5 (actual 5)',
        'tokens > 3999.5 (actual 4000)',
      ],
    );
  });

  it('normalises spacing and leaves unknown values unbreached', () => {
    const empty = summaryFor('/nowhere', { runs: 0, failed: 0, p95ElapsedSeconds: null });
    assert.deepEqual(evaluateAlerts(['failure_rate>=0', 'p95_latency_s >= 0', 'runs<10'], empty).map((alert) => alert.message), ['runs < 10 (actual 0)']);
    const [alert] = evaluateAlerts(['failed  >  0.50'], summary);
    assert.deepEqual(alert, { metric: 'failed', op: '>', threshold: 0.5, text: 'failed > 0.5', actual: 1, message: 'failed > 0.5 (actual 1)' });
  });
});

describe('email', () => {
  let server: TestSmtpServer;
  before(async () => {
    server = await startSmtpServer();
  });
  after(() => server.close());

  it('sends the report folder: exact subject, addresses, HTML and text bodies, CSV attachments, deterministic Message-ID', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', ...smtpEnv(server) });
    const before = server.messages.length;
    const results = await deliverNotifications(settings, reportRequest(folder));

    const messageId = messageIdFor(IDENTITY, 'email');
    assert.match(messageId, /^<[0-9a-f]{16}\.daily\/support\/2025-03-09@difyscope>$/);
    assert.deepEqual(results, [{ channel: 'email', status: 'sent', detail: `3 recipients via 127.0.0.1:${server.port}; Message-ID ${messageId}` }]);
    assert.equal(server.messages.length, before + 1);
    const mail = server.messages.at(-1);
    assert.ok(mail);
    const { parsed } = mail;
    assert.equal(parsed.subject, '[Difyscope] daily · 客服机器人 · 2025-03-09 · 1,204 runs · 2.1% failed');
    const rawHeaders = mail.raw.toString('utf8').split('\r\n\r\n')[0] ?? '';
    // The non-ASCII subject travels as RFC 2047 encoded-words, never raw UTF-8 in the header.
    assert.match(rawHeaders, /^Subject: =\?UTF-8\?[BQ]\?/m);
    assert.ok(!rawHeaders.includes(APP_NAME));
    assert.equal(parsed.messageId, messageId);
    assert.equal(parsed.from?.text, '"Difyscope" <difyscope@example.com>');
    const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
    assert.deepEqual(to.flatMap((group) => group?.value ?? []).map((address) => [address.name, address.address]), [['', 'ops@example.com'], ['李雷', 'lilei@example.com']]);
    const cc = Array.isArray(parsed.cc) ? parsed.cc : [parsed.cc];
    assert.deepEqual(cc.flatMap((group) => group?.value ?? []).map((address) => address.address), ['boss@example.com']);
    assert.deepEqual(mail.to, ['ops@example.com', 'lilei@example.com', 'boss@example.com']);
    assert.equal(mail.from, 'difyscope@example.com');
    assert.equal(parsed.headers.get('x-difyscope-identity'), IDENTITY);
    assert.equal(parsed.html, REPORT_HTML);
    assert.equal(parsed.text, REPORT_MD);
    assert.deepEqual(
      parsed.attachments.map((attachment) => [attachment.filename, attachment.content.toString('utf8')]),
      [
        ['overview.csv', OVERVIEW_CSV],
        ['users.csv', USERS_CSV],
        ['概览.csv', OVERVIEW_CSV],
      ],
    );
  });

  it('marks alerts and incompleteness in the subject', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', ALERT_RULES: 'failure_rate > 0.01; runs < 10; p95_latency_s > 10', EMAIL_ATTACH: 'none', ...smtpEnv(server) });
    const completeness = { ...summaryFor(folder).completeness, fetched: 1200, complete: false, line: 'INCOMPLETE: 1200 of 1204 runs fetched, details for all' };
    await deliverNotifications(settings, reportRequest(folder, { completeness }));
    const mail = server.messages.at(-1);
    assert.equal(
      mail?.parsed.subject,
      '[Difyscope] daily · 客服机器人 · 2025-03-09 · 1,204 runs · 2.1% failed · ALERT failure_rate > 0.01 (actual 0.0208); p95_latency_s > 10 (actual 12.345) · INCOMPLETE',
    );
    assert.deepEqual(mail?.parsed.attachments, []);
  });

  it('zips the attachments into <app>-<period>.zip above EMAIL_ZIP_ABOVE_BYTES', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', EMAIL_ZIP_ABOVE_BYTES: '50', ...smtpEnv(server) });
    const [result] = await deliverNotifications(settings, reportRequest(folder));
    assert.match(result?.detail ?? '', /; attachments zipped into support-2025-03-09\.zip$/);
    const attachments = server.messages.at(-1)?.parsed.attachments ?? [];
    assert.deepEqual(attachments.map((attachment) => [attachment.filename, attachment.contentType]), [['support-2025-03-09.zip', 'application/zip']]);
    const files = unzipSync(new Uint8Array(attachments[0]?.content ?? Buffer.alloc(0)));
    assert.deepEqual(
      Object.entries(files).map(([name, content]) => [name, Buffer.from(content).toString('utf8')]),
      [
        ['overview.csv', OVERVIEW_CSV],
        ['users.csv', USERS_CSV],
        ['概览.csv', OVERVIEW_CSV],
      ],
    );
  });

  it('attaches a named list and reports the names the folder lacks', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', EMAIL_ATTACH: 'report.md, nodes.csv', ...smtpEnv(server) });
    const [result] = await deliverNotifications(settings, reportRequest(folder));
    assert.match(result?.detail ?? '', /; not attached \(not in the report folder\): nodes\.csv$/);
    assert.deepEqual(server.messages.at(-1)?.parsed.attachments.map((attachment) => attachment.filename), ['report.md']);

    const unsafe = settingsFor(reportFixture().outputDir, { NOTIFY_CHANNELS: 'email', EMAIL_ATTACH: '../secrets.txt', ...smtpEnv(server) });
    const failure = await failureOf(deliverNotifications(unsafe, reportRequest(folder)));
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /^email: EMAIL_ATTACH: "\.\.\/secrets\.txt" must be plain file names/);
  });

  it('sends a failure notice naming the report, the error and the workflow id, without secrets', async () => {
    const { outputDir } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', ...smtpEnv(server) });
    const results = await deliverNotifications(settings, {
      identity: IDENTITY,
      kind: 'failure',
      appKey: 'support',
      window: WINDOW,
      failure: { workflowId: IDENTITY, reportKind: 'daily', error: 'Dify answered 401 for token app-test-token-123\n  at collectLogs' },
    });
    assert.equal(results[0]?.status, 'sent');
    const mail = server.messages.at(-1);
    assert.equal(mail?.parsed.subject, '[Difyscope] FAILED daily · 客服机器人 · 2025-03-09 · Dify answered 401 for token *** at collectLogs');
    assert.equal(
      mail?.parsed.text,
      [
        '#### [Difyscope] FAILED daily · 客服机器人 · 2025-03-09',
        '',
        '**The daily report of 客服机器人 for 2025-03-09 could not be produced.**',
        '',
        '- Error: Dify answered 401 for token *** at collectLogs',
        '- Workflow id: `daily/support/2025-03-09`: open it in the Temporal Web UI for the full history',
        '- Report: `daily/support/2025-03-09`',
        // mailparser ends a decoded text part with a line break.
        '',
      ].join('\n'),
    );
    // A failure notice is its own message: it neither blocks nor is blocked by the report's.
    assert.equal(mail?.parsed.messageId, messageIdFor(`${IDENTITY}#failure`, 'email'));
  });
});

describe('email over TLS', () => {
  const pems = selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { days: 2, keySize: 2048, algorithm: 'sha256' });
  const login = { user: 'difyscope', password: SMTP_PASSWORD };
  let server: TestSmtpServer;
  before(async () => {
    server = await startSmtpServer({ tls: { key: pems.private, cert: pems.cert }, login });
  });
  after(() => server.close());

  it('upgrades with STARTTLS to a self-signed certificate when allowed, then logs in', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, {
      NOTIFY_CHANNELS: 'email',
      ...smtpEnv(server, { SMTP_SECURITY: 'starttls', SMTP_TLS_REJECT_UNAUTHORIZED: 'false', SMTP_USER: login.user, SMTP_PASSWORD: login.password }),
    });
    const [result] = await deliverNotifications(settings, reportRequest(folder));
    assert.equal(result?.status, 'sent');
    const mail = server.messages.at(-1);
    assert.equal(mail?.secure, true);
    assert.equal(mail?.user, 'difyscope');
    assert.deepEqual(server.authAttempts.at(-1), { user: 'difyscope', ok: true });
  });

  it('refuses the self-signed certificate by default, naming the settings (non-retryable)', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', ...smtpEnv(server, { SMTP_SECURITY: 'starttls', SMTP_USER: login.user, SMTP_PASSWORD: login.password }) });
    const count = server.messages.length;
    const failure = await failureOf(deliverNotifications(settings, reportRequest(folder)));
    assert.equal(failure.nonRetryable, true);
    assert.equal(failure.type, 'NotifyConfigError');
    assert.match(failure.message, /^email: SMTP 127\.0\.0\.1:\d+ TLS failed: .*self[- ]signed certificate.*SMTP_TLS_REJECT_UNAUTHORIZED=false/);
    assertNoSecrets(failure.message);
    assert.equal(server.messages.length, count);
  });

  it('fails for good on a wrong password, naming SMTP_USER and SMTP_PASSWORD without the password', async () => {
    const { outputDir, folder } = reportFixture();
    const wrong = 'wrong-pa55-word';
    const settings = settingsFor(outputDir, {
      NOTIFY_CHANNELS: 'email',
      ...smtpEnv(server, { SMTP_SECURITY: 'starttls', SMTP_TLS_REJECT_UNAUTHORIZED: 'false', SMTP_USER: login.user, SMTP_PASSWORD: wrong }),
    });
    const failure = await failureOf(deliverNotifications(settings, reportRequest(folder)));
    assert.equal(failure.nonRetryable, true);
    assert.equal(failure.type, 'NotifyAuthError');
    assert.match(failure.message, /^email: SMTP 127\.0\.0\.1:\d+ rejected the login: 535 .*; check SMTP_USER and SMTP_PASSWORD$/);
    assert.ok(!failure.message.includes(wrong));
    assert.deepEqual(server.authAttempts.at(-1), { user: 'difyscope', ok: false });
    assert.deepEqual(readdirSync(path.join(outputDir, '.notifications')).filter((name) => name.endsWith('.sent.json')), []);
  });

  it('requires the STARTTLS upgrade: a server without it is a configuration error', async () => {
    const plain = await startSmtpServer();
    try {
      const { outputDir, folder } = reportFixture();
      const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', ...smtpEnv(plain, { SMTP_SECURITY: 'starttls' }) });
      const failure = await failureOf(deliverNotifications(settings, reportRequest(folder)));
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, /check SMTP_SECURITY \(starttls, tls or none\) and SMTP_PORT/);
      assert.equal(plain.messages.length, 0);
    } finally {
      await plain.close();
    }
  });

  it('speaks implicit TLS with SMTP_SECURITY=tls', async () => {
    const implicit = await startSmtpServer({ tls: { key: pems.private, cert: pems.cert }, implicitTls: true });
    try {
      const { outputDir, folder } = reportFixture();
      const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', ...smtpEnv(implicit, { SMTP_SECURITY: 'tls', SMTP_TLS_REJECT_UNAUTHORIZED: 'false' }) });
      await deliverNotifications(settings, reportRequest(folder));
      assert.equal(implicit.messages.length, 1);
      assert.equal(implicit.messages[0]?.secure, true);
    } finally {
      await implicit.close();
    }
  });
});

describe('DingTalk', () => {
  let robot: TestReceiver;
  before(async () => {
    robot = await startReceiver();
  });
  after(() => robot.close());

  const dingtalkEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    NOTIFY_CHANNELS: 'dingtalk',
    DINGTALK_WEBHOOK: `${robot.url}/robot/send?access_token=${DINGTALK_TOKEN}`,
    DINGTALK_SECRET,
    DINGTALK_AT_MOBILES: MOBILES.join(','),
    ...extra,
  });

  it('posts a signed markdown message with the figures, changes, completeness, top errors and mentions', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, dingtalkEnv({ ALERT_RULES: 'failure_rate > 0.02' }));
    const startedAt = Date.now();
    const results = await deliverNotifications(settings, reportRequest(folder));
    assert.deepEqual(results, [{ channel: 'dingtalk', status: 'sent', detail: `posted to DingTalk robot ${robot.url}/robot/send, mentioning ${MOBILES.join(', ')}` }]);

    const request = robot.requests.at(-1);
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.url.pathname, '/robot/send');
    assert.equal(request.url.searchParams.get('access_token'), DINGTALK_TOKEN);
    const timestamp = request.url.searchParams.get('timestamp') ?? '';
    assert.ok(Number(timestamp) >= startedAt && Number(timestamp) <= Date.now(), 'timestamp is the send time in ms');
    assert.equal(request.url.searchParams.get('sign'), expectedDingTalkSign(timestamp, DINGTALK_SECRET));
    // The sign is Base64, whose + / = must be URL-encoded in the raw query.
    assert.doesNotMatch(request.url.search.split('sign=')[1] ?? '', /[+/=]/);
    assert.equal(request.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(request.json, {
      msgtype: 'markdown',
      markdown: {
        title: 'ALERT [Difyscope] daily · 客服机器人 · 2025-03-09',
        text: [
          '#### ALERT [Difyscope] daily · 客服机器人 · 2025-03-09',
          '',
          '**ALERT**: rules breached',
          '',
          '- failure_rate > 0.02 (actual 0.0208)',
          '',
          '- Runs: **1,204**',
          '- Failed: **25 (2.1%)**',
          '- Users: 87',
          '- p95 latency: 12.345 s',
          '- Tokens: 1,234,567',
          '- Cost: 0.5 RMB; 1.234567 USD',
          '',
          '**Changes against the previous day**',
          '',
          '- Runs: 1,204 (+100, +9.1%)',
          '- Failed: 25 (-5, -16.7%)',
          '- Cost (USD): 1.234567 (+0.234567, +23.5%)',
          '',
          '> complete: 1204 of 1204 runs fetched, details for all',
          '',
          '**Top errors**',
          '',
          '1. `Timeout after <n>s` × 12 in LLM',
          "2. `Rate limit '429'` × 8",
          '3. `Invalid JSON` × 3 in Parser',
          '',
          '@13800138000 @13900139000',
        ].join('\n'),
      },
      at: { atMobiles: MOBILES, isAtAll: false },
    });
  });

  it('makes an incomplete report stand out and sends without signing when no secret is set', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, dingtalkEnv({ DINGTALK_SECRET: '', DINGTALK_AT_MOBILES: '', DINGTALK_AT_ALL: 'true' }));
    const completeness = { ...summaryFor(folder).completeness, complete: false, line: 'INCOMPLETE: 1200 of 1204 runs fetched, details for all' };
    await deliverNotifications(settings, reportRequest(folder, { completeness }));
    const request = robot.requests.at(-1);
    assert.deepEqual([...(request?.url.searchParams.keys() ?? [])], ['access_token']);
    const body = request?.json as { markdown: { text: string }; at: unknown };
    assert.ok(body.markdown.text.includes('\n> **INCOMPLETE: 1200 of 1204 runs fetched, details for all**\n'));
    assert.deepEqual(body.at, { atMobiles: [], isAtAll: true });
  });

  it('treats errcode 310000 (signature, keyword or IP refused) as final, naming DINGTALK_SECRET and masking the token', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, dingtalkEnv());
    robot.replies.push({ status: 200, body: { errcode: 310000, errmsg: `sign not match, more: [https://open.dingtalk.com?access_token=${DINGTALK_TOKEN}]` } });
    const failure = await failureOf(deliverNotifications(settings, reportRequest(folder)));
    assert.equal(failure.nonRetryable, true);
    assert.equal(failure.type, 'NotifyConfigError');
    assert.equal(
      failure.message,
      `dingtalk: DingTalk robot ${robot.url}/robot/send refused the message: errcode 310000 sign not match, more: [https://open.dingtalk.com?access_token=***]; check DINGTALK_SECRET (the robot's signing secret, SEC…), or the robot's custom keywords (messages contain "Difyscope") and IP allowlist`,
    );
    assertNoSecrets(failure.message);
  });

  it('treats token errors (300001) as final, naming DINGTALK_WEBHOOK', async () => {
    const { outputDir, folder } = reportFixture();
    robot.replies.push({ status: 200, body: { errcode: 300001, errmsg: 'token is not exist' } });
    const failure = await failureOf(deliverNotifications(settingsFor(outputDir, dingtalkEnv()), reportRequest(folder)));
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /errcode 300001 token is not exist; check DINGTALK_WEBHOOK/);
  });

  it('retries errcode 130101 (over 20 messages a minute) after at least a minute, then sends once', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, dingtalkEnv());
    robot.replies.push({ status: 200, body: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' } });
    const failure = await failureOf(deliverNotifications(settings, reportRequest(folder)));
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.type, 'NotifyRateLimited');
    assert.ok(failure.nextRetryDelay !== undefined && failure.nextRetryDelay !== null);
    assert.equal(msToNumber(failure.nextRetryDelay), 60_000);
    const count = robot.requests.length;
    assert.deepEqual((await deliverNotifications(settings, reportRequest(folder))).map((result) => result.status), ['sent']);
    assert.deepEqual((await deliverNotifications(settings, reportRequest(folder))).map((result) => result.status), ['already-sent']);
    assert.equal(robot.requests.length, count + 1);
    const sent = await new NotificationLedger(outputDir).sent(IDENTITY, 'dingtalk');
    assert.equal(sent?.attempt, 2);
  });

  it('retries HTTP 5xx and unreachable robots without leaking the access_token', async () => {
    const { outputDir, folder } = reportFixture();
    robot.replies.push({ status: 502, body: 'bad gateway' });
    const busy = await failureOf(deliverNotifications(settingsFor(outputDir, dingtalkEnv()), reportRequest(folder)));
    assert.equal(busy.nonRetryable, false);
    assert.equal(busy.message, `dingtalk: DingTalk robot ${robot.url}/robot/send answered HTTP 502`);

    const closed = await startReceiver();
    await closed.close();
    const settings = settingsFor(reportFixture().outputDir, dingtalkEnv({ DINGTALK_WEBHOOK: `${closed.url}/robot/send?access_token=${DINGTALK_TOKEN}` }));
    const down = await failureOf(deliverNotifications(settings, reportRequest(folder)));
    assert.equal(down.nonRetryable, false);
    assert.equal(down.type, 'NotifyUnavailable');
    assert.match(down.message, /^dingtalk: DingTalk robot http:\/\/127\.0\.0\.1:\d+\/robot\/send could not be reached: .*ECONNREFUSED/);
    assertNoSecrets(down.message);
  });

  it('keeps the markdown under the size limit, cutting with a note and keeping the mentions', () => {
    const notification = buildNotification({ identity: IDENTITY, kind: 'test', appKey: 'support' }, APP_NAME, [], NO_EXTRAS, (text) => text);
    const long = { ...notification, markdown: Array.from({ length: 2000 }, (_, index) => `- 第${index}行：错误信息很长`).join('\n') };
    const message = dingtalkMessage(long, { webhook: 'https://oapi.dingtalk.com/robot/send?access_token=x', atMobiles: ['13800138000'], atAll: false });
    const bytes = Buffer.byteLength(message.markdown.text);
    assert.ok(bytes <= DINGTALK_MAX_BYTES && bytes > DINGTALK_MAX_BYTES - 200, `${bytes} bytes`);
    assert.ok(message.markdown.text.endsWith("\n\n… (cut here: the message exceeded DingTalk's size limit; the full report is in the report folder)\n\n@13800138000"));
    assert.match(message.markdown.text, /错误信息很长\n\n… \(cut here/);
    // Never inside a multi-byte character.
    assert.equal(cutToBytes('一二三', 4), '一');
    assert.equal(cutToBytes('ab\ncd', 10), 'ab\ncd');
  });
});

describe('generic webhook', () => {
  let receiver: TestReceiver;
  before(async () => {
    receiver = await startReceiver({ status: 204, body: '' });
  });
  after(() => receiver.close());

  it('posts the summary as JSON with an HMAC signature and an idempotency key', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'webhook', WEBHOOK_URL: `${receiver.url}/hooks/difyscope`, WEBHOOK_SECRET, ALERT_RULES: 'runs > 1000' });
    const results = await deliverNotifications(settings, reportRequest(folder));
    assert.deepEqual(results, [{ channel: 'webhook', status: 'sent', detail: `posted to webhook ${receiver.url}/hooks/difyscope (Idempotency-Key ${IDENTITY}:webhook)` }]);
    const request = receiver.requests.at(-1);
    assert.ok(request);
    assert.equal(request.headers['idempotency-key'], `${IDENTITY}:webhook`);
    assert.equal(request.headers['x-difyscope-signature'], `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(request.body).digest('hex')}`);
    const body = request.json as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['type', 'identity', 'app', 'window', 'summary', 'alerts', 'completeness', 'failure', 'subject', 'markdown']);
    assert.equal(body.type, 'report');
    assert.equal(body.identity, IDENTITY);
    assert.deepEqual(body.app, { key: 'support', name: APP_NAME });
    assert.deepEqual(body.window, WINDOW);
    assert.deepEqual(body.summary, summaryFor(folder));
    assert.deepEqual(body.alerts, [{ rule: 'runs > 1000', metric: 'runs', op: '>', threshold: 1000, actual: 1204, message: 'runs > 1000 (actual 1204)' }]);
    assert.deepEqual(body.completeness, summaryFor(folder).completeness);
    assert.equal(body.failure, null);
    assert.equal(body.subject, '[Difyscope] daily · 客服机器人 · 2025-03-09 · 1,204 runs · 2.1% failed · ALERT runs > 1000 (actual 1204)');
    assert.match(String(body.markdown), /^#### ALERT \[Difyscope\] daily · 客服机器人 · 2025-03-09\n/);
  });

  it('retries 503 and 429 (with Retry-After), fails for good on 401 naming WEBHOOK_SECRET', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'webhook', WEBHOOK_URL: `${receiver.url}/hooks/difyscope?token=query-token-123`, WEBHOOK_SECRET });
    receiver.replies.push({ status: 503, body: 'maintenance' });
    const busy = await failureOf(deliverNotifications(settings, reportRequest(folder)));
    assert.deepEqual([busy.nonRetryable, busy.message], [false, `webhook: webhook ${receiver.url}/hooks/difyscope answered HTTP 503: maintenance`]);
    receiver.replies.push({ status: 429, body: '', headers: { 'retry-after': '120' } });
    const limited = await failureOf(deliverNotifications(settings, reportRequest(folder)));
    assert.deepEqual([limited.nonRetryable, limited.type, msToNumber(limited.nextRetryDelay ?? 0)], [false, 'NotifyRateLimited', 120_000]);
    receiver.replies.push({ status: 401, body: { error: 'bad signature for query-token-123' } });
    const denied = await failureOf(deliverNotifications(settings, reportRequest(folder)));
    assert.equal(denied.nonRetryable, true);
    assert.equal(denied.message, `webhook: webhook ${receiver.url}/hooks/difyscope answered HTTP 401: {"error":"bad signature for ***"}; check WEBHOOK_SECRET and WEBHOOK_URL`);
  });
});

describe('exactly once', () => {
  let server: TestSmtpServer;
  before(async () => {
    server = await startSmtpServer();
  });
  after(() => server.close());

  it('sends once per identity and channel: a second delivery finds the ledger', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', ...smtpEnv(server) });
    const count = server.messages.length;
    assert.equal((await deliverNotifications(settings, reportRequest(folder)))[0]?.status, 'sent');
    const [second] = await deliverNotifications(settings, reportRequest(folder));
    assert.equal(second?.status, 'already-sent');
    assert.match(second?.detail ?? '', /^already sent at \d{4}-\d\d-\d\dT[\d:.]+Z \(<[0-9a-f]{16}\.daily\/support\/2025-03-09@difyscope>, attempt 1\)$/);
    assert.equal(server.messages.length, count + 1);

    const files = readdirSync(path.join(outputDir, '.notifications')).sort();
    assert.deepEqual(files.map((name) => name.replace(/[0-9a-f]{12}/, 'HASH')), ['daily_support_2025-03-09.HASH.email.intent.json', 'daily_support_2025-03-09.HASH.email.sent.json']);
    const record = JSON.parse(readFileSync(path.join(outputDir, '.notifications', files[1] ?? ''), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(record), ['channel', 'identity', 'key', 'messageId', 'attempt', 'sentAt', 'detail']);
    assert.deepEqual([record.channel, record.identity, record.messageId, record.attempt], ['email', IDENTITY, messageIdFor(IDENTITY, 'email'), 1]);
  });

  it('a worker dying after the server accepted and the ledger was written does not cause a second message', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', ...smtpEnv(server) });
    const count = server.messages.length;
    const crash = new Error('worker died');
    await assert.rejects(
      deliverNotifications(settings, reportRequest(folder), {
        afterSend: () => Promise.reject(crash),
      }),
      crash,
    );
    const retry = await deliverNotifications(settings, reportRequest(folder));
    assert.deepEqual(retry.map((result) => result.status), ['already-sent']);
    assert.equal(server.messages.length, count + 1);
  });

  it('after a crash between acceptance and the ledger write, the resend reuses the recorded Message-ID', async () => {
    const { outputDir, folder } = reportFixture();
    const settings = settingsFor(outputDir, { NOTIFY_CHANNELS: 'email', ...smtpEnv(server) });
    const ledger = new NotificationLedger(outputDir);
    const earlier = '<0123456789abcdef.daily/support/2025-03-09@difyscope>';
    await ledger.recordIntent({ channel: 'email', identity: IDENTITY, key: IDENTITY, messageId: earlier, attempt: 1, startedAt: '2025-03-10T00:00:00.000Z' });
    await deliverNotifications(settings, reportRequest(folder));
    assert.equal(server.messages.at(-1)?.parsed.messageId, earlier);
    assert.deepEqual([(await ledger.sent(IDENTITY, 'email'))?.attempt, (await ledger.sent(IDENTITY, 'email'))?.messageId], [2, earlier]);
  });

  it('records the channels that succeeded before failing, and a retry sends only the failed one', async () => {
    const robot = await startReceiver();
    try {
      const { outputDir, folder } = reportFixture();
      const settings = settingsFor(outputDir, {
        NOTIFY_CHANNELS: 'email,dingtalk',
        ...smtpEnv(server),
        DINGTALK_WEBHOOK: `${robot.url}/robot/send?access_token=${DINGTALK_TOKEN}`,
      });
      const mails = server.messages.length;
      robot.replies.push({ status: 200, body: { errcode: 130101, errmsg: 'send too fast' } });
      const failure = await failureOf(deliverNotifications(settings, reportRequest(folder)));
      assert.equal(failure.nonRetryable, false);
      assert.match(failure.message, /^dingtalk: /);
      const retry = await deliverNotifications(settings, reportRequest(folder));
      assert.deepEqual(retry.map((result) => [result.channel, result.status]), [['email', 'already-sent'], ['dingtalk', 'sent']]);
      assert.equal(server.messages.length, mails + 1);
      assert.equal(robot.requests.length, 2);
    } finally {
      await robot.close();
    }
  });

  it('rejects a report notice without its summary, and an unknown app, as final', async () => {
    const settings = settingsFor(reportFixture().outputDir, { NOTIFY_CHANNELS: 'email', ...smtpEnv(server) });
    const missing = await failureOf(deliverNotifications(settings, { identity: IDENTITY, kind: 'report', appKey: 'support' }));
    assert.deepEqual([missing.nonRetryable, missing.type, missing.message], [true, 'InvalidRequest', 'a report notification needs the report summary']);
    const unknown = await failureOf(deliverNotifications(settings, { identity: IDENTITY, kind: 'test', appKey: 'nope' }));
    assert.deepEqual([unknown.nonRetryable, unknown.type], [true, 'ConfigError']);
  });
});

describe('test messages', () => {
  it('sends one test message per configured channel and reports each outcome without throwing', async () => {
    const server = await startSmtpServer();
    const robot = await startReceiver();
    try {
      const settings = settingsFor(reportFixture().outputDir, {
        ...smtpEnv(server),
        DINGTALK_WEBHOOK: `${robot.url}/robot/send?access_token=${DINGTALK_TOKEN}`,
        DINGTALK_SECRET,
        WEBHOOK_URL: `${robot.url}/hooks/difyscope`,
      });
      robot.replies.push({ status: 200, body: { errcode: 310000, errmsg: 'keywords not in content' } });
      const results = await sendTestMessages(settings);
      assert.deepEqual(
        results.map((result) => [result.channel, result.ok]),
        [
          ['email', true],
          ['dingtalk', false],
          ['webhook', true],
        ],
      );
      assert.match(results[1]?.detail ?? '', /^DingTalk robot .* errcode 310000 keywords not in content; check DINGTALK_SECRET/);
      for (const result of results) assertNoSecrets(result.detail);
      assert.equal(server.messages[0]?.parsed.subject, `[Difyscope] test · ${APP_NAME} · channel check`);
      assert.equal((robot.requests[1]?.json as { type?: string }).type, 'test');
      // Test messages bypass the ledger: running the check again sends again.
      await sendTestMessages(settings);
      assert.equal(server.messages.length, 2);
    } finally {
      await server.close();
      await robot.close();
    }
  });
});
