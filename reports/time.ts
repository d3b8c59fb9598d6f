import { DateTime } from 'luxon';

/**
 * Every time a report shows is in the report's zone, so a reader in Shanghai sees the same
 * day boundaries as the daily windows. Unix seconds in, strings out.
 */

function zoned(unixSeconds: number, zone: string): DateTime {
  return DateTime.fromSeconds(unixSeconds, { zone });
}

/** `2025-03-01T09:30:00+08:00` (luxon writes `Z` for UTC, which is valid ISO 8601). */
export function localIso(unixSeconds: number, zone: string): string {
  return zoned(unixSeconds, zone).toISO({ suppressMilliseconds: true }) ?? '';
}

/** `YYYY-MM-DD` of the local calendar day. */
export function localDate(unixSeconds: number, zone: string): string {
  return zoned(unixSeconds, zone).toISODate() ?? '';
}

/** Local date, hour 0–23 and ISO weekday (1 = Monday … 7 = Sunday), from one zone conversion. */
export function localParts(unixSeconds: number, zone: string): { date: string; hour: number; weekday: number } {
  const dt = zoned(unixSeconds, zone);
  return { date: dt.toISODate() ?? '', hour: dt.hour, weekday: dt.weekday };
}

/** Local hour 0–23, for the busiest-hours histogram. */
export function localHour(unixSeconds: number, zone: string): number {
  return zoned(unixSeconds, zone).hour;
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
