import { createHash } from 'node:crypto';
import { pause } from '../liveness';

/**
 * Throughput limits of one Dify app, shared by every request the worker process sends it:
 * at most `concurrency` requests in flight, at most `maxRps` started per second, and a
 * shared pause when Dify answers 429 with Retry-After (the limit is Dify's, per key, so one
 * caller being told to wait means all of them should).
 */

export interface RequestGateOptions {
  concurrency: number;
  /** Requests per second; undefined: no cap. */
  maxRps?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A token bucket. The burst is a tenth of a second's worth, so the cap holds over any
 * window (at most `rate × seconds + rate / 10` starts) while late timers do not lose rate.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = Math.max(1, ratePerSecond / 10);
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Resolves when a token is available; callers are served in arrival order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn;
    return turn;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.max(1, Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000)));
    }
  }
}

/** A counting semaphore with a FIFO queue. */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.active;
  }

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      return;
    }
    // The slot is handed over by release(), so `active` never drops below the queue's demand.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}

export class RequestGate {
  private readonly slots: ConcurrencyLimit;
  private readonly bucket: TokenBucket | undefined;
  private resumeAt = 0;
  /** Highest number of requests in flight at once, for tests and the benchmark. */
  peakInFlight = 0;

  constructor(readonly options: RequestGateOptions) {
    this.slots = new ConcurrencyLimit(Math.max(1, Math.floor(options.concurrency)));
    this.bucket = options.maxRps !== undefined && options.maxRps > 0 ? new TokenBucket(options.maxRps) : undefined;
  }

  /** Holds every request that has not started yet until `ms` from now. */
  pauseFor(ms: number): void {
    this.resumeAt = Math.max(this.resumeAt, Date.now() + ms);
  }

  async run<T>(request: () => Promise<T>): Promise<T> {
    await this.slots.acquire();
    try {
      await this.waitForResume();
      if (this.bucket) await this.bucket.take();
      // A 429 may have arrived while this request waited for its token.
      await this.waitForResume();
      this.peakInFlight = Math.max(this.peakInFlight, this.slots.inFlight);
      return await request();
    } finally {
      this.slots.release();
    }
  }

  private async waitForResume(): Promise<void> {
    // A Retry-After pause can be long: heartbeat through it and end it on cancellation.
    for (let wait = this.resumeAt - Date.now(); wait > 0; wait = this.resumeAt - Date.now()) await pause(wait);
  }
}

const gates = new Map<string, RequestGate>();

/**
 * The gate of one app in this process. Activities create a client each, and shards of a
 * large window run in parallel, so the limits live here rather than in a client: the app's
 * concurrency and rate cap then hold across all of them.
 */
export function sharedGate(baseUrl: string, apiToken: string, options: RequestGateOptions): RequestGate {
  // Hashed so the token does not sit in a map key in heap dumps; limits are in the key so a
  // changed configuration takes effect for clients created after the change.
  const key = `${createHash('sha256').update(`${baseUrl}\n${apiToken}`).digest('hex')}|${options.concurrency}|${options.maxRps ?? ''}`;
  let gate = gates.get(key);
  if (!gate) {
    gate = new RequestGate(options);
    gates.set(key, gate);
  }
  return gate;
}
