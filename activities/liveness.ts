import { Context } from '@temporalio/activity';

/**
 * Liveness of a running activity attempt: heartbeats that never lose the resume point, waits
 * that end on cancellation, and the cancellation signal for requests. Outside an activity
 * (the `check` command, unit tests) every helper falls back to plain timers and no signal.
 */

/** The context of the activity this code runs in, or undefined outside one. */
export function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

interface Tracked {
  details: unknown;
}

const tracked = new WeakMap<Context, Tracked>();
type HeartbeatFn = (details?: unknown) => void;

/**
 * Remembers the details of every heartbeat the activity sends, so a keep-alive heartbeat
 * repeats them: Temporal keeps only the last heartbeat's details, and one sent without
 * them would erase the point a retried attempt resumes from.
 */
function track(context: Context): Tracked {
  let state = tracked.get(context);
  if (state) return state;
  const own: Tracked = { details: context.info.heartbeatDetails };
  state = own;
  tracked.set(context, own);
  // The SDK routes every heartbeat (Context#heartbeat and the module-level `heartbeat`) through this field.
  const holder = context as unknown as { heartbeatFn: HeartbeatFn };
  const send = holder.heartbeatFn.bind(context);
  holder.heartbeatFn = (details?: unknown) => {
    own.details = details;
    send(details);
  };
  return own;
}

/** A heartbeat carrying the activity's latest progress, when running inside an activity that has a heartbeat timeout. */
export function keepAlive(): void {
  const context = currentActivity();
  if (!context?.info.heartbeatTimeoutMs) return;
  context.heartbeat(track(context).details);
}

/** Waits `ms`, heartbeating meanwhile; inside an activity the wait ends with a CancelledFailure on cancellation. */
export async function pause(ms: number): Promise<void> {
  const context = currentActivity();
  if (!context) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return;
  }
  keepAlive();
  await context.sleep(ms);
  keepAlive();
}

/** The attempt's cancellation signal, undefined outside an activity. */
export function activitySignal(): AbortSignal | undefined {
  return currentActivity()?.cancellationSignal;
}

/**
 * Runs `work` while heartbeating every third of the heartbeat timeout, so an attempt on a
 * worker that died is noticed within that timeout and a cancellation (or a timeout the
 * server already decided) reaches the attempt through the heartbeat's answer.
 */
export async function withKeepAlive<T>(work: () => Promise<T>): Promise<T> {
  const context = currentActivity();
  const timeoutMs = context?.info.heartbeatTimeoutMs;
  if (!context || !timeoutMs) return work();
  track(context);
  keepAlive();
  const timer = setInterval(() => context.heartbeat(track(context).details), Math.max(200, Math.floor(timeoutMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
