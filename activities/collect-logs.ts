import { activityInfo, log } from '@temporalio/activity';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { LogCollection, ReportPlan } from '../common/contracts';
import type { DifyClient, LogsPage, LogsPageParams } from './dify/client';
import type { WorkflowLog } from '../common/dify-schemas';
import { beat, throwIfCancelled } from './activity-context';
import { attemptFileName, currentAttempt, removeOtherRuns, runLabel, type AttemptTag } from './attempt-files';
import { answerFile, chainIsOnDisk, earlierStates, readAnswer, saveAnswer, saveState, withWriter, writerOf } from './log-answers';
import { logProgressSchema, RUN_STATUSES, type AnswerHeader, type AnswerRequest, type CrowdedSecond, type LogProgress } from '../common/collection-progress';
import { resolveInside, StorageError, writeNdjsonGz } from './storage';

export const PAGE_SIZE = 100;

/**
 * Passes over one crowded second (or rounds over the pages that cut through tied seconds)
 * before the collection settles for what it has; the report then says how many are missing.
 */
export const MAX_TIE_PASSES = 60;

interface Window {
  from: string;
  to: string;
  /** First and last second of the window, both inclusive. */
  first: number;
  last: number;
}

function windowOf(plan: ReportPlan): Window {
  const seconds = (iso: string): number => Math.floor(DateTime.fromISO(iso, { setZone: true }).toSeconds());
  return { from: plan.window.from, to: plan.window.to, first: seconds(plan.window.from), last: seconds(plan.window.to) - 1 };
}

/** What the answers so far say: distinct runs per second, and (offset mode) each page's latest positions. */
class AnswerIndex {
  readonly ids = new Set<string>();
  readonly perSecond = new Map<number, number>();
  /** Offset mode: the seconds of the in-window entries of each page's latest answer. */
  readonly pagePositions = new Map<number, number[]>();
  readonly invalid = new Map<string, { logId: string | null; reason: string }>();
  /** Distinct runs Dify returned for a one-second query, by that second (whatever second each shows). */
  readonly crowded = new Map<number, Set<string>>();
  /** Entries Dify served twice within one answer. */
  duplicates = 0;

  absorb(header: AnswerHeader, items: readonly WorkflowLog[]): void {
    const inAnswer = new Set<string>();
    for (const item of items) {
      if (inAnswer.has(item.id)) {
        this.duplicates += 1;
        continue;
      }
      inAnswer.add(item.id);
      if (this.ids.has(item.id)) continue;
      this.ids.add(item.id);
      this.perSecond.set(item.created_at, (this.perSecond.get(item.created_at) ?? 0) + 1);
    }
    const { before, after } = header.request;
    if (before !== undefined && before === after) {
      const ids = this.crowded.get(before) ?? new Set<string>();
      for (const item of items) ids.add(item.id);
      this.crowded.set(before, ids);
    }
    header.invalid.forEach((entry, n) => this.invalid.set(entry.logId ?? `${header.request.mode}:${header.request.page}:${n}`, entry));
    // Positions come from the pages of the first pass's size; pages of other sizes only add runs.
    if (header.request.mode === 'offset' && header.request.probe !== true) this.pagePositions.set(header.request.page, items.map((item) => item.created_at));
  }

  have(second: number): number {
    return this.perSecond.get(second) ?? 0;
  }

  /** Distinct runs the one-second queries for `second` returned. */
  haveCrowded(second: number): number {
    return this.crowded.get(second)?.size ?? 0;
  }

  /** Offset mode: seconds whose runs span more than one page, with how many positions they hold. */
  cutSeconds(): Map<number, { positions: number; pages: number[] }> {
    const where = new Map<number, { positions: number; pages: number[] }>();
    for (const [page, seconds] of this.pagePositions) {
      for (const second of new Set(seconds)) {
        const entry = where.get(second) ?? { positions: 0, pages: [] };
        entry.positions += seconds.filter((s) => s === second).length;
        entry.pages.push(page);
        where.set(second, entry);
      }
    }
    for (const [second, entry] of where) if (entry.pages.length < 2) where.delete(second);
    return where;
  }

