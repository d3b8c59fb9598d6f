import { Context } from '@temporalio/activity';

/**
 * Heartbeats and cancellation for code that also runs outside an activity (the render and
 * storage helpers are called directly by tests and tools): inside one they report to Temporal,
 * outside they do nothing.
 */
function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Tells Temporal the attempt is alive (and, with details, where a retry should resume). */
export function beat(details?: unknown): void {
  const context = current();
  if (context) context.heartbeat(details);
}

/** Throws the cancellation once the attempt is cancelled (timed out, workflow cancelled, worker shutting down). */
export function throwIfCancelled(): void {
  current()?.cancellationSignal.throwIfAborted();
}

/**
 * Heartbeats every `every` calls, for loops over many records: each heartbeat call is cheap
 * (the SDK throttles what it sends) but not free.
 */
export function beatEvery(every: number): () => void {
  let count = 0;
  return () => {
    count += 1;
    if (count % every === 0) {
      throwIfCancelled();
      beat();
    }
  };
}
