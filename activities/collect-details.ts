import { activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { DetailCollection, ReportPlan } from '../common/contracts';
import type { DifyClient } from './dify/client';
import { errorMessage, rethrowIfFatal } from './dify/errors';
import type { CollectedRun, RunDetail, WorkflowLog } from '../common/dify-schemas';
import { detailFromNodes } from './detail-from-nodes';
import { attemptFileName, currentAttempt, removeOtherRuns, runLabel, type AttemptTag } from './attempt-files';
import { concatenateGzipFiles } from './concat-files';
import { exists, readNdjsonGz, resolveInside, writeFileAtomic } from './storage';
import { DETAIL_CHUNK_SIZE, detailChunkCountsSchema, detailProgressSchema, type DetailChunkCounts as ChunkCounts, type DetailProgress } from '../common/collection-progress';

const gzipAsync = promisify(gzip);

/** Runs per durable chunk: the unit a retried attempt resumes from. */
const CHUNK_SIZE = DETAIL_CHUNK_SIZE;
/** Chunks collected ahead of the last one written, so one slow run cannot let memory grow. */
const CHUNKS_AHEAD = 2;

const emptyCounts = (): ChunkCounts => ({ runs: 0, detailsFetched: 0, detailRequests: 0, detailFailures: 0, nodesFetched: 0, nodeFailures: 0, fallbacks: {} });

function addCounts(total: ChunkCounts, counts: ChunkCounts): void {
  total.runs += counts.runs;
  total.detailsFetched += counts.detailsFetched;
  total.detailRequests += counts.detailRequests;
  total.detailFailures += counts.detailFailures;
  total.nodesFetched += counts.nodesFetched;
  total.nodeFailures += counts.nodeFailures;
  for (const [reason, count] of Object.entries(counts.fallbacks)) total.fallbacks[reason] = (total.fallbacks[reason] ?? 0) + count;
}

const chunkName = (index: number): string => `chunk-${String(index).padStart(5, '0')}`;
/** One attempt's own version of a chunk, so an older attempt still running never replaces it. */
const chunkBase = (index: number, tag: AttemptTag): string => attemptFileName(chunkName(index), '', tag);

/**
 * The chunks a heartbeat (a DetailProgress, sent when a chunk is saved and repeated by the
 * keep-alive heartbeats between chunks) names, if they are all on disk; else nothing to resume from.
 */
async function savedChunks(dir: string, heartbeatDetails: unknown): Promise<string[]> {
  const resumed = detailProgressSchema.safeParse(heartbeatDetails);
  if (!resumed.success || resumed.data.chunksDone <= 0) return [];
  // A heartbeat of an earlier release names no files: its attempt starts afresh.
  const bases = resumed.data.chunks;
  if (bases === undefined || bases.length !== resumed.data.chunksDone) return [];
  for (const base of bases) if (!(await exists(path.join(dir, `${base}.json`)))) return [];
  return bases;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

function settle<T>(request: Promise<T>): Promise<Outcome<T>> {
  return request.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => {
      rethrowIfFatal(error);
      return { ok: false as const, error: errorMessage(error) };
    },
  );
}

/**
 * One run. At level `nodes` the node executions come first and, where they and the log item
 * provably give the run detail (see detail-from-nodes.ts), they are the run's only request;
 * otherwise, or when they could not be fetched, the run detail is asked for as well. For an
 * app that takes files (`derive` false) both are asked for at once, as the detail is needed.
 */
async function collectRun(dify: DifyClient, logRecord: WorkflowLog, level: ReportPlan['level'], derive: boolean, counts: ChunkCounts): Promise<CollectedRun> {
  const run: CollectedRun = { log: logRecord, detail: null, nodes: null, problems: [] };
  counts.runs += 1;
  if (level === 'logs') return run;
  const runId = logRecord.workflow_run?.id;
  if (!runId) {
    run.problems.push('log has no workflow run');
    counts.detailFailures += 1;
    return run;
  }
  let detailRequest: Promise<Outcome<RunDetail | null>> | undefined;
  if (level === 'nodes') {
    if (!derive) detailRequest = settle(dify.runDetail(runId));
    const nodes = await settle(dify.nodeExecutions(runId));
    if (nodes.ok) {
      run.nodes = nodes.value;
      counts.nodesFetched += 1;
      if (derive) {
        const derived = detailFromNodes(logRecord, nodes.value);
        if ('detail' in derived) {
          run.detail = derived.detail;
          run.detailFrom = 'nodes';
          counts.detailsFetched += 1;
          return run;
        }
        counts.fallbacks[derived.fallback] = (counts.fallbacks[derived.fallback] ?? 0) + 1;
      }
    } else {
      run.problems.push(`nodes: ${nodes.error}`);
      counts.nodeFailures += 1;
    }
  }
  counts.detailRequests += 1;
  const detail = await (detailRequest ?? settle(dify.runDetail(runId)));
  if (detail.ok && detail.value) {
    run.detail = detail.value;
    counts.detailsFetched += 1;
  } else {
    run.problems.push(detail.ok ? 'detail: run not found in Dify' : `detail: ${detail.error}`);
    counts.detailFailures += 1;
  }
  return run;
}

/**
 * Whether run details can be built from node executions for this app: not when its users may
 * attach files, which only a run's stored inputs keep (`sys.files`, read for the Q&A sheet's
 * attachments). Unknown counts as yes, files.
 */
async function appTakesFiles(dify: DifyClient): Promise<boolean> {
  try {
    return await dify.takesFiles();
  } catch (error) {
    rethrowIfFatal(error);
    log.warn('Could not tell whether the app takes files; asking for every run detail', { error: errorMessage(error) });
    return true;
  }
}

/** One chunk's records (NDJSON lines) gzip-compressed in one piece, off the event loop. */
async function writeChunk(chunksDir: string, base: string, lines: readonly string[], counts: ChunkCounts): Promise<void> {
  await writeFileAtomic(path.join(chunksDir, `${base}.ndjson.gz`), await gzipAsync(lines.join('')));
  // Written last: a chunk counts as done only once its counts are on disk too.
  await writeFileAtomic(path.join(chunksDir, `${base}.json`), JSON.stringify(counts));
}

/**
 * Fetches node executions (level `nodes`) or run details (level `details`) for every collected
 * log, `concurrency` runs at a time without pausing between chunks, and saves them in durable
 * chunks of CHUNK_SIZE runs, written in order; a retried attempt resumes after the last chunk
 * saved (heartbeat details). Cancellation stops taking new runs at once.
 */
export async function collectRunDetails(dify: DifyClient, outputDir: string, plan: ReportPlan, logsFile: string, concurrency: number): Promise<DetailCollection> {
  const tag = currentAttempt();
  const chunksRoot = resolveInside(outputDir, `${plan.workDir}/detail-chunks`);
  // One folder per workflow run; inside it every attempt writes chunks named for itself.
  const chunksDir = path.join(chunksRoot, runLabel(tag));
  const chunks = await savedChunks(chunksDir, activityInfo().heartbeatDetails);
  let chunksDone = chunks.length;
  if (chunksDone > 0) {
    log.info('Resuming detail collection', { chunksDone });
  } else {
    // Chunks of an earlier run of the same workflow id would be merged with this one's.
    await removeOtherRuns(chunksRoot, runLabel(tag));
  }
  const signal = cancellationSignal();
  const derive = plan.level === 'nodes' && !(await appTakesFiles(dify));

  interface OpenChunk {
    /** Each run as its NDJSON line, serialised when it is collected: a string holds far less memory than the parsed node payloads. */
    lines: string[];
    counts: ChunkCounts;
    /** Runs of the chunk handed out so far, and finished so far. */
    taken: number;
    finished: number;
    /** Known once the log file has no more runs for it. */
    size: number | undefined;
  }
  const open = new Map<number, OpenChunk>();
  let writtenUpTo = chunksDone;
  let writing: Promise<void> = Promise.resolve();
  let waitingForRoom: (() => void) | undefined;
  /** Set when a lane failed: the others take no more runs. */
  let failed = false;
  const wake = (): void => waitingForRoom?.();
  signal.addEventListener('abort', wake, { once: true });

  const chunkOf = (index: number): OpenChunk => {
    let chunk = open.get(index);
    if (!chunk) {
      chunk = { lines: new Array<string>(), counts: emptyCounts(), taken: 0, finished: 0, size: undefined };
      open.set(index, chunk);
    }
    return chunk;
  };
  // Completed chunks go to disk strictly in order, one write at a time, while requests go on.
  const writeReady = (): void => {
    for (;;) {
      const chunk = open.get(writtenUpTo);
      if (!chunk || chunk.size === undefined || chunk.finished < chunk.size) return;
      const index = writtenUpTo;
      open.delete(index);
      writtenUpTo += 1;
      writing = writing.then(async () => {
        try {
          const base = chunkBase(index, tag);
          await writeChunk(chunksDir, base, chunk.lines, chunk.counts);
          chunks[index] = base;
        } catch (error) {
          failed = true;
          wake();
          throw error;
        }
        chunksDone = index + 1;
        heartbeat({ chunksDone, chunks: chunks.slice(0, chunksDone) } satisfies DetailProgress);
        wake();
      });
    }
  };

  const logs = readNdjsonGz(resolveInside(outputDir, logsFile));
  let position = 0;
  let exhausted = false;
  // Hands out the next run to collect, skipping chunks already on disk.
  const next = async (): Promise<{ record: WorkflowLog; chunk: number; slot: number } | undefined> => {
    for (;;) {
      if (exhausted || failed || signal.aborted) return undefined;
      const index = Math.floor(position / CHUNK_SIZE);
      if (index >= chunksDone && index >= writtenUpTo + CHUNKS_AHEAD) {
        await new Promise<void>((resolve) => {
          waitingForRoom = resolve;
        });
        continue;
      }
      const item = await logs.next();
      if (item.done) {
        exhausted = true;
        // The chunk in progress ends here.
        const last = Math.floor(position / CHUNK_SIZE);
        if (position % CHUNK_SIZE !== 0 && last >= chunksDone) chunkOf(last).size = chunkOf(last).taken;
        writeReady();
        return undefined;
      }
      const slot = position % CHUNK_SIZE;
      position += 1;
      if (index < chunksDone) continue;
      const chunk = chunkOf(index);
      chunk.taken += 1;
      if (chunk.taken === CHUNK_SIZE) chunk.size = CHUNK_SIZE;
      return { record: item.value as WorkflowLog, chunk: index, slot };
    }
  };
  // Lanes take runs one by one: requests may overtake each other, which order-preserving slots absorb.
  let handing: Promise<unknown> = Promise.resolve();
  const take = (): Promise<{ record: WorkflowLog; chunk: number; slot: number } | undefined> => {
    const turn = handing.then(next);
    handing = turn.catch(() => undefined);
    return turn;
  };
  const lane = async (): Promise<void> => {
    try {
      await laneLoop();
    } catch (error) {
      failed = true;
      wake();
      throw error;
    }
  };
  const laneLoop = async (): Promise<void> => {
    for (let work = await take(); work; work = await take()) {
      const chunk = chunkOf(work.chunk);
      chunk.lines[work.slot] = `${JSON.stringify(await collectRun(dify, work.record, plan.level, derive, chunk.counts))}\n`;
      chunk.finished += 1;
      writeReady();
    }
  };
  // Twice as many lanes as requests allowed in flight: a lane parses and stores its answer
  // outside the gate, and meanwhile another lane's request takes the slot it left.
  const lanes = await Promise.allSettled(Array.from({ length: 2 * Math.max(1, concurrency) }, lane));
  signal.removeEventListener('abort', wake);
  await writing;
  for (const result of lanes) if (result.status === 'rejected') throw result.reason;
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('detail collection cancelled');

  // Exactly the chunks this attempt saved or resumed from, whatever other attempts left beside them.
  const totals = emptyCounts();
  for (const base of chunks) addCounts(totals, detailChunkCountsSchema.parse(JSON.parse(await readFile(path.join(chunksDir, `${base}.json`), 'utf8'))));
  // Named for this attempt: an earlier attempt still running can never replace it.
  const file = `${plan.workDir}/${attemptFileName('runs', '.ndjson.gz', currentAttempt())}`;
  await concatenateGzipFiles(
    resolveInside(outputDir, file),
    chunks.map((base) => path.join(chunksDir, `${base}.ndjson.gz`)),
  );
  if (Object.keys(totals.fallbacks).length > 0) log.info('Runs that needed their run detail', { fallbacks: totals.fallbacks });
  return {
    runs: totals.runs,
    detailsFetched: totals.detailsFetched,
    detailRequests: totals.detailRequests,
    detailFailures: totals.detailFailures,
    nodesFetched: totals.nodesFetched,
    nodeFailures: totals.nodeFailures,
    file,
  };
}