  /** Offset mode: in-window positions over the latest answer of every page. */
  positions(): number {
    let total = 0;
    for (const seconds of this.pagePositions.values()) total += seconds.length;
    return total;
  }
}

const initialProgress = (window: Window): LogProgress => ({ answers: 0, writers: [], mode: 'cursor', pass: 1, before: window.last, page: 1, refetched: 0 });

/** A heartbeat's or state file's progress, when it is one (an earlier release's or a damaged one is not). */
function progressOf(value: unknown): LogProgress[] {
  const parsed = logProgressSchema.safeParse(value);
  return parsed.success ? [parsed.data] : [];
}

/**
 * Progress earlier attempts of this run left, from the last heartbeat and their state files,
 * furthest first; only those whose answers are all still on disk.
 */
async function resumePoints(dir: string, tag: AttemptTag): Promise<LogProgress[]> {
  const candidates = [activityInfo().heartbeatDetails as unknown, ...(await earlierStates(dir, tag))].flatMap(progressOf).sort((a, b) => b.answers - a.answers);
  const usable: LogProgress[] = [];
  for (const candidate of candidates) {
    if (candidate.answers > 0 && (await chainIsOnDisk(dir, candidate.writers, candidate.answers, tag))) usable.push(candidate);
  }
  return usable;
}

class LogCollector {
  private readonly index = new AnswerIndex();
  private progress: LogProgress;

  constructor(
    private readonly dify: DifyClient,
    private readonly dir: string,
    private readonly tag: AttemptTag,
    private readonly window: Window,
    start: LogProgress,
    private readonly pageSize: number,
  ) {
    this.progress = start;
  }

  /** Replays the answers of a resumed chain into the index. */
  async replay(): Promise<void> {
    for (let seq = 1; seq <= this.progress.answers; seq += 1) {
      const { header, items } = await readAnswer(answerFile(this.dir, seq, writerOf(this.progress.writers, seq), this.tag));
      this.index.absorb(header, items);
      beat(this.progress);
    }
  }

  /** Asks Dify, saves the answer under this attempt's name, then records the new state. */
  private async ask(request: AnswerRequest, next: (header: AnswerHeader, result: LogsPage) => Partial<LogProgress>, refetch = false): Promise<void> {
    throwIfCancelled();
    const params: LogsPageParams = { page: request.page, limit: request.limit, from: this.window.from, to: this.window.to };
    if (request.mode === 'cursor') params.seconds = { ...(request.before !== undefined && { before: request.before }), ...(request.after !== undefined && { after: request.after }) };
    if (request.status) params.status = request.status;
    const result = await this.dify.logsPage(params);
    const seq = this.progress.answers + 1;
    const header = await saveAnswer(answerFile(this.dir, seq, this.tag.attempt, this.tag), seq, request, result);
    this.index.absorb(header, result.items);
    const changes = next(header, result);
    this.progress = {
      ...this.progress,
      ...changes,
      answers: seq,
      writers: withWriter(this.progress.writers, this.tag.attempt, seq),
      refetched: this.progress.refetched + (refetch ? 1 : 0),
    };
    await saveState(this.dir, this.tag, this.progress);
    beat(this.progress);
  }

  async run(): Promise<LogProgress> {
    while (this.progress.done !== true) {
      if (this.progress.mode === 'cursor') await this.cursorStep();
      else await this.offsetStep();
    }
    return this.progress;
  }

  /** One step down the time cursor: the newest page up to `before`, or a page of a crowded second. */
  private async cursorStep(): Promise<void> {
    const { crowded, before } = this.progress;
    if (before < this.window.first) return this.finishPass();
    if (crowded) return this.crowdedStep(crowded);
    return this.ask(
      { mode: 'cursor', page: 1, limit: this.pageSize, before },
      (header, result) => {
        // An entry beyond the bounds asked for: this Dify ignores the date filters.
        if (header.outsideWindow > 0 || result.items.some((item) => item.created_at > before)) {
          log.info('Dify ignores the log date filters; paging by offset instead');
          return { mode: 'offset', page: 1, crowded: undefined };
        }
        if (header.received === 0 || !header.hasMore) return { before: this.window.first - 1 };
        const oldest = header.oldest;
        if (oldest === null) return { mode: 'offset', page: 1 };
        // Everything newer than the page's oldest second was on the page; that second itself
        // may continue past it, so it is asked for again at the top of the next page.
        if (oldest < before) return { before: oldest };
        return { crowded: { second: oldest, page: 1, passes: 0, limit: this.pageSize } };
      },
      this.progress.pass > 1,
    );
  }

