import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings } from '../config/load';
import { runChecks } from '../client/check';
import { applySchedules } from '../client/schedules';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { FIXTURE_CONSOLE, fixtureEnv, fixtureStore } from './fixtures/store-builder';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp';
import { startTemporal } from './helpers/temporal';

/** `difyscope check`: one line per check, against a real Temporal server, the fake Dify and a real SMTP server. */
describe('difyscope check', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let smtp: TestSmtpServer;
  const recent = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

  before(async () => {
    env = await startTemporal();
    smtp = await startSmtpServer();
    dify = await startDifyServer({ store: fixtureStore([{ n: 1, at: recent, user: 'alice', elapsed: 1, tokens: 10 }]), profile: 'cookie-base64' });
  });
  after(async () => {
    await dify?.close();
    await smtp?.close();
    await env?.teardown();
  });

  const settingsWith = (extra: Record<string, string> = {}) =>
    loadSettings({
      ...fixtureEnv(dify.url),
      APP_KEY: 'support',
      TEMPORAL_ADDRESS: env.address,
      OUTPUT_DIR: mkdtempSync(path.join(tmpdir(), 'difyscope-check-')),
      NOTIFY_CHANNELS: 'email,dingtalk',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_SECURITY: 'none',
      SMTP_FROM: 'difyscope@example.com',
      SMTP_TO: 'ops@example.com',
      DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=abcdef123456',
      ...extra,
    });

  it('passes every check once the schedules are applied', { timeout: 60_000 }, async () => {
    const settings = settingsWith();
    const before = await runChecks(settings);
    assert.deepEqual(before.map((result) => [result.ok, result.name]), [
      [true, 'Configuration'],
      [true, 'support: Dify service API'],
      [true, 'support: Dify console and node executions'],
      [true, 'Temporal'],
      [false, 'Schedules'],
      [true, 'E-mail (SMTP)'],
      [true, 'DingTalk'],
    ]);
    assert.equal(before[4]?.detail, 'difyscope/support/daily missing, difyscope/support/weekly missing; run difyscope schedules apply');
    assert.equal(before[1]?.detail, `app "Fixture app" (workflow) on Dify ${dify.profile.serverVersion}`);
    assert.match(before[2]?.detail ?? '', /^logged in \(e-mail and password, login flavour cookie-base64, from Dify 1\.13\.0\); 3 node executions read for run 22222222-/);
    assert.equal(before[6]?.detail, 'oapi.dingtalk.com/robot/send with access_token, unsigned (set DINGTALK_SECRET if the robot uses signing)');

    await applySchedules(env.client, settings, { prune: false });
    const after = await runChecks(settings);
    assert.deepEqual(after.filter((result) => !result.ok), []);
    assert.equal(after[4]?.detail, '2 in sync with the configuration');
    assert.equal(smtp.messages.length, 0, 'check sends no mail');
  });

  it('a wrong console password costs exactly one login attempt and names the setting', { timeout: 60_000 }, async () => {
    const loginsBefore = dify.requests.filter((request) => request.path === '/console/api/login').length;
    const results = await runChecks(settingsWith({ DIFY_CONSOLE_PASSWORD: 'WrongPassw0rd1' }));
    const consoleCheck = results.find((result) => result.name === 'support: Dify console and node executions');
    assert.equal(consoleCheck?.ok, false);
    assert.match(consoleCheck?.detail ?? '', /DIFY_CONSOLE_PASSWORD/);
    assert.doesNotMatch(consoleCheck?.detail ?? '', /WrongPassw0rd1/);
    assert.equal(dify.requests.filter((request) => request.path === '/console/api/login').length - loginsBefore, 1);
    assert.equal(dify.loginFailures(FIXTURE_CONSOLE.email), 1);
  });

  it('reports an unreachable Temporal and a wrong service token with their fixes', { timeout: 60_000 }, async () => {
    const results = await runChecks(settingsWith({ DIFY_API_TOKEN: 'app-not-a-real-key', TEMPORAL_ADDRESS: '127.0.0.1:9', NOTIFY_CHANNELS: '' }));
    assert.deepEqual(results.map((result) => [result.ok, result.name]), [
      [true, 'Configuration'],
      [false, 'support: Dify service API'],
      [false, 'Temporal'],
      [true, 'E-mail (SMTP)'],
      [true, 'DingTalk'],
    ]);
    assert.match(results[1]?.detail ?? '', /DIFY_API_TOKEN/);
    assert.match(results[2]?.detail ?? '', /^cannot reach 127\.0\.0\.1:9 .*check TEMPORAL_ADDRESS/);
  });
});
