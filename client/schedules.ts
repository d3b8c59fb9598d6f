import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleSummary,
} from '@temporalio/client';
import { DateTime } from 'luxon';
import type { ScheduledReportInput } from '../common/contracts';
import type { SearchAttributePair } from '@temporalio/common';
import type { AppConfig, Settings } from '../config/load';
import { reportAttributes } from './search-attributes';
import { durationMs } from '../config/schema';
import { UsageError } from './errors';

/**
 * Temporal Schedules derived from the configuration: one `daily` and one `weekly` schedule per
 * app, ids `difyscope/<app>/<kind>`. `apply` is idempotent: it compares normalised definitions
 * and only creates, updates or (with --prune) deletes what differs.
 */
export const SCHEDULE_PREFIX = 'difyscope/';
export type ScheduleKind = 'daily' | 'weekly';

const WEEKDAY_NAMES = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;

export function scheduleId(app: string, kind: ScheduleKind): string {
  return `${SCHEDULE_PREFIX}${app}/${kind}`;
}

function parseScheduleId(id: string): { app: string; kind: ScheduleKind } | undefined {
  const match = /^difyscope\/([^/]+)\/(daily|weekly)$/.exec(id);
  return match ? { app: match[1] as string, kind: match[2] as ScheduleKind } : undefined;
}

function hourMinute(time: string): { hour: number; minute: number } {
  const [hour, minute] = time.split(':').map(Number);
  return { hour: hour ?? 0, minute: minute ?? 0 };
}

/** The normalised form both the desired and the described schedule are reduced to. */
interface Definition {
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  args: ScheduledReportInput[];
  hour: number;
  minute: number;
  daysOfWeek: string[];
  timezone: string;
  overlap: string;
  catchupWindowMs: number;
  /** Absent on schedules applied by releases before run timeouts existed, so those are updated. */
  runTimeoutMs?: number;
}

/**
 * Longest one scheduled run may take. Runs of a schedule queue behind each other (BUFFER_ALL),
 * so a period stuck for good (a worker that never comes back for it) must end before the next
 * period is due instead of holding every later one.
 */
export const RUN_TIMEOUT_MS: Record<ScheduleKind, number> = { daily: 20 * 3_600_000, weekly: 6 * 86_400_000 };

export function desiredDefinition(settings: Settings, app: AppConfig, kind: ScheduleKind): Definition {
  const timezone = app.report.timezone;
  const config = kind === 'daily' ? app.schedules.daily : app.schedules.weekly;
  const { hour, minute } = hourMinute(config.time);
  const daysOfWeek =
    kind === 'weekly'
      ? [app.schedules.weekly.weekday.toUpperCase()]
      : app.schedules.daily.weekends
        ? [...WEEKDAY_NAMES]
        : WEEKDAY_NAMES.slice(0, 5).map(String);
  const input: ScheduledReportInput = kind === 'daily' ? { app: app.key, timezone, weekends: app.schedules.daily.weekends } : { app: app.key, timezone };
  return {
    workflowType: kind === 'daily' ? 'dailyReportWorkflow' : 'weeklyReportWorkflow',
    workflowId: `${kind}/${app.key}`,
    taskQueue: settings.temporal.taskQueue,
    args: [input],
    hour,
    minute,
    daysOfWeek: [...daysOfWeek].sort(),
    timezone,
    // Runs of one schedule never overlap; missed and backfilled periods queue up instead of being dropped.
    overlap: ScheduleOverlapPolicy.BUFFER_ALL,
    catchupWindowMs: durationMs(settings.catchupWindow),
    runTimeoutMs: RUN_TIMEOUT_MS[kind],
  };
}