  /**
   * A page of a crowded second. Dify (PostgreSQL) orders the runs of one second differently
   * for each LIMIT/OFFSET, and the same query may well give the same order every time, so
   * asking the same pages again need not find what they missed: the second is split by run
   * status (each part usually fits one page), and further passes use other page sizes.
   */
  private async crowdedStep(crowded: CrowdedSecond): Promise<void> {
    const { second } = crowded;
    const done = (): Partial<LogProgress> => ({ crowded: undefined, before: second - 1 });
    const complete = (total: number | undefined): boolean => total !== undefined && this.index.haveCrowded(second) >= total;
    const splitting = crowded.split !== undefined && crowded.split < RUN_STATUSES.length;
    if (splitting) {
      const split = crowded.split ?? 0;
      return this.ask({ mode: 'cursor', page: 1, limit: this.pageSize, before: second, after: second, status: RUN_STATUSES[split] }, () => {
        const next = { ...crowded, split: split + 1 };
        if (split + 1 < RUN_STATUSES.length) return { crowded: next };
        if (complete(crowded.total)) return done();
        return { crowded: { ...next, page: 1, passes: 1, limit: this.passLimit(1) } };
      }, true);
    }
    return this.ask(
      { mode: 'cursor', page: crowded.page, limit: crowded.limit, before: second, after: second },
      (header) => {
        const total = header.total;
        const lastPage = !header.hasMore || header.received === 0;
        if (!lastPage) return { crowded: { ...crowded, total, page: crowded.page + 1 } };
        if (complete(total)) return done();
        if (crowded.split === undefined) return { crowded: { ...crowded, total, split: 0 } };
        const passes = crowded.passes + 1;
        if (passes >= MAX_TIE_PASSES) {
          log.warn('A crowded second stayed short of its count', { second, have: this.index.haveCrowded(second), total });
          return done();
        }
        return { crowded: { ...crowded, total, page: 1, passes, limit: this.passLimit(passes) } };
      },
      crowded.passes > 0 || crowded.page > 1,
    );
  }

  /** Page size of the n-th pass over a crowded second: a different one each time, never below half a page. */
  private passLimit(pass: number): number {
    const span = Math.max(1, Math.ceil(this.pageSize / 2));
    return this.pageSize - (pass % span);
  }

  /** End of a pass down the window: Dify's count of the whole window decides whether it is complete. */
  private async finishPass(): Promise<void> {
    const count = await this.dify.logsPage({ page: 1, limit: 1, from: this.window.from, to: this.window.to, seconds: { before: this.window.last } });
    const expected = count.total;
    const have = this.index.ids.size;
    if (have < expected && this.progress.pass < 2) {
      log.warn('Fewer runs than Dify counts in the window; walking the window once more', { have, expected });
      this.progress = { ...this.progress, pass: this.progress.pass + 1, before: this.window.last, crowded: undefined };
    } else {
      this.progress = { ...this.progress, expected, done: true };
    }
    await saveState(this.dir, this.tag, this.progress);
    beat(this.progress);
  }

