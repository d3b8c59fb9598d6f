import { SingleBar } from 'cli-progress';
import type { LiveProgress } from './live-progress';

/**
 * Shows a report's progress: on a terminal a bar (runs fetched of expected, requests per
 * second, ETA) redrawn in place; elsewhere (logs, CI, pipes) plain lines, one per phase and
 * at most one every few seconds while counts move. The same figures serve `status`.
 */

const PHASES: Record<LiveProgress['phase'], string> = {
  starting: 'starting',
  'collecting-logs': 'listing runs',
  'collecting-details': 'fetching details',
  rendering: 'rendering',
  notifying: 'notifying',
  done: 'done',
  failed: 'failed',
};

/** Requests per second over a sliding window of samples, so a pause shows as a falling rate. */
class Rate {
  private readonly samples: { at: number; requests: number }[] = [];

  add(at: number, requests: number): number {
    this.samples.push({ at, requests });
    while (this.samples.length > 2 && at - (this.samples[0]?.at ?? at) > 10_000) this.samples.shift();
    const first = this.samples[0];
    if (!first || at - first.at < 500) return 0;
    return Math.max(0, ((requests - first.requests) * 1000) / (at - first.at));
  }
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

/** `fetching details: 120 of 500 runs, 12.5 req/s, ETA 0:31` — the line form, also `status`'s. */
export function progressLine(progress: LiveProgress, rate: number | null, eta: number | null): string {
  const counts = progress.runsExpected === null ? (progress.runsDone > 0 ? `${progress.runsDone} runs` : '') : `${progress.runsDone} of ${progress.runsExpected} runs`;
  const parts = [counts, ...(rate !== null && rate > 0 ? [`${rate.toFixed(1)} req/s`] : []), ...(eta !== null && progress.phase === 'collecting-details' ? [`ETA ${formatDuration(eta)}`] : [])].filter(Boolean);
  return `${PHASES[progress.phase]}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

export class ProgressDisplay {
  private readonly rate = new Rate();
  private readonly started = Date.now();
  private bar: SingleBar | undefined;
  private lastLine = '';
  private lastPrinted = 0;
  private lastPhase: LiveProgress['phase'] | undefined;
  private doneAt: { at: number; runs: number } | undefined;
  /** The most runs and requests shown so far: a display of work done never goes back. */
  private most = { runs: 0, requests: 0 };

  constructor(
    private readonly isTty: boolean,
    private readonly write: (line: string) => void,
    private readonly stream: NodeJS.WriteStream = process.stdout,
    /** Plain lines: at most one per this many ms while only counts move. */
    private readonly lineEveryMs = 5000,
  ) {}

  /** Seconds left at the pace of the details fetched since they started. */
  private eta(progress: LiveProgress, now: number): number | null {
    if (progress.phase !== 'collecting-details' || progress.runsExpected === null) return null;
    this.doneAt ??= { at: now, runs: progress.runsDone };
    const done = progress.runsDone - this.doneAt.runs;
    if (done <= 0) return null;
    return ((progress.runsExpected - progress.runsDone) * (now - this.doneAt.at)) / done / 1000;
  }

  update(reading: LiveProgress, now = Date.now()): void {
    // Between the end of a collection step and the workflow's next task, the step is no longer
    // running and its count not yet in the workflow's own figures: one reading may fall short.
    this.most = { runs: Math.max(this.most.runs, reading.runsDone), requests: Math.max(this.most.requests, reading.requests) };
    const progress: LiveProgress = { ...reading, runsDone: this.most.runs, requests: this.most.requests };
    const rate = this.rate.add(now, progress.requests);
    const eta = this.eta(progress, now);
    if (this.isTty) {
      this.bar ??= new SingleBar(
        {
          format: '{phase} |{bar}| {value}/{total} runs | {rate} req/s | ETA {etaText} | {elapsed}',
          barCompleteChar: '█',
          barIncompleteChar: '░',
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          stream: this.stream,
          fps: 5,
          etaBuffer: 20,
        },
      );
      const payload = { phase: PHASES[progress.phase].padEnd(16), rate: rate.toFixed(1), etaText: formatDuration(eta), elapsed: formatDuration((now - this.started) / 1000) };
      const total = Math.max(progress.runsExpected ?? 0, progress.runsDone, 1);
      if (!this.bar.isActive) this.bar.start(total, progress.runsDone, payload);
      this.bar.setTotal(total);
      this.bar.update(progress.runsDone, payload);
      return;
    }
    const line = progressLine(progress, rate, eta);
    const phaseChanged = progress.phase !== this.lastPhase;
    if (line !== this.lastLine && (phaseChanged || now - this.lastPrinted >= this.lineEveryMs)) {
      this.write(line);
      this.lastLine = line;
      this.lastPrinted = now;
    }
    this.lastPhase = progress.phase;
  }

  /** Draws the final state (on a terminal, the full bar) and releases the terminal. */
  stop(final?: LiveProgress): void {
    if (final) this.update(final);
    if (this.bar?.isActive) {
      this.bar.render();
      this.bar.stop();
    }
  }
}