function expandDays(ranges: { start: string; end: string; step: number }[] | undefined): string[] {
  const days: string[] = [];
  for (const range of ranges ?? []) {
    const start = WEEKDAY_NAMES.indexOf(range.start as (typeof WEEKDAY_NAMES)[number]);
    const end = WEEKDAY_NAMES.indexOf(range.end as (typeof WEEKDAY_NAMES)[number]);
    const from = start === -1 ? 6 : start;
    const to = end === -1 ? 6 : end;
    for (let day = from; day <= to; day += range.step || 1) days.push(WEEKDAY_NAMES[day] as string);
  }
  // Temporal counts Sunday as 0; the order above puts it last, so map both spellings the same way.
  return [...new Set(days)].sort();
}

export function describedDefinition(description: ScheduleDescription): Definition | undefined {
  const action = description.action;
  const calendar = description.spec.calendars?.[0];
  if (action.type !== 'startWorkflow' || !calendar) return undefined;
  return {
    workflowType: action.workflowType,
    workflowId: action.workflowId ?? '',
    taskQueue: action.taskQueue,
    args: action.args as ScheduledReportInput[],
    hour: calendar.hour?.[0]?.start ?? 0,
    minute: calendar.minute?.[0]?.start ?? 0,
    daysOfWeek: expandDays(calendar.dayOfWeek),
    timezone: description.spec.timezone ?? 'UTC',
    overlap: description.policies.overlap ?? '',
    catchupWindowMs: description.policies.catchupWindow,
    runTimeoutMs: typeof action.workflowRunTimeout === 'number' ? action.workflowRunTimeout : undefined,
  };
}

/** Monday first, for people; definitions compare sorted by name. */
function inWeekOrder(days: readonly string[]): string[] {
  return WEEKDAY_NAMES.filter((day) => days.includes(day));
}

function scheduleSummary(kind: ScheduleKind, app: AppConfig): string {
  return `${kind} report · ${app.name}`;
}

function scheduleOptions(id: string, definition: Definition, app: AppConfig, kind: ScheduleKind, attributes: SearchAttributePair[] = []): ScheduleOptions {
  return {
    scheduleId: id,
    spec: {
      calendars: [{ hour: definition.hour, minute: definition.minute, dayOfWeek: inWeekOrder(definition.daysOfWeek) as ('MONDAY' | 'SUNDAY')[], comment: `${kind} report of ${app.key}` }],
      timezone: definition.timezone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: definition.workflowType,
      workflowId: definition.workflowId,
      taskQueue: definition.taskQueue,
      args: definition.args,
      workflowRunTimeout: definition.runTimeoutMs,
      staticSummary: scheduleSummary(kind, app),
      // App and kind, so each run's report (a child) is found by them in the Web UI.
      ...(attributes.length > 0 ? { typedSearchAttributes: attributes } : {}),
    },
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: definition.catchupWindowMs },
    state: { note: `Managed by difyscope schedules apply (${kind} at ${String(definition.hour).padStart(2, '0')}:${String(definition.minute).padStart(2, '0')} ${definition.timezone})` },
  };
}

export interface ApplyResult {
  id: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'orphan (kept; --prune deletes it)' | 'deleted';
}

async function listManaged(client: Client): Promise<ScheduleSummary[]> {
  const found: ScheduleSummary[] = [];
  for await (const schedule of client.schedule.list()) {
    if (schedule.scheduleId.startsWith(SCHEDULE_PREFIX)) found.push(schedule);
  }
  return found;
}

export interface ScheduleDrift {
  id: string;
  state: 'missing' | 'differs' | 'in sync' | 'not in config';
}

/** What `apply` would change, without changing anything (used by `difyscope check`). */
export async function scheduleDrift(client: Client, settings: Settings): Promise<ScheduleDrift[]> {
  const drift: ScheduleDrift[] = [];
  const desired = new Set<string>();
  for (const app of settings.apps) {
    for (const kind of ['daily', 'weekly'] as const) {
      if (!app.schedules[kind].enabled) continue;
      const id = scheduleId(app.key, kind);
      desired.add(id);
      try {
        const current = await client.schedule.getHandle(id).describe();
        drift.push({ id, state: JSON.stringify(describedDefinition(current)) === JSON.stringify(desiredDefinition(settings, app, kind)) ? 'in sync' : 'differs' });
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
        drift.push({ id, state: 'missing' });
      }
    }
  }
  for (const schedule of await listManaged(client)) {
    if (!desired.has(schedule.scheduleId)) drift.push({ id: schedule.scheduleId, state: 'not in config' });
  }
  return drift;
}

