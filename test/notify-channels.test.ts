import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure, msToNumber } from '@temporalio/common';
import type { ReportSummary } from '../common/contracts';
import { loadSettings, type Settings } from '../config/load';
import { deliverNotifications, type NotifyRequest } from '../activities/notify';
import { wecomMessage, WECOM_MAX_BYTES } from '../activities/notify/wecom';
import { buildNotification } from '../activities/notify/message';
import { NO_EXTRAS } from '../activities/notify/report-extras';
import { completenessText } from '../reports/completeness';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp';
import { expectedFeishuSign, startFeishuBot, startWeComRobot, type CheckingReceiver } from './helpers/chat-receivers';

/**
 * Feishu/Lark and WeCom robots, per-app routing and message language, against local
 * receivers that check signatures and bodies the way the services do, and a real SMTP server.
 */

const FEISHU_TOKEN = 'feishu-hook-0123456789abcdef';
const FEISHU_SECRET = 'feishu-secret-0123456789';
const WECOM_KEY = 'wecom-key-0123456789abcdef';
const IDENTITY = 'daily/support/2025-03-09';
const WINDOW = { kind: 'daily' as const, from: '2025-03-09T00:00:00.000+08:00', to: '2025-03-10T00:00:00.000+08:00', timezone: 'Asia/Shanghai', label: '2025-03-09' };
const COMPLETENESS = { level: 'details' as const, expected: 1204, fetched: 1204, duplicates: 0, invalid: 0, detailFailures: 0, nodeFailures: 0, complete: true, line: 'complete: 1204 of 1204 runs fetched, details for all' };

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function summaryFor(app: string, folder: string, overrides: Partial<ReportSummary> = {}): ReportSummary {
  return { app, window: WINDOW, folder, files: ['report.md'], runs: 1204, succeeded: 1179, failed: 25, users: 87, totalTokens: 1_234_567, cost: { USD: 1.5 }, p95ElapsedSeconds: 12.5, completeness: COMPLETENESS, ...overrides };
}

function fixture(app = 'support'): { outputDir: string; folder: string } {
  const outputDir = mkdtempSync(path.join(tmpdir(), 'difyscope-channels-'));
  dirs.push(outputDir);
  const folder = path.join(outputDir, app, 'daily', '2025-03-09');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'report.md'), `# ${app}\n`);
  return { outputDir, folder };
}

function request(app: string, folder: string, overrides: Partial<ReportSummary> = {}): NotifyRequest {
  return { identity: `daily/${app}/2025-03-09`, kind: 'report', appKey: app, window: WINDOW, summary: summaryFor(app, folder, overrides) };
}

