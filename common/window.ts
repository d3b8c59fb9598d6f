import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * Report windows: half-open [from, to) intervals in absolute time, labelled in the report's
 * time zone. Pure and deterministic, so both workflows and the CLI import it.
 */
export const windowKindSchema = z.enum(['range', 'daily', 'weekly']);
export type WindowKind = z.infer<typeof windowKindSchema>;

export const reportWindowSchema = z.object({
  kind: windowKindSchema,
  /** Inclusive start, ISO 8601 with the report zone's offset. */
  from: z.string(),
  /** Exclusive end, ISO 8601 with the report zone's offset. */
  to: z.string(),
  timezone: z.string(),
  /** Folder-safe label: `2025-03-01`, `2025-W09`, `2025-03-01_2025-03-07`. */
  label: z.string(),
});
export type ReportWindow = z.infer<typeof reportWindowSchema>;

export class WindowError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'WindowError';
  }
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/** The widest UTC offset in use (Kiribati, +14:00). */
const MAX_OFFSET_MINUTES = 14 * 60;
/** Dify was first released in 2023: earlier dates are typing mistakes (0001, 2203 for 2023). */
export const EARLIEST_REPORT_DATE = '2023-01-01';

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

function zoneOrThrow(timezone: string): void {
  if (!isValidTimeZone(timezone)) {
    throw new WindowError('REPORT_TIMEZONE', `unknown time zone "${timezone}"; use an IANA name such as Asia/Shanghai or UTC`);
  }
}

function iso(dt: DateTime): string {
  return dt.toISO({ suppressMilliseconds: true }) ?? '';
}

function parseBound(field: '--from' | '--to', value: string, timezone: string): { at: DateTime; dateOnly: boolean } {
  const trimmed = value.trim();
  if (DATE_ONLY.test(trimmed)) {
    const at = DateTime.fromISO(trimmed, { zone: timezone });
    if (!at.isValid) throw new WindowError(field, `"${value}" is not a calendar date; use YYYY-MM-DD`);
    return { at: at.startOf('day'), dateOnly: true };
  }
  const at = DateTime.fromISO(trimmed, { setZone: true });
  if (!at.isValid) {
    throw new WindowError(field, `"${value}" is not a date; use YYYY-MM-DD or an ISO timestamp with offset such as 2025-03-01T08:00:00+08:00`);
  }
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed)) {
    throw new WindowError(field, `"${value}" has no UTC offset; add one (e.g. Z or +08:00) or give a plain date`);
  }
  const offset = /([+-])(\d{2}):?(\d{2})$/.exec(trimmed);
  if (offset && Number(offset[2]) * 60 + Number(offset[3]) > MAX_OFFSET_MINUTES) {
    throw new WindowError(field, `"${value}" has the UTC offset ${offset[1]}${offset[2]}:${offset[3]}; offsets run from -14:00 to +14:00`);
  }
  return { at: at.setZone(timezone), dateOnly: false };
}

/**
 * An ad-hoc range: plain dates are whole local days with an inclusive `--to`;
 * timestamps with an offset are exact half-open bounds.
 */
export function rangeWindow(fromArg: string, toArg: string, timezone: string): ReportWindow {
  zoneOrThrow(timezone);
  const from = parseBound('--from', fromArg, timezone);
  const to = parseBound('--to', toArg, timezone);
  const end = to.dateOnly ? to.at.plus({ days: 1 }).startOf('day') : to.at;
  if (end <= from.at) {
    throw new WindowError('--from', `${fromArg} is not before ${toArg}; --from must come before --to`);
  }
  // Labelled from the bounds alone, so the CLI's dates and the exact bounds it sends agree.
  return boundsWindow('range', iso(from.at), iso(end), timezone);
}

/**
 * Refuses ad-hoc ranges no Dify can hold: starting before 2023, or ending after tomorrow (in
 * the report zone; tomorrow is allowed for zones ahead of the server's). `now` is passed in,
 * so this stays usable from workflows.
 */