export async function applySchedules(client: Client, settings: Settings, options: { prune: boolean }): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  const desired = new Map<string, { app: AppConfig; kind: ScheduleKind }>();
  for (const app of settings.apps) {
    if (app.schedules.daily.enabled) desired.set(scheduleId(app.key, 'daily'), { app, kind: 'daily' });
    if (app.schedules.weekly.enabled) desired.set(scheduleId(app.key, 'weekly'), { app, kind: 'weekly' });
  }
  for (const [id, { app, kind }] of desired) {
    const definition = desiredDefinition(settings, app, kind);
    const handle = client.schedule.getHandle(id);
    let current: ScheduleDescription | undefined;
    try {
      current = await handle.describe();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
    if (!current) {
      await client.schedule.create(scheduleOptions(id, definition, app, kind, await reportAttributes(client, { app: app.key, kind, summary: scheduleSummary(kind, app) })));
      results.push({ id, outcome: 'created' });
      continue;
    }
    if (JSON.stringify(describedDefinition(current)) === JSON.stringify(definition)) {
      results.push({ id, outcome: 'unchanged' });
      continue;
    }
    const next = scheduleOptions(id, definition, app, kind, await reportAttributes(client, { app: app.key, kind, summary: scheduleSummary(kind, app) }));
    await handle.update((previous) => ({ ...previous, spec: next.spec, action: next.action, policies: next.policies }));
    results.push({ id, outcome: 'updated' });
  }
  for (const schedule of await listManaged(client)) {
    if (desired.has(schedule.scheduleId)) continue;
    if (options.prune) {
      await client.schedule.getHandle(schedule.scheduleId).delete();
      results.push({ id: schedule.scheduleId, outcome: 'deleted' });
    } else {
      results.push({ id: schedule.scheduleId, outcome: 'orphan (kept; --prune deletes it)' });
    }
  }
  return results;
}

function localTime(date: Date | undefined, timezone: string): string {
  if (!date) return '—';
  return DateTime.fromJSDate(date).setZone(timezone).toFormat("yyyy-MM-dd HH:mm ZZZZ");
}

async function lastResult(client: Client, description: ScheduleDescription): Promise<string> {
  const last = description.info.recentActions.at(-1);
  if (!last) return 'never ran';
  try {
    const workflow = await client.workflow.getHandle(last.action.workflow.workflowId, last.action.workflow.firstExecutionRunId).describe();
    return `${workflow.status.name.toLowerCase()} (${last.action.workflow.workflowId})`;
  } catch {
    return `started ${last.action.workflow.workflowId}`;
  }
}