function settings(outputDir: string, env: Record<string, string>): Settings {
  return loadSettings({ DIFY_BASE_URL: 'http://dify.local', DIFY_API_TOKEN: 'app-test-token-123', APP_KEY: 'support', APP_NAME: '客服机器人', OUTPUT_DIR: outputDir, ...env });
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

describe('Feishu/Lark bot', () => {
  let bot: CheckingReceiver;
  before(async () => {
    bot = await startFeishuBot(FEISHU_TOKEN, FEISHU_SECRET);
  });
  after(() => bot.close());
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ NOTIFY_CHANNELS: 'feishu', FEISHU_WEBHOOK: `${bot.url}/open-apis/bot/v2/hook/${FEISHU_TOKEN}`, FEISHU_SECRET, ...extra });

  it('posts a signed card the bot accepts, with the figures and the completeness line', async () => {
    const { outputDir, folder } = fixture();
    const before = Math.floor(Date.now() / 1000);
    const results = await deliverNotifications(settings(outputDir, env()), request('support', folder));
    assert.deepEqual(results.map((result) => [result.channel, result.status]), [['feishu', 'sent']]);
    assert.ok(!results[0]?.detail.includes(FEISHU_TOKEN), 'the token stays out of the detail');
    assert.equal(bot.accepted.length, 1);
    const body = bot.accepted[0]?.json as { timestamp: string; sign: string; msg_type: string; card: { header: { template: string; title: { content: string } }; elements: { tag: string; content: string }[] } };
    assert.ok(Number(body.timestamp) >= before && Number(body.timestamp) <= Math.ceil(Date.now() / 1000), 'timestamp in seconds');
    assert.equal(body.sign, expectedFeishuSign(body.timestamp, FEISHU_SECRET));
    assert.equal(body.msg_type, 'interactive');
    assert.equal(body.card.header.title.content, '[Difyscope] daily · 客服机器人 · 2025-03-09');
    assert.equal(body.card.header.template, 'blue');
    const content = body.card.elements[0]?.content ?? '';
    assert.ok(!content.startsWith('#'), 'the heading is the card header, not repeated');
    for (const line of ['- Runs: **1,204**', '- Failed: **25 (2.1%)**', '> complete: 1204 of 1204 runs fetched, details for all']) assert.ok(content.includes(line), line);
    // Exactly once: the ledger answers the second delivery.
    const again = await deliverNotifications(settings(outputDir, env()), request('support', folder));
    assert.deepEqual(again.map((result) => result.status), ['already-sent']);
    assert.equal(bot.accepted.length, 1);
  });

  it('a wrong secret is refused by the bot (19021) and fails for good, naming FEISHU_SECRET without secrets', async () => {
    const { outputDir, folder } = fixture();
    const failure = await failureOf(deliverNotifications(settings(outputDir, env({ FEISHU_SECRET: 'wrong-secret-000' })), request('support', folder)));
    assert.equal(failure.nonRetryable, true);
    assert.equal(failure.type, 'NotifyConfigError');
    assert.match(failure.message, /^feishu: Feishu bot http:\/\/127\.0\.0\.1:\d+\/open-apis\/bot\/v2\/hook\/… refused the message: code 19021 .*; check FEISHU_SECRET/);
    for (const secret of [FEISHU_TOKEN, 'wrong-secret-000']) assert.ok(!failure.message.includes(secret));
  });

  it('retries when rate limited (11232) after a minute, then sends once', async () => {
    const { outputDir, folder } = fixture();
    bot.replies.push({ status: 200, body: { code: 11232, msg: 'frequency limited psm[lark.oapi.app_platform_runtime]appID[1]' } });
    const failure = await failureOf(deliverNotifications(settings(outputDir, env()), request('support', folder)));
    assert.equal(failure.nonRetryable, false);
    assert.equal(msToNumber(failure.nextRetryDelay ?? 0), 60_000);
    const count = bot.accepted.length;
    assert.deepEqual((await deliverNotifications(settings(outputDir, env()), request('support', folder))).map((result) => result.status), ['sent']);
    assert.equal(bot.accepted.length, count + 1);
  });
});

describe('WeCom group robot', () => {
  let robot: CheckingReceiver;
  before(async () => {
    robot = await startWeComRobot(WECOM_KEY);
  });
  after(() => robot.close());
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ NOTIFY_CHANNELS: 'wecom', WECOM_WEBHOOK: `${robot.url}/cgi-bin/webhook/send?key=${WECOM_KEY}`, WECOM_MENTION: 'lilei,hanmeimei', ...extra });

  it('posts markdown the robot accepts, mentioning the configured users', async () => {
    const { outputDir, folder } = fixture();
    const results = await deliverNotifications(settings(outputDir, env()), request('support', folder));
    assert.deepEqual(results.map((result) => [result.channel, result.status]), [['wecom', 'sent']]);
    assert.equal(robot.accepted.length, 1);
    const body = robot.accepted[0]?.json as { msgtype: string; markdown: { content: string } };
    assert.equal(body.msgtype, 'markdown');
    assert.ok(body.markdown.content.startsWith('### [Difyscope] daily · 客服机器人 · 2025-03-09\n'));
    assert.ok(body.markdown.content.includes('- Runs: **1,204**'));
    assert.ok(body.markdown.content.endsWith('\n\n<@lilei> <@hanmeimei>'));
    assert.deepEqual((await deliverNotifications(settings(outputDir, env()), request('support', folder))).map((result) => result.status), ['already-sent']);
    assert.equal(robot.accepted.length, 1);
  });

  it('a wrong key is refused (93000) and fails for good, naming WECOM_WEBHOOK without the key', async () => {
    const { outputDir, folder } = fixture();
    const failure = await failureOf(deliverNotifications(settings(outputDir, env({ WECOM_WEBHOOK: `${robot.url}/cgi-bin/webhook/send?key=not-the-key-123` })), request('support', folder)));
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /errcode 93000 invalid webhook url; check WECOM_WEBHOOK/);
    assert.ok(!failure.message.includes('not-the-key-123'));
  });

  it('keeps the markdown within 4,096 bytes, mentions included', () => {
    const notification = buildNotification(request('support', '/nowhere'), '客服机器人', [], { changes: [], errors: Array.from({ length: 3 }, (_, index) => ({ signature: `错误 ${index} ${'很长的错误信息'.repeat(200)}`, node: 'LLM', count: 1 })) }, (text) => text);
    const long = { ...notification, markdown: `${notification.markdown}\n${'数据'.repeat(3000)}` };
    const content = wecomMessage(long, { webhook: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', mention: ['lilei'] }).markdown.content;
    assert.ok(Buffer.byteLength(content) <= WECOM_MAX_BYTES, `${Buffer.byteLength(content)} bytes`);
    assert.ok(content.endsWith('<@lilei>'));
  });
});

