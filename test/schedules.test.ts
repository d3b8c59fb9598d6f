import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings, type Settings } from '../config/load';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { applySchedules, backfillSchedule, describeSchedule, listSchedules, scheduleId } from '../client/schedules';
import { dailyWindow, weeklyWindow } from '../common/window';
import { FIXTURE_TOKEN, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { recordHistory } from './helpers/history';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';

/** Three runs a day on 2025-03-03..12 (Asia/Shanghai): at 00:00:00, 12:00:00 and 23:59:59 local. */
const DAYS = Array.from({ length: 10 }, (_, index) => `2025-03-${String(3 + index).padStart(2, '0')}`);
const RUNS: FixtureRun[] = DAYS.flatMap((day, index) => [
  { n: index * 3 + 1, at: `${day}T00:00:00+08:00`, user: `user-${index % 4}`, elapsed: 1, tokens: 10 },
  { n: index * 3 + 2, at: `${day}T12:00:00+08:00`, user: `user-${(index + 1) % 4}`, elapsed: 2, tokens: 20 },
  { n: index * 3 + 3, at: `${day}T23:59:59+08:00`, user: `user-${(index + 2) % 4}`, elapsed: 3, tokens: 30 },
]);

async function runIds(folder: string): Promise<string[]> {
  const lines = gunzipSync(await readFile(path.join(folder, 'raw', 'runs.ndjson.gz'))).toString('utf8').trim().split('\n').filter(Boolean);
  return lines.map((line) => (JSON.parse(line) as { log: { workflow_run: { id: string } } }).log.workflow_run.id).sort();
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

function settingsFor(dify: RunningDifyServer, outputDir: string, taskQueue: string, extra: Record<string, string> = {}): Settings {
  return loadSettings({
    DIFY_BASE_URL: dify.url,
    DIFY_API_TOKEN: FIXTURE_TOKEN,
    APP_KEY: 'support',
    REPORT_TIMEZONE: 'Asia/Shanghai',
    OUTPUT_DIR: outputDir,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...extra,
  });
}

describe('schedules on a real Temporal server', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let worker: RunningWorker;
  let settings: Settings;
  const outputDir = mkdtempSync(path.join(tmpdir(), 'difyscope-schedules-'));
  const taskQueue = uniqueTaskQueue('schedules');

  before(async () => {
    env = await startTemporal();
    dify = await startDifyServer({ store: fixtureStore(RUNS), profile: 'tokenpair' });
    settings = settingsFor(dify, outputDir, taskQueue);
    worker = await startTestWorker(env, settings);
  });

  after(async () => {
    for await (const schedule of env.client.schedule.list()) await env.client.schedule.getHandle(schedule.scheduleId).delete();
    await worker?.stop();
    await dify?.close();
    await env?.teardown();
  });

  it('applies idempotently: twice unchanged, a new time updates in place, --prune removes orphans', { timeout: 180_000 }, async () => {
    assert.deepEqual(await applySchedules(env.client, settings, { prune: false }), [
      { id: 'difyscope/support/daily', outcome: 'created' },
      { id: 'difyscope/support/weekly', outcome: 'created' },
    ]);
    assert.deepEqual(await applySchedules(env.client, settings, { prune: false }), [
      { id: 'difyscope/support/daily', outcome: 'unchanged' },
      { id: 'difyscope/support/weekly', outcome: 'unchanged' },
    ]);
    const later = settingsFor(dify, outputDir, taskQueue, { DAILY_REPORT_TIME: '07:30' });
    assert.deepEqual(await applySchedules(env.client, later, { prune: false }), [
      { id: 'difyscope/support/daily', outcome: 'updated' },
      { id: 'difyscope/support/weekly', outcome: 'unchanged' },
    ]);
    const described = await describeSchedule(env.client, scheduleId('support', 'daily'));
    assert.ok(described.includes('  when: 07:30 on MONDAY,TUESDAY,WEDNESDAY,THURSDAY,FRIDAY,SATURDAY,SUNDAY'), described.join('\n'));
    assert.ok(described.includes('  timezone: Asia/Shanghai'));
    assert.ok(described.includes('  overlap: BUFFER_ALL, catch-up window: 168 h'));
    // A stuck period ends before the next is due instead of holding the BUFFER_ALL queue.
    const action = (await env.client.schedule.getHandle(scheduleId('support', 'daily')).describe()).action;
    assert.equal(action.type === 'startWorkflow' ? action.workflowRunTimeout : undefined, 20 * 3_600_000);
    const ids: string[] = [];
    for await (const schedule of env.client.schedule.list()) ids.push(schedule.scheduleId);
    assert.deepEqual(ids.sort(), ['difyscope/support/daily', 'difyscope/support/weekly']);

    const withoutWeekly = settingsFor(dify, outputDir, taskQueue, { DAILY_REPORT_TIME: '07:30', WEEKLY_REPORT_ENABLED: 'false' });
    assert.deepEqual(await applySchedules(env.client, withoutWeekly, { prune: false }), [
      { id: 'difyscope/support/daily', outcome: 'unchanged' },
      { id: 'difyscope/support/weekly', outcome: 'orphan (kept; --prune deletes it)' },
    ]);
    assert.deepEqual(await applySchedules(env.client, withoutWeekly, { prune: true }), [
      { id: 'difyscope/support/daily', outcome: 'unchanged' },
      { id: 'difyscope/support/weekly', outcome: 'deleted' },
    ]);
    assert.deepEqual(await applySchedules(env.client, settings, { prune: true }), [
      { id: 'difyscope/support/daily', outcome: 'updated' },
      { id: 'difyscope/support/weekly', outcome: 'created' },
    ]);
    const listing = await listSchedules(env.client, settings);
    assert.match(listing[0] ?? '', /^SCHEDULE\s+APP\s+KIND\s+NEXT RUN \(local\)\s+STATE\s+LAST RESULT$/);
    assert.match(listing[1] ?? '', /^difyscope\/support\/daily\s+support\s+daily\s+\d{4}-\d{2}-\d{2} 08:00 GMT\+8\s+active\s+never ran$/);
  });

  it('backfills 10 days as 10 consecutive, disjoint daily reports that add up to the weekly report', { timeout: 180_000 }, async () => {
    await backfillSchedule(env.client, scheduleId('support', 'daily'), '2025-03-03', '2025-03-12');
    await backfillSchedule(env.client, scheduleId('support', 'weekly'), '2025-03-03', '2025-03-09');
    const dailyDir = path.join(outputDir, 'support', 'daily');
    await waitFor('10 daily reports', async () => {
      const names = await readdir(dailyDir).catch(() => [] as string[]);
      const done = names.filter((name) => /^\d{4}-\d{2}-\d{2}$/.test(name));
      return done.length === 10 ? done : undefined;
    });
    const weeklyFolder = path.join(outputDir, 'support', 'weekly', '2025-W10');
    await waitFor('the weekly report', async () => ((await readdir(weeklyFolder).catch(() => [] as string[])).includes('raw') ? true : undefined));

    assert.deepEqual((await readdir(dailyDir)).sort(), DAYS);
    const perDay = new Map<string, string[]>();
    for (const day of DAYS) perDay.set(day, await runIds(path.join(dailyDir, day)));
    for (const [index, day] of DAYS.entries()) {
      const expected = [1, 2, 3].map((k) => `22222222-0000-4000-8000-${(index * 3 + k).toString(16).padStart(12, '0')}`).sort();
      assert.deepEqual(perDay.get(day), expected, `runs of ${day}`);
    }
    const all = [...perDay.values()].flat();
    assert.equal(new Set(all).size, all.length, 'no run appears in two daily reports');
    const week = DAYS.slice(0, 7).flatMap((day) => perDay.get(day) ?? []).sort();
    assert.deepEqual(await runIds(weeklyFolder), week);

    // Each daily report compares with the day before it (backfilled periods run in order).
    const first = JSON.parse(await readFile(path.join(dailyDir, '2025-03-03', 'report.json'), 'utf8')) as { changes?: unknown };
    assert.equal(first.changes, undefined, 'the first day has no previous report');
    const second = JSON.parse(await readFile(path.join(dailyDir, '2025-03-04', 'report.json'), 'utf8')) as { changes?: { figure: string; current: number; previous: number; delta: number }[] };
    assert.deepEqual(second.changes?.find((change) => change.figure === 'runs'), { figure: 'runs', current: 3, previous: 3, delta: 0, deltaPercent: 0 });

    // Daily workflow ids read as daily/<app>/<date>; their windows are consecutive local days.
    const handle = env.client.workflow.getHandle('daily/support/2025-03-05');
    const summary = (await handle.result()) as { window: { from: string; to: string; label: string } };
    assert.deepEqual([summary.window.from, summary.window.to, summary.window.label], ['2025-03-05T00:00:00+08:00', '2025-03-06T00:00:00+08:00', '2025-03-05']);

    if (process.env.RECORD_HISTORY) {
      for (const kind of ['daily', 'weekly'] as const) {
        const first = (await env.client.schedule.getHandle(scheduleId('support', kind)).describe()).info.recentActions[0];
        assert.ok(first, `no ${kind} run to record`);
        await recordHistory(env.client.workflow.getHandle(first.action.workflow.workflowId, first.action.workflow.firstExecutionRunId), `scheduled-${kind}`);
      }
      // A week is collected in one child workflow per day: record the sharded report and one shard.
      await recordHistory(env.client.workflow.getHandle('weekly/support/2025-W10'), 'report-workflow-sharded');
      await recordHistory(env.client.workflow.getHandle('weekly/support/2025-W10/shard-2025-03-03'), 'collect-shard');
    }
  });

  /** Triggers the weekly schedule twice while a slow Dify keeps the first run busy; returns both actions. */
  async function triggerTwiceWhileBusy(overlap: ScheduleOverlapPolicy) {
    const handle = env.client.schedule.getHandle(scheduleId('support', 'weekly'));
    const before = (await handle.describe()).info.recentActions.length;
    dify.setFaults({ latencyMs: 2_000 });
    await handle.trigger(overlap);
    // Schedule-started workflow ids carry the second they fire: one second apart, two runs.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await handle.trigger(overlap);
    return waitFor('two triggered runs', async () => {
      const recent = (await handle.describe()).info.recentActions;
      return recent.length >= before + 2 ? recent.slice(before) : undefined;
    });
  }

  it('runs a trigger and a scheduled run of one schedule one after the other, never at once', { timeout: 180_000 }, async () => {
    const actions = await triggerTwiceWhileBusy(ScheduleOverlapPolicy.BUFFER_ALL);
    const spans: { start: number; end: number }[] = [];
    for (const action of actions) {
      const workflow = env.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId);
      await workflow.result().catch(() => undefined);
      const description = await workflow.describe();
      spans.push({ start: description.startTime.getTime(), end: description.closeTime?.getTime() ?? Infinity });
    }
    dify.setFaults({});
    spans.sort((a, b) => a.start - b.start);
    assert.ok((spans[0]?.end ?? Infinity) <= (spans[1]?.start ?? 0), `runs overlapped: ${JSON.stringify(spans)}`);
  });

  it('a trigger that bypasses the overlap policy never starts a second report of the same period', { timeout: 180_000 }, async () => {
    const actions = await triggerTwiceWhileBusy(ScheduleOverlapPolicy.ALLOW_ALL);
    const results: unknown[] = [];
    for (const action of actions) results.push(await env.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId).result());
    dify.setFaults({});
    const skipped = results.filter((result) => typeof result === 'object' && result !== null && 'alreadyRunning' in result);
    assert.equal(skipped.length, 1, JSON.stringify(results));
    assert.match((skipped[0] as { alreadyRunning: string }).alreadyRunning, /^weekly\/support\/\d{4}-W\d{2}$/);
  });
});

