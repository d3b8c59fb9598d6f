import type { DetailCollection, LogCollection, ReportPlan } from '../common/contracts';
import { beatEvery } from './activity-context';
import { attemptFileName, currentAttempt } from './attempt-files';
import { readNdjsonGz, resolveInside, writeNdjsonGz } from './storage';

/** What collecting one window (or one shard of it) produced. */
export interface Collection {
  logs: LogCollection;
  details: DetailCollection;
}

async function* concatenated(outputDir: string, files: readonly string[]): AsyncGenerator<unknown> {
  const alive = beatEvery(1000);
  for (const file of files) {
    for await (const record of readNdjsonGz(resolveInside(outputDir, file))) {
      alive();
      yield record;
    }
  }
}

/**
 * Joins the shards of a window into the files and counts one unsharded collection would
 * have produced. Shards are disjoint half-open intervals and each dropped what lies outside
 * its own bounds, so no run can be in two shards: the files are concatenated, streaming,
 * without holding ids. `shards` come newest first, the order Dify lists runs in.
 */
export async function mergeShardCollections(outputDir: string, plan: ReportPlan, shards: readonly Collection[]): Promise<Collection> {
  const sum = (pick: (shard: Collection) => number | undefined): number => shards.reduce((total, shard) => total + (pick(shard) ?? 0), 0);
  // Named for this attempt: an earlier attempt still writing can never replace these files.
  const tag = currentAttempt();
  const logsFile = `${plan.workDir}/${attemptFileName('logs', '.ndjson.gz', tag)}`;
  const runsFile = `${plan.workDir}/${attemptFileName('runs', '.ndjson.gz', tag)}`;
  const fetched = await writeNdjsonGz(resolveInside(outputDir, logsFile), concatenated(outputDir, shards.map((shard) => shard.logs.file)));
  const runs = await writeNdjsonGz(resolveInside(outputDir, runsFile), concatenated(outputDir, shards.map((shard) => shard.details.file)));
  return {
    logs: {
      expected: sum((shard) => shard.logs.expected),
      fetched,
      duplicates: sum((shard) => shard.logs.duplicates),
      invalid: sum((shard) => shard.logs.invalid),
      pages: sum((shard) => shard.logs.pages),
      refetchedPages: sum((shard) => shard.logs.refetchedPages),
      shards: shards.length,
      file: logsFile,
    },
    details: {
      runs,
      detailsFetched: sum((shard) => shard.details.detailsFetched),
      detailFailures: sum((shard) => shard.details.detailFailures),
      nodesFetched: sum((shard) => shard.details.nodesFetched),
      nodeFailures: sum((shard) => shard.details.nodeFailures),
      file: runsFile,
    },
  };
}
