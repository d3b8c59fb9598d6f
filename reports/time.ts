import { DateTime } from 'luxon';

/**
 * Every time a report shows is in the report's zone, so a reader in Shanghai sees the same
 * day boundaries as the daily windows. Unix seconds in, strings out.
 *
 * The per-run sheets and the aggregates convert every run's times, so conversions go through
 * a cache of the zone's offset per UTC hour: luxon tells the offset (and how it prints) once
 * per hour, and the fields come from plain date arithmetic, the way luxon computes them
 * itself. An hour in which the offset changes (a DST switch, also the half-hour ones of
 * Lord Howe) is converted by luxon run by run.
 */

interface HourOffset {
  /** Minutes east of UTC; null when the offset changes within the hour. */
  minutes: number | null;
  /** What luxon prints after the seconds for this offset: `+08:00`, `-04:00` or `Z`. */
  suffix: string;
}

const HOUR = 3600;
/** Hours cached per zone before the cache starts over (a year of hours; a report spans far fewer). */
const MAX_CACHED_HOURS = 10_000;
const offsets = new Map<string, Map<number, HourOffset>>();

function zoned(unixSeconds: number, zone: string): DateTime {
  return DateTime.fromSeconds(unixSeconds, { zone });
}

function hourOffset(hour: number, zone: string): HourOffset {
  let cache = offsets.get(zone);
  if (!cache) {
    cache = new Map();
    offsets.set(zone, cache);
  }
  let found = cache.get(hour);
  if (!found) {
    const start = zoned(hour * HOUR, zone);
    const end = zoned(hour * HOUR + HOUR - 1, zone);
    const iso = start.toISO({ suppressMilliseconds: true }) ?? '';
    found = { minutes: start.isValid && end.isValid && start.offset === end.offset ? start.offset : null, suffix: iso.slice(19) };
    if (cache.size >= MAX_CACHED_HOURS) cache.clear();
    cache.set(hour, found);
  }
  return found;
}

const pad2 = (value: number): string => (value < 10 ? `0${value}` : String(value));

function pad3(value: number): string {
  if (value < 10) return `00${value}`;
  return value < 100 ? `0${value}` : String(value);
}

/**
 * The local wall-clock time as a UTC Date (luxon's own method: the instant shifted by the
 * offset), with the offset's suffix; null when luxon must convert this instant itself.
 */
function shifted(unixSeconds: number, zone: string): { local: Date; suffix: string } | null {
  if (!Number.isFinite(unixSeconds)) return null;
  const offset = hourOffset(Math.floor(unixSeconds / HOUR), zone);
  if (offset.minutes === null) return null;
  const local = new Date(unixSeconds * 1000 + offset.minutes * 60_000);
  const year = local.getUTCFullYear();
  // luxon writes other years with a sign and six digits.
  return year >= 0 && year <= 9999 ? { local, suffix: offset.suffix } : null;
}

function isoDate(local: Date): string {
  const year = local.getUTCFullYear();
  return `${year < 1000 ? String(year).padStart(4, '0') : year}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())}`;
}

/** `2025-03-01T09:30:00+08:00` (luxon writes `Z` for UTC, which is valid ISO 8601). */
export function localIso(unixSeconds: number, zone: string): string {
  const at = shifted(unixSeconds, zone);
  if (!at) return zoned(unixSeconds, zone).toISO({ suppressMilliseconds: true }) ?? '';
  const { local } = at;
  const millis = local.getUTCMilliseconds();
  const time = `${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())}${millis === 0 ? '' : `.${pad3(millis)}`}`;
  return `${isoDate(local)}T${time}${at.suffix}`;
}

/** `YYYY-MM-DD` of the local calendar day. */
export function localDate(unixSeconds: number, zone: string): string {
  const at = shifted(unixSeconds, zone);
  return at ? isoDate(at.local) : (zoned(unixSeconds, zone).toISODate() ?? '');
}

/** Local date, hour 0–23 and ISO weekday (1 = Monday … 7 = Sunday), from one zone conversion. */
export function localParts(unixSeconds: number, zone: string): { date: string; hour: number; weekday: number } {
  const at = shifted(unixSeconds, zone);
  if (at) return { date: isoDate(at.local), hour: at.local.getUTCHours(), weekday: at.local.getUTCDay() === 0 ? 7 : at.local.getUTCDay() };
  const dt = zoned(unixSeconds, zone);
  return { date: dt.toISODate() ?? '', hour: dt.hour, weekday: dt.weekday };
}

/**
 * Re-expresses a window bound in the report zone: a window handed over with another offset
 * must still print with the zone's own offset, like every other time in the report.
 */
export function windowBoundIso(isoTime: string, zone: string): string {
  const dt = DateTime.fromISO(isoTime, { setZone: true });
  if (!dt.isValid) return isoTime;
  return dt.setZone(zone).toISO({ suppressMilliseconds: true }) ?? isoTime;
}
