import { pause } from '../liveness';

/**
 * Timing of in-process retries: how long to wait before the next attempt.
 */

/**
 * Milliseconds a `Retry-After` header asks for: either delay-seconds or an HTTP date.
 * Returns undefined when the header is missing or unreadable, so the caller falls back to backoff.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // HTTP dates always name the weekday or month; plain Date.parse would also accept "2" or "-1".
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Longest pause between two attempts when the server gave no Retry-After. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so
 * concurrent callers spread out but every wait still grows with the attempt number.
 * `attempt` counts from 0 for the first retry.
 */
export function backoffDelay(attempt: number, baseDelayMs: number, random: () => number = Math.random): number {
  const step = Math.min(MAX_BACKOFF_MS, baseDelayMs * 2 ** attempt);
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * The wait between two attempts. Inside an activity it heartbeats and ends with a
 * CancelledFailure as soon as the attempt is cancelled; elsewhere (`check`) a plain timer.
 */
export function sleep(ms: number): Promise<void> {
  return pause(ms);
}
