import { heartbeat, activityInfo, log } from '@temporalio/activity';
import path from 'node:path';
import type { LogCollection, ReportPlan } from '../common/contracts';
import type { DifyClient } from './dify/client';
import type { WorkflowLog } from './dify/schemas';
import { listFiles, readNdjsonGz, resolveInside, writeNdjsonGz, exists } from './storage';

const PAGE_SIZE = 100;

/** What a retried attempt resumes from: the last page safely on disk. */
interface LogProgress {
  pagesDone: number;
  total: number;
}

interface PageFileHeader {
  kind: 'page';
  page: number;
  total: number;
  outsideWindow: number;
  invalid: { logId: string | null; reason: string }[];
}

function pageFileName(page: number): string {
  return `page-${String(page).padStart(5, '0')}.ndjson.gz`;
}

/**
 * Pages through `GET /v1/workflows/logs` for the plan's window. Each page is written to its
 * own file before the heartbeat records it, so a retried attempt continues after the last
 * saved page instead of starting over. The pages are then merged into one file, deduplicated
 * by log id.
 */
export async function collectLogPages(dify: DifyClient, outputDir: string, plan: ReportPlan): Promise<LogCollection> {
  const workDir = resolveInside(outputDir, plan.workDir);
  const pagesDir = path.join(workDir, 'log-pages');
  const resumed = activityInfo().heartbeatDetails as LogProgress | undefined;
  let pagesDone = 0;
  let total = 0;
  if (resumed && typeof resumed.pagesDone === 'number' && (await exists(path.join(pagesDir, pageFileName(resumed.pagesDone))))) {
    pagesDone = resumed.pagesDone;
    total = resumed.total;
    log.info('Resuming log collection', { pagesDone });
  }

  for (;;) {
    const page = pagesDone + 1;
    const result = await dify.logsPage({ page, limit: PAGE_SIZE, from: plan.window.from, to: plan.window.to });
    if (page === 1 || pagesDone === 0) total = result.total;
    const header: PageFileHeader = { kind: 'page', page, total: result.total, outsideWindow: result.outsideWindow, invalid: result.invalid };
    await writeNdjsonGz(path.join(pagesDir, pageFileName(page)), [header, ...result.items]);
    pagesDone = page;
    heartbeat({ pagesDone, total } satisfies LogProgress);
    if (!result.hasMore || result.items.length + result.outsideWindow + result.invalid.length === 0) break;
  }

  const seen = new Set<string>();
  let duplicates = 0;
  let outsideWindow = 0;
  let invalid = 0;
  const invalidReasons: { logId: string | null; reason: string }[] = [];
  async function* merged(): AsyncGenerator<WorkflowLog> {
    for (const name of await listFiles(pagesDir, '.ndjson.gz')) {
      let first = true;
      for await (const value of readNdjsonGz(path.join(pagesDir, name))) {
        if (first) {
          const header = value as PageFileHeader;
          outsideWindow += header.outsideWindow;
          invalid += header.invalid.length;
          invalidReasons.push(...header.invalid);
          first = false;
          continue;
        }
        const record = value as WorkflowLog;
        if (seen.has(record.id)) {
          duplicates += 1;
          continue;
        }
        seen.add(record.id);
        yield record;
      }
    }
  }
  const file = `${plan.workDir}/logs.ndjson.gz`;
  const fetched = await writeNdjsonGz(resolveInside(outputDir, file), merged());
  if (invalidReasons.length > 0) {
    await writeNdjsonGz(resolveInside(outputDir, `${plan.workDir}/invalid-logs.ndjson.gz`), invalidReasons);
  }
  // Dify's total counts the inclusive upper bound; records exactly at `to` belong to the next window.
  return { expected: Math.max(0, total - outsideWindow), fetched, duplicates, invalid, pages: pagesDone, file };
}
