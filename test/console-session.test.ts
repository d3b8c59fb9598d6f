import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { failureReason } from '../client/report';
import { statusReport } from '../client/status';
import { loadSettings } from '../config/load';
import { generateRuns } from '../simulator/generate';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { dailyReportWorkflow, reportWorkflow, weeklyReportWorkflow } from '../workflows';
import { FIXTURE_APP_ID, FIXTURE_CONSOLE, FIXTURE_TOKEN, fixtureEnv } from './fixtures/store-builder';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';
import { startCli } from './helpers/processes';
import { recordHistory } from './helpers/history';

/**
 * One worker shares one console session per Dify and app: a wrong password costs exactly one
 * failed login however many shards, reports and retries ask for node executions.
 */
describe('a wrong console password on one worker', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let worker: RunningWorker;
  const taskQueue = uniqueTaskQueue('console-session');

  before(async () => {
    env = await startTemporal();
    const logs = generateRuns({ date: '2025-03-01', timezone: 'UTC', days: 7, runs: 7 * 40, appId: FIXTURE_APP_ID, apiToken: FIXTURE_TOKEN, consoleUser: FIXTURE_CONSOLE });
    dify = await startDifyServer({
      store: { apps: [{ id: FIXTURE_APP_ID, name: 'Fixture app', mode: 'workflow', apiToken: FIXTURE_TOKEN, status: 'normal', enableApi: true, logs }], consoleUsers: [{ id: '66666666-0000-4000-8000-000000000001', name: 'Ops', ...FIXTURE_CONSOLE }] },
      profile: 'tokenpair',
    });
    const settings = loadSettings({
      ...fixtureEnv(dify.url),
      DIFY_CONSOLE_PASSWORD: 'Wr0ngPassw0rd9',
      APP_KEY: 'support',
      REPORT_TIMEZONE: 'UTC',
      DIFY_COLLECT_LEVEL: 'nodes',
      OUTPUT_DIR: await mkdtemp(path.join(tmpdir(), 'difyscope-console-session-')),
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    worker = await startTestWorker(env, settings);
  });

  after(async () => {
    await worker?.stop();
    await dify?.close();
    await env?.teardown();
  });

  it('a sharded week report and a daily report: one failed login, both fail naming the setting', { timeout: 180_000 }, async () => {
    const week = await env.client.workflow.start(reportWorkflow, {
      taskQueue,
      workflowId: 'range/support/2025-03-01_2025-03-07',
      args: [{ app: 'support', from: '2025-03-01', to: '2025-03-07', level: 'nodes' }],
    });
    const daily = await env.client.workflow.start(dailyReportWorkflow, {
      taskQueue,
      workflowId: 'daily/support/by-hand',
      args: [{ app: 'support', timezone: 'UTC', at: '2025-03-05T06:00:00Z' }],
    });
    const reasons: string[] = [];
    for (const handle of [week, daily]) {
      await assert.rejects(handle.result(), (error: unknown) => {
        reasons.push(failureReason(error));
        return true;
      });
    }
    for (const reason of reasons) assert.match(reason, /console login.*DIFY_CONSOLE_(EMAIL|PASSWORD)/i);
    assert.equal(reasons[0]?.includes('\n'), false);
    // `difyscope status` shows the same one-line reason and exits 1.
    const status = await statusReport(env.client, week.workflowId);
    assert.equal(status.failed, true);
    assert.ok(status.lines.some((line) => /^ {2}reason: Dify rejected the console login .*DIFY_CONSOLE_PASSWORD/.test(line)), status.lines.join('\n'));
    const logins = dify.requests.filter((request) => request.path === '/console/api/login');
    assert.equal(dify.loginFailures(FIXTURE_CONSOLE.email), 1, `logins: ${logins.length}`);
    assert.equal(logins.length, 1);

    if (process.env.RECORD_HISTORY) {
      await recordHistory(week, 'report-failure-console-login');
      await recordHistory(daily, 'scheduled-daily-failure-console-login');
    }
  });

  it('`difyscope report` and `difyscope status` print the reason in one line and exit 1', { timeout: 120_000 }, async () => {
    const cliEnv = { ...fixtureEnv(dify.url), DIFY_CONSOLE_PASSWORD: 'Wr0ngPassw0rd9', APP_KEY: 'support', REPORT_TIMEZONE: 'UTC', TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue };
    const cwd = await mkdtemp(path.join(tmpdir(), 'difyscope-cli-reason-'));
    const report = startCli(['report', '--from', '2025-03-03', '--to', '2025-03-03', '--level', 'nodes'], cliEnv, cwd);
    assert.equal(await report.exited, 1, report.output());
    assert.match(report.output(), /^difyscope: report range\/support\/2025-03-03 failed: Dify rejected the console login .*DIFY_CONSOLE_PASSWORD.*$/m);
    const status = startCli(['status', 'range/support/2025-03-03'], cliEnv, cwd);
    assert.equal(await status.exited, 1, status.output());
    assert.match(status.output(), /^ {2}reason: Dify rejected the console login .*DIFY_CONSOLE_PASSWORD/m);
    assert.equal(dify.loginFailures(FIXTURE_CONSOLE.email), 1);
  });

  it('a hand-started scheduled workflow with a typo in its time zone fails at once, naming the field', { timeout: 60_000 }, async () => {
    const handle = await env.client.workflow.start(weeklyReportWorkflow, {
      taskQueue,
      workflowId: 'weekly/support/typo',
      args: [{ app: 'support', timezone: 'Asia/Shanghia' }],
    });
    await assert.rejects(handle.result(), (error: unknown) => {
      assert.match(failureReason(error), /^workflow input: timezone: unknown time zone/);
      return true;
    });
    const description = await handle.describe();
    assert.equal(description.status.name, 'FAILED');
    if (process.env.RECORD_HISTORY) await recordHistory(handle, 'scheduled-weekly-invalid-input');
  });
});
