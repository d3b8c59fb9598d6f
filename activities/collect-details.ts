import { activityInfo, heartbeat, log } from '@temporalio/activity';
import path from 'node:path';
import type { DetailCollection, ReportPlan } from '../common/contracts';
import type { DifyClient } from './dify/client';
import { DifyError } from './dify/errors';
import type { CollectedRun, WorkflowLog } from './dify/schemas';
import { exists, listFiles, readNdjsonGz, removeFolder, resolveInside, writeNdjsonGz } from './storage';

/** Runs per durable chunk: the unit a retried attempt resumes from. */
const CHUNK_SIZE = 250;

interface DetailProgress {
  chunksDone: number;
}

interface ChunkCounts {
  detailsFetched: number;
  detailFailures: number;
  nodesFetched: number;
  nodeFailures: number;
}

function chunkFileName(index: number): string {
  return `chunk-${String(index).padStart(5, '0')}.ndjson.gz`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `work` over `items` with at most `limit` in flight, keeping the input order of results. */
async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * What Dify could not give for one run after the client's retries is recorded on the run, so
 * the report states its gaps. Two things stop the activity instead: a fault retrying cannot
 * fix (bad credentials, unknown app), and anything that is not a Dify error at all (a full
 * disk, a bug, a worker going down): recording that as a missing detail would turn a
 * retryable crash into a permanent hole in the report.
 */
function rethrowIfFatal(error: unknown): void {
  if (!(error instanceof DifyError)) throw error;
  if (!error.retryable && error.kind !== 'not-found' && error.kind !== 'schema') throw error;
}

async function collectRun(dify: DifyClient, logRecord: WorkflowLog, level: ReportPlan['level'], counts: ChunkCounts): Promise<CollectedRun> {
  const run: CollectedRun = { log: logRecord, detail: null, nodes: null, problems: [] };
  const runId = logRecord.workflow_run?.id;
  if (level === 'logs') return run;
  if (!runId) {
    run.problems.push('log has no workflow run');
    counts.detailFailures += 1;
    return run;
  }
  const [detail, nodes] = await Promise.all([
    dify.runDetail(runId).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => {
        rethrowIfFatal(error);
        return { ok: false as const, error: describe(error) };
      },
    ),
    level === 'nodes'
      ? dify.nodeExecutions(runId).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => {
            rethrowIfFatal(error);
            return { ok: false as const, error: describe(error) };
          },
        )
      : Promise.resolve(null),
  ]);
  if (detail.ok && detail.value) {
    run.detail = detail.value;
    counts.detailsFetched += 1;
  } else {
    run.problems.push(detail.ok ? 'detail: run not found in Dify' : `detail: ${detail.error}`);
    counts.detailFailures += 1;
  }
  if (nodes) {
    if (nodes.ok) {
      run.nodes = nodes.value;
      counts.nodesFetched += 1;
    } else {
      run.problems.push(`nodes: ${nodes.error}`);
      counts.nodeFailures += 1;
    }
  }
  return run;
}

/**
 * Fetches run details (and node executions at level `nodes`) for every collected log, with
 * bounded concurrency, in durable chunks so a retried attempt skips the chunks already saved.
 */
export async function collectRunDetails(dify: DifyClient, outputDir: string, plan: ReportPlan, logsFile: string, concurrency: number): Promise<DetailCollection> {
  const chunksDir = resolveInside(outputDir, `${plan.workDir}/detail-chunks`);
  const resumed = activityInfo().heartbeatDetails as DetailProgress | undefined;
  let chunksDone = 0;
  if (resumed && typeof resumed.chunksDone === 'number' && resumed.chunksDone > 0 && (await exists(path.join(chunksDir, chunkFileName(resumed.chunksDone - 1))))) {
    chunksDone = resumed.chunksDone;
    log.info('Resuming detail collection', { chunksDone });
  } else {
    // Chunks of an earlier run of the same workflow id would be merged with this one's.
    await removeFolder(chunksDir);
  }

  let chunk: WorkflowLog[] = [];
  let chunkIndex = 0;
  let lastBeat = 0;
  const flush = async (): Promise<void> => {
    if (chunkIndex >= chunksDone) {
      const counts: ChunkCounts = { detailsFetched: 0, detailFailures: 0, nodesFetched: 0, nodeFailures: 0 };
      let done = 0;
      const runs = await mapBounded(chunk, concurrency, async (record) => {
        const run = await collectRun(dify, record, plan.level, counts);
        done += 1;
        // Liveness only (the resume point is the chunk), so once a second is plenty.
        if (Date.now() - lastBeat >= 1000) {
          lastBeat = Date.now();
          heartbeat({ chunksDone, inChunk: done } satisfies DetailProgress & { inChunk: number });
        }
        return run;
      });
      await writeNdjsonGz(path.join(chunksDir, chunkFileName(chunkIndex)), [{ kind: 'chunk', ...counts }, ...runs]);
      chunksDone = chunkIndex + 1;
      heartbeat({ chunksDone } satisfies DetailProgress);
    }
    chunkIndex += 1;
    chunk = [];
  };
  for await (const value of readNdjsonGz(resolveInside(outputDir, logsFile))) {
    chunk.push(value as WorkflowLog);
    if (chunk.length === CHUNK_SIZE) await flush();
  }
  if (chunk.length > 0) await flush();

  const totals: ChunkCounts = { detailsFetched: 0, detailFailures: 0, nodesFetched: 0, nodeFailures: 0 };
  async function* merged(): AsyncGenerator<CollectedRun> {
    for (const name of await listFiles(chunksDir, '.ndjson.gz')) {
      let first = true;
      for await (const value of readNdjsonGz(path.join(chunksDir, name))) {
        if (first) {
          const counts = value as ChunkCounts;
          totals.detailsFetched += counts.detailsFetched;
          totals.detailFailures += counts.detailFailures;
          totals.nodesFetched += counts.nodesFetched;
          totals.nodeFailures += counts.nodeFailures;
          first = false;
          continue;
        }
        yield value as CollectedRun;
      }
    }
  }
  const file = `${plan.workDir}/runs.ndjson.gz`;
  const runs = await writeNdjsonGz(resolveInside(outputDir, file), merged());
  return { runs, ...totals, file };
}