export async function listSchedules(client: Client, settings: Settings): Promise<string[]> {
  const rows = [['SCHEDULE', 'APP', 'KIND', 'NEXT RUN (local)', 'STATE', 'LAST RESULT']];
  for (const summary of (await listManaged(client)).sort((a, b) => a.scheduleId.localeCompare(b.scheduleId))) {
    const parsed = parseScheduleId(summary.scheduleId);
    const description = await client.schedule.getHandle(summary.scheduleId).describe();
    const app = settings.apps.find((candidate) => candidate.key === parsed?.app);
    const timezone = description.spec.timezone ?? app?.report.timezone ?? 'UTC';
    rows.push([
      summary.scheduleId,
      parsed?.app ?? '?',
      parsed?.kind ?? '?',
      localTime(description.info.nextActionTimes[0], timezone),
      description.state.paused ? `paused: ${description.state.note ?? ''}` : 'active',
      await lastResult(client, description),
    ]);
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
}

export async function describeSchedule(client: Client, id: string): Promise<string[]> {
  const description = await client.schedule.getHandle(id).describe();
  const definition = describedDefinition(description);
  const timezone = description.spec.timezone ?? 'UTC';
  return [
    `schedule: ${id}`,
    `  workflow: ${definition?.workflowType ?? '?'} (ids ${definition?.workflowId ?? '?'}-<time>, reports ${id.split('/')[2] ?? '?'}/${id.split('/')[1] ?? '?'}/<period>)`,
    `  when: ${String(definition?.hour ?? 0).padStart(2, '0')}:${String(definition?.minute ?? 0).padStart(2, '0')} on ${definition ? inWeekOrder(definition.daysOfWeek).join(',') : '?'}`,
    `  timezone: ${timezone}`,
    `  overlap: ${description.policies.overlap}, catch-up window: ${Math.round(description.policies.catchupWindow / 3_600_000)} h`,
    `  state: ${description.state.paused ? 'paused' : 'active'}${description.state.note ? ` (${description.state.note})` : ''}`,
    `  next runs: ${description.info.nextActionTimes.slice(0, 3).map((date) => localTime(date, timezone)).join(', ') || '—'}`,
    `  recent: ${description.info.recentActions.slice(-3).map((action) => action.action.workflow.workflowId).join(', ') || '—'}`,
  ];
}

export function resolveScheduleId(settings: Settings, idOrApp: string, kind?: string): string {
  if (idOrApp.startsWith(SCHEDULE_PREFIX)) return idOrApp;
  if (kind !== 'daily' && kind !== 'weekly') throw new UsageError(`--kind: "${kind ?? ''}" is not valid; use daily or weekly (or give the full schedule id difyscope/<app>/<kind>)`);
  if (!settings.apps.some((app) => app.key === idOrApp)) throw new UsageError(`app: no app "${idOrApp}" in the configuration; known apps: ${settings.apps.map((a) => a.key).join(', ')}`);
  return scheduleId(idOrApp, kind);
}

/**
 * The scheduled times whose periods cover the local dates `from`..`to` (inclusive): for a daily
 * schedule the mornings after each day, for a weekly one the fire times after each week.
 */
export function backfillRange(description: ScheduleDescription, from: string, to: string): { start: Date; end: Date } {
  const timezone = description.spec.timezone ?? 'UTC';
  const kind = parseScheduleId(description.scheduleId)?.kind ?? 'daily';
  const first = DateTime.fromISO(from, { zone: timezone });
  const last = DateTime.fromISO(to, { zone: timezone });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !first.isValid) throw new UsageError(`--from: "${from}" is not a calendar date; use YYYY-MM-DD`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(to) || !last.isValid) throw new UsageError(`--to: "${to}" is not a calendar date; use YYYY-MM-DD`);
  if (last < first) throw new UsageError(`--from: ${from} is after ${to}; --from must not come after --to`);
  // Each period's run fires after the period ends: start just after the first period, end
  // just before the period after the last one would be reported.
  if (kind === 'weekly') {
    const start = first.startOf('week').plus({ weeks: 1 });
    const end = last.startOf('week').plus({ weeks: 2 }).minus({ seconds: 1 });
    return { start: start.toJSDate(), end: end.toJSDate() };
  }
  const start = first.plus({ days: 1 }).startOf('day');
  const end = last.plus({ days: 2 }).startOf('day').minus({ seconds: 1 });
  return { start: start.toJSDate(), end: end.toJSDate() };
}

export async function backfillSchedule(client: Client, id: string, from: string, to: string): Promise<{ start: Date; end: Date }> {
  const handle = client.schedule.getHandle(id);
  const range = backfillRange(await handle.describe(), from, to);
  await handle.backfill({ start: range.start, end: range.end, overlap: ScheduleOverlapPolicy.BUFFER_ALL });
  return range;
}
