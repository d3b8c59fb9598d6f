import { currentActivity, keepAlive } from './liveness';

/**
 * Heartbeats and cancellation for loops that also run outside an activity (the render and
 * storage helpers are called directly by tests and tools): inside one they report to
 * Temporal, outside they do nothing.
 */

/** Tells Temporal the attempt is alive and where a retry should resume. */
export function beat(details: unknown): void {
  currentActivity()?.heartbeat(details);
}

/** Throws the cancellation once the attempt is cancelled (timed out, workflow cancelled, worker shutting down). */
export function throwIfCancelled(): void {
  currentActivity()?.cancellationSignal.throwIfAborted();
}

/**
 * For loops over many records: every `every` calls, ends the attempt if it was cancelled and
 * heartbeats (repeating the latest resume point, never erasing it).
 */
export function beatEvery(every: number): () => void {
  let count = 0;
  return () => {
    count += 1;
    if (count % every === 0) {
      throwIfCancelled();
      keepAlive();
    }
  };
}