  /**
   * Offset paging over a Dify without date filters, newest first, until the window's start
   * is passed; then rounds over the pages that cut through a tied second, until each such
   * second has as many distinct runs as it holds positions.
   */
  private async offsetStep(): Promise<void> {
    const { rounds, queue, page } = this.progress;
    if (rounds === undefined) {
      return this.ask({ mode: 'offset', page, limit: this.pageSize }, (header) => {
        const end = !header.hasMore || header.received === 0 || (header.oldest !== null && header.oldest < this.window.first);
        return end ? { rounds: 0, queue: [] } : { page: page + 1 };
      });
    }
    const [next, ...rest] = queue ?? [];
    const limit = this.progress.queueLimit ?? this.pageSize;
    if (next !== undefined) return this.ask({ mode: 'offset', page: next, limit, ...(limit !== this.pageSize && { probe: true }) }, () => ({ queue: rest }), true);

    const short = [...this.index.cutSeconds()].filter(([second, cut]) => second >= this.window.first && second <= this.window.last && this.index.have(second) < cut.positions);
    if (short.length === 0 || rounds >= MAX_TIE_PASSES) {
      if (short.length > 0) log.warn('Tied seconds stayed short of their positions', { seconds: short.length });
      this.progress = { ...this.progress, expected: this.index.positions(), done: true };
    } else {
      const pages = [...new Set(short.flatMap(([, cut]) => cut.pages))].sort((a, b) => a - b);
      // PostgreSQL may order a tie the same way whenever the same query is asked again: after
      // the first round, the same ranks are asked for in pages of another size each round.
      const limit = rounds === 0 ? this.pageSize : this.passLimit(rounds);
      const queue = limit === this.pageSize ? pages : [...new Set(pages.flatMap((base) => {
        const first = Math.floor(((base - 1) * this.pageSize) / limit) + 1;
        const last = Math.ceil((base * this.pageSize) / limit);
        return Array.from({ length: last - first + 1 }, (_, n) => first + n);
      }))];
      this.progress = { ...this.progress, rounds: rounds + 1, queue, queueLimit: limit };
    }
    await saveState(this.dir, this.tag, this.progress);
    beat(this.progress);
  }

  /** The distinct runs of the chain, newest answers first, each once. */
  async *records(): AsyncGenerator<WorkflowLog> {
    const seen = new Set<string>();
    for (let seq = 1; seq <= this.progress.answers; seq += 1) {
      const { items } = await readAnswer(answerFile(this.dir, seq, writerOf(this.progress.writers, seq), this.tag));
      for (const item of items) {
        if (seen.has(item.id)) continue;
        seen.add(item.id);
        yield item;
      }
      beat(this.progress);
    }
  }

  get duplicates(): number {
    return this.index.duplicates;
  }

  get invalid(): { logId: string | null; reason: string }[] {
    return [...this.index.invalid.values()];
  }
}

/**
 * Collects every log of the plan's window into one file, each run once. Each answer is saved
 * under this attempt's own name before the heartbeat (and a state file beside it) records it,
 * so a retried attempt continues where the furthest earlier attempt got, and an earlier
 * attempt still running can never overwrite or delete what a later one wrote.
 */
export async function collectLogPages(dify: DifyClient, outputDir: string, plan: ReportPlan, options: { pageSize?: number } = {}): Promise<LogCollection> {
  const tag = currentAttempt();
  const pagesRoot = resolveInside(outputDir, `${plan.workDir}/log-pages`);
  const dir = path.join(pagesRoot, runLabel(tag));
  const window = windowOf(plan);

  // Smaller pages only in tests, to make crowded seconds out of the few runs a test can create.
  const pageSize = options.pageSize ?? PAGE_SIZE;
  let collector: LogCollector | undefined;
  for (const resumed of await resumePoints(dir, tag)) {
    const candidate = new LogCollector(dify, dir, tag, window, resumed, pageSize);
    try {
      await candidate.replay();
      log.info('Resuming log collection', { answers: resumed.answers, mode: resumed.mode });
      collector = candidate;
      break;
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      // A truncated or corrupt answer of an earlier attempt: try the next resume point, else ask Dify afresh.
      log.warn('Earlier answers unreadable; not resuming from them', { error: error.message });
    }
  }
  if (!collector) {
    await removeOtherRuns(pagesRoot, runLabel(tag));
    collector = new LogCollector(dify, dir, tag, window, initialProgress(window), pageSize);
  }
  const progress = await collector.run();

  const file = `${plan.workDir}/${attemptFileName('logs', '.ndjson.gz', tag)}`;
  const fetched = await writeNdjsonGz(resolveInside(outputDir, file), collector.records());
  const invalid = collector.invalid;
  if (invalid.length > 0) await writeNdjsonGz(resolveInside(outputDir, `${plan.workDir}/${attemptFileName('invalid-logs', '.ndjson.gz', tag)}`), invalid);
  return {
    expected: progress.expected ?? fetched,
    fetched,
    duplicates: collector.duplicates,
    invalid: invalid.length,
    pages: progress.answers,
    file,
    refetchedPages: progress.refetched,
  };
}