export function checkRangeDates(window: Pick<ReportWindow, 'from' | 'to' | 'timezone'>, now: Date, args: { from: string; to: string }): void {
  const from = DateTime.fromISO(window.from, { zone: window.timezone });
  const to = DateTime.fromISO(window.to, { zone: window.timezone });
  const earliest = DateTime.fromISO(EARLIEST_REPORT_DATE, { zone: window.timezone });
  if (from < earliest) throw new WindowError('--from', `"${args.from}" is before ${EARLIEST_REPORT_DATE}; give a date from ${EARLIEST_REPORT_DATE} on (YYYY-MM-DD)`);
  const today = DateTime.fromJSDate(now, { zone: window.timezone }).startOf('day');
  if (to > today.plus({ days: 2 })) {
    throw new WindowError('--to', `"${args.to}" is after tomorrow (${today.plus({ days: 1 }).toISODate() ?? ''} in ${window.timezone}); a report covers days that have begun`);
  }
}

/**
 * The previous local calendar day before `scheduledTime`. Without weekend runs, Monday's
 * report covers Friday through Sunday, so no day is ever left out of the daily series.
 */
export function dailyWindow(scheduledTime: string | Date, timezone: string, options: { weekends?: boolean } = {}): ReportWindow {
  zoneOrThrow(timezone);
  const at = toZoned(scheduledTime, timezone);
  const end = at.startOf('day');
  const daysBack = options.weekends === false && end.weekday === 1 ? 3 : 1;
  const start = end.minus({ days: daysBack }).startOf('day');
  return boundsWindow('daily', iso(start), iso(end), timezone);
}

/** A window of the given kind from exact bounds, labelled the way its folder and workflow id read. */
export function boundsWindow(kind: WindowKind, from: string, to: string, timezone: string): ReportWindow {
  zoneOrThrow(timezone);
  const start = DateTime.fromISO(from, { setZone: true }).setZone(timezone);
  const end = DateTime.fromISO(to, { setZone: true }).setZone(timezone);
  if (!start.isValid || !end.isValid || end <= start) throw new WindowError('window', `"${from}" → "${to}" is not a valid window`);
  const lastDay = end.minus({ milliseconds: 1 }).toISODate() ?? '';
  const firstDay = start.toISODate() ?? '';
  const wholeDays = start.equals(start.startOf('day')) && end.equals(end.startOf('day'));
  let label: string;
  if (kind === 'weekly') label = start.toFormat("kkkk-'W'WW");
  else if (wholeDays) label = firstDay === lastDay ? firstDay : `${firstDay}_${lastDay}`;
  else label = `${start.toFormat("yyyy-MM-dd'T'HHmmss")}_${end.toFormat("yyyy-MM-dd'T'HHmmss")}`;
  return { kind, from: iso(start), to: iso(end), timezone, label };
}

/** The window of the same kind just before this one, for period-over-period changes. */
export function previousWindow(window: ReportWindow): ReportWindow {
  const start = DateTime.fromISO(window.from, { setZone: true }).setZone(window.timezone);
  const end = DateTime.fromISO(window.to, { setZone: true }).setZone(window.timezone);
  if (window.kind === 'weekly') return boundsWindow('weekly', iso(start.minus({ weeks: 1 })), iso(start), window.timezone);
  const wholeDays = start.equals(start.startOf('day')) && end.equals(end.startOf('day'));
  if (wholeDays) {
    const days = Math.round(end.diff(start, 'days').days);
    return boundsWindow(window.kind, iso(start.minus({ days })), iso(start), window.timezone);
  }
  return boundsWindow(window.kind, iso(start.minus(end.diff(start))), iso(start), window.timezone);
}

/** The previous ISO week (Monday 00:00 to Monday 00:00 local) before `scheduledTime`. */
export function weeklyWindow(scheduledTime: string | Date, timezone: string): ReportWindow {
  zoneOrThrow(timezone);
  const at = toZoned(scheduledTime, timezone);
  const end = at.startOf('week');
  const start = end.minus({ weeks: 1 }).startOf('week');
  return boundsWindow('weekly', iso(start), iso(end), timezone);
}

function toZoned(value: string | Date, timezone: string): DateTime {
  const dt = typeof value === 'string' ? DateTime.fromISO(value, { setZone: true }) : DateTime.fromJSDate(value);
  return dt.setZone(timezone);
}

/** Every local calendar date the window touches, for zero-filled daily rows. */
export function localDates(window: Pick<ReportWindow, 'from' | 'to' | 'timezone'>): string[] {
  const start = DateTime.fromISO(window.from, { zone: window.timezone }).startOf('day');
  const end = DateTime.fromISO(window.to, { zone: window.timezone });
  const dates: string[] = [];
  for (let day = start; day < end; day = day.plus({ days: 1 }).startOf('day')) {
    dates.push(day.toISODate() ?? '');
  }
  return dates;
}