describe('scheduled windows (pure)', () => {
  it('a daily run scheduled at 08:00 Asia/Shanghai on 2025-03-10 covers 2025-03-09 local', () => {
    const window = dailyWindow('2025-03-10T00:00:00Z', 'Asia/Shanghai');
    assert.deepEqual(window, { kind: 'daily', from: '2025-03-09T00:00:00+08:00', to: '2025-03-10T00:00:00+08:00', timezone: 'Asia/Shanghai', label: '2025-03-09' });
  });
  it('without weekend runs, Monday covers Friday through Sunday', () => {
    const window = dailyWindow('2025-03-10T00:00:00Z', 'Asia/Shanghai', { weekends: false });
    assert.deepEqual([window.from, window.to, window.label], ['2025-03-07T00:00:00+08:00', '2025-03-10T00:00:00+08:00', '2025-03-07_2025-03-09']);
  });
  it('a weekly run across the US DST change covers exactly 167 hours', () => {
    const window = weeklyWindow('2025-03-10T13:00:00Z', 'America/New_York');
    assert.deepEqual([window.from, window.to, window.label], ['2025-03-03T00:00:00-05:00', '2025-03-10T00:00:00-04:00', '2025-W10']);
    assert.equal((Date.parse(window.to) - Date.parse(window.from)) / 3_600_000, 167);
  });
  it('a late start still reports the period of its scheduled time', () => {
    // Scheduled Monday 09:00 local, started Tuesday: the window is still the previous ISO week.
    assert.equal(weeklyWindow('2025-03-10T01:00:00Z', 'Asia/Shanghai').label, '2025-W10');
    assert.equal(weeklyWindow('2025-03-03T01:00:00Z', 'Asia/Shanghai').label, '2025-W09');
  });
});