describe('per-app routing and message language', () => {
  let feishu: CheckingReceiver;
  let wecom: CheckingReceiver;
  let smtp: TestSmtpServer;
  before(async () => {
    feishu = await startFeishuBot(FEISHU_TOKEN, FEISHU_SECRET);
    wecom = await startWeComRobot(WECOM_KEY);
    smtp = await startSmtpServer();
  });
  after(async () => {
    await feishu.close();
    await wecom.close();
    await smtp.close();
  });

  it('each app of DIFYSCOPE_CONFIG reaches its own channels and recipients, in its own language', async () => {
    const outputDir = mkdtempSync(path.join(tmpdir(), 'difyscope-routing-'));
    dirs.push(outputDir);
    const configFile = path.join(outputDir, 'apps.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        apps: [
          { key: 'support', name: '客服机器人', difyBaseUrl: 'http://dify.local', apiTokenEnv: 'SUPPORT_TOKEN', locale: 'zh-CN', notify: { channels: ['feishu', 'email'], feishu: { webhookEnv: 'SUPPORT_FEISHU', secretEnv: 'SUPPORT_FEISHU_SECRET' }, email: { to: ['support-lead@example.com'] } } },
          { key: 'sales', name: 'Sales bot', difyBaseUrl: 'http://dify.local', apiTokenEnv: 'SALES_TOKEN', notify: { channels: ['wecom', 'email'], wecom: { mention: ['wangwu'] } } },
        ],
      }),
    );
    const loaded = loadSettings({
      DIFYSCOPE_CONFIG: configFile,
      OUTPUT_DIR: outputDir,
      SUPPORT_TOKEN: 'app-support-token',
      SALES_TOKEN: 'app-sales-token',
      SUPPORT_FEISHU: `${feishu.url}/open-apis/bot/v2/hook/${FEISHU_TOKEN}`,
      SUPPORT_FEISHU_SECRET: FEISHU_SECRET,
      WECOM_WEBHOOK: `${wecom.url}/cgi-bin/webhook/send?key=${WECOM_KEY}`,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_SECURITY: 'none',
      SMTP_FROM: 'Difyscope <difyscope@example.com>',
      SMTP_TO: 'everyone@example.com',
    });
    assert.ok(loaded.secrets.includes(FEISHU_SECRET), 'per-app secrets are redacted like the shared ones');

    const supportFolder = path.join(outputDir, 'support', 'daily', '2025-03-09');
    mkdirSync(supportFolder, { recursive: true });
    writeFileSync(path.join(supportFolder, 'report.md'), '# 客服机器人\n');
    const incomplete = { ...COMPLETENESS, fetched: 1200, complete: false, line: 'INCOMPLETE: 1200 of 1204 runs fetched, details for all' };
    await deliverNotifications(loaded, request('support', supportFolder, { completeness: incomplete, folder: supportFolder }));
    const salesFolder = path.join(outputDir, 'sales', 'daily', '2025-03-09');
    mkdirSync(salesFolder, { recursive: true });
    writeFileSync(path.join(salesFolder, 'report.md'), '# Sales bot\n');
    await deliverNotifications(loaded, request('sales', salesFolder, { app: 'sales', folder: salesFolder }));

    // support: Feishu (its own bot) and e-mail to its own lead; zh-CN words and completeness.
    assert.equal(feishu.accepted.length, 1);
    const card = (feishu.accepted[0]?.json as { card: { header: { template: string; title: { content: string } }; elements: { content: string }[] } }).card;
    assert.equal(card.header.title.content, '[Difyscope] 日报 · 客服机器人 · 2025-03-09');
    assert.equal(card.header.template, 'orange');
    const text = card.elements[0]?.content ?? '';
    for (const line of ['- 运行次数: **1,204**', '- 失败: **25 (2.1%)**', '> **不完整：已获取 1200/1204 条运行记录，详情全部获取**']) assert.ok(text.includes(line), `${line} in\n${text}`);
    assert.doesNotMatch(text, /Runs|Failed|INCOMPLETE|complete:/);
    // sales: WeCom (the shared robot, its own mention) and e-mail to the shared list; English.
    assert.equal(wecom.accepted.length, 1);
    const markdown = (wecom.accepted[0]?.json as { markdown: { content: string } }).markdown.content;
    assert.ok(markdown.startsWith('### [Difyscope] daily · Sales bot · 2025-03-09'));
    assert.ok(markdown.endsWith('<@wangwu>'));

    const mails = smtp.messages.map((mail) => ({ to: mail.to, subject: mail.parsed.subject }));
    assert.deepEqual(mails, [
      { to: ['support-lead@example.com'], subject: '[Difyscope] 日报 · 客服机器人 · 2025-03-09 · 1,204 次运行 · 失败 2.1% · 数据不完整' },
      { to: ['everyone@example.com'], subject: '[Difyscope] daily · Sales bot · 2025-03-09 · 1,204 runs · 2.1% failed' },
    ]);
  });

  it('a failure notice in zh-CN', () => {
    const notification = buildNotification(
      { identity: IDENTITY, kind: 'failure', appKey: 'support', window: WINDOW, failure: { workflowId: IDENTITY, error: 'Dify answered 401', reportKind: 'daily' } },
      '客服机器人',
      [],
      NO_EXTRAS,
      (text) => text,
      'zh-CN',
    );
    assert.equal(notification.subject, '[Difyscope] 失败 日报 · 客服机器人 · 2025-03-09 · Dify answered 401');
    assert.ok(notification.markdown.includes('**客服机器人 2025-03-09 的日报未能生成。**'));
  });

  it('the completeness line in both languages, from the same counts', () => {
    const counts = { ...COMPLETENESS, level: 'nodes' as const, fetched: 1200, duplicates: 2, detailFailures: 3, complete: false };
    assert.equal(completenessText(counts, 'en'), 'INCOMPLETE: 1200 of 1204 runs fetched, 2 duplicates dropped, 3 details missing, node executions for all');
    assert.equal(completenessText(counts, 'zh-CN'), '不完整：已获取 1200/1204 条运行记录，去除重复 2 条，缺少 3 条详情，节点执行全部获取');
  });

  it('an app naming a channel no variable configures is refused with one line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'difyscope-routing-'));
    dirs.push(dir);
    const configFile = path.join(dir, 'apps.json');
    writeFileSync(configFile, JSON.stringify({ apps: [{ key: 'ops', difyBaseUrl: 'http://dify.local', apiTokenEnv: 'OPS_TOKEN', notify: { channels: ['feishu'] } }] }));
    assert.throws(() => loadSettings({ DIFYSCOPE_CONFIG: configFile, OPS_TOKEN: 'app-ops-token' }), /^ConfigError: app ops: notify channel "feishu" is not configured; set its variables \(FEISHU_WEBHOOK\)$/);
    writeFileSync(configFile, JSON.stringify({ apps: [{ key: 'ops', difyBaseUrl: 'http://dify.local', apiTokenEnv: 'OPS_TOKEN', notify: { channels: ['feishu'], feishu: { webhookEnv: 'OPS_FEISHU' } } }] }));
    assert.throws(() => loadSettings({ DIFYSCOPE_CONFIG: configFile, OPS_TOKEN: 'app-ops-token' }), /apps\[0\] \(ops\)\.notify\.feishu\.webhookEnv: environment variable OPS_FEISHU is not set/);
  });
});
