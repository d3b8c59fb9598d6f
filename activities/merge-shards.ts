import type { Collection, ReportPlan } from '../common/contracts';
import { attemptFileName, currentAttempt } from './attempt-files';
import { concatenateGzipFiles } from './concat-files';
import { resolveInside } from './storage';

/**
 * Joins the shards of a window into the files and counts one unsharded collection would
 * have produced. Shards are disjoint half-open intervals and each dropped what lies outside
 * its own bounds, so no run can be in two shards: the files are concatenated, streaming,
 * byte for byte, without parsing a record. `shards` come newest first, the order Dify lists runs in.
 */
export async function mergeShardCollections(outputDir: string, plan: ReportPlan, shards: readonly Collection[]): Promise<Collection> {
  const sum = (pick: (shard: Collection) => number | undefined): number => shards.reduce((total, shard) => total + (pick(shard) ?? 0), 0);
  // Named for this attempt: an earlier attempt still writing can never replace these files.
  const tag = currentAttempt();
  const logsFile = `${plan.workDir}/${attemptFileName('logs', '.ndjson.gz', tag)}`;
  const runsFile = `${plan.workDir}/${attemptFileName('runs', '.ndjson.gz', tag)}`;
  await concatenateGzipFiles(resolveInside(outputDir, logsFile), shards.map((shard) => resolveInside(outputDir, shard.logs.file)));
  await concatenateGzipFiles(resolveInside(outputDir, runsFile), shards.map((shard) => resolveInside(outputDir, shard.details.file)));
  return {
    logs: {
      expected: sum((shard) => shard.logs.expected),
      fetched: sum((shard) => shard.logs.fetched),
      duplicates: sum((shard) => shard.logs.duplicates),
      invalid: sum((shard) => shard.logs.invalid),
      pages: sum((shard) => shard.logs.pages),
      refetchedPages: sum((shard) => shard.logs.refetchedPages),
      shards: shards.length,
      file: logsFile,
    },
    details: {
      runs: sum((shard) => shard.details.runs),
      detailsFetched: sum((shard) => shard.details.detailsFetched),
      detailRequests: sum((shard) => shard.details.detailRequests ?? shard.details.runs),
      detailFailures: sum((shard) => shard.details.detailFailures),
      nodesFetched: sum((shard) => shard.details.nodesFetched),
      nodeFailures: sum((shard) => shard.details.nodeFailures),
      file: runsFile,
    },
  };
}
