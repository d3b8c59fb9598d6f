import { DateTime } from 'luxon';
import type { ReportPlan } from '../common/contracts';

/**
 * How a report window is cut into time shards that are collected separately (in parallel,
 * each in its own child workflow with its own small history). Pure and deterministic.
 */

/** Windows up to this long (two local days, with room for a DST day) are collected whole. */
export const SHARD_ABOVE_HOURS = 50;
/** At most this many shards, so the parent's history stays small for any window length. */
export const MAX_SHARDS = 64;

export interface Shard {
  /** Inclusive start, ISO 8601 with the report zone's offset. */
  from: string;
  /** Exclusive end. */
  to: string;
  /** Folder- and id-safe: the first local day, `_`-joined with the last when several. */
  label: string;
}

function iso(at: DateTime): string {
  return at.toISO({ suppressMilliseconds: true }) ?? at.toString();
}

/**
 * One shard per local day of the window (the first and last may be partial days), grouped
 * into runs of consecutive days when there would be more than MAX_SHARDS. A window of two
 * days or less is one shard, collected exactly as before sharding existed.
 */
export function shardWindow(window: ReportPlan['window']): Shard[] {
  const from = DateTime.fromISO(window.from, { setZone: true }).setZone(window.timezone);
  const to = DateTime.fromISO(window.to, { setZone: true }).setZone(window.timezone);
  if (!from.isValid || !to.isValid) throw new Error(`invalid window ${window.from} – ${window.to}`);
  if (to.diff(from, 'hours').hours <= SHARD_ABOVE_HOURS) return [{ from: window.from, to: window.to, label: window.label }];

  const bounds: DateTime[] = [from];
  // Local midnights, so a DST day is a 23- or 25-hour shard like the report's own days.
  for (let cursor = from.startOf('day').plus({ days: 1 }); cursor < to; cursor = cursor.plus({ days: 1 }).startOf('day')) bounds.push(cursor);
  bounds.push(to);
  const days = bounds.length - 1;
  const perShard = Math.ceil(days / MAX_SHARDS);
  const shards: Shard[] = [];
  for (let first = 0; first < days; first += perShard) {
    const last = Math.min(days, first + perShard);
    const start = bounds[first] as DateTime;
    const end = bounds[last] as DateTime;
    const firstDay = start.toFormat('yyyy-MM-dd');
    // The last day that has time in the shard: the end itself is exclusive.
    const lastDay = end.minus({ milliseconds: 1 }).toFormat('yyyy-MM-dd');
    shards.push({ from: iso(start), to: iso(end), label: firstDay === lastDay ? firstDay : `${firstDay}_${lastDay}` });
  }
  return shards;
}

/** The plan one shard is collected with: the shard's bounds and its own scratch folder. */
export function shardPlan(plan: ReportPlan, shard: Shard): ReportPlan {
  return { ...plan, window: { ...plan.window, from: shard.from, to: shard.to, label: shard.label }, workDir: `${plan.workDir}/shard-${shard.label}` };
}
