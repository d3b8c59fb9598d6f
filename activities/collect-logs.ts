import { heartbeat, activityInfo, log } from '@temporalio/activity';
import path from 'node:path';
import type { LogCollection, ReportPlan } from '../common/contracts';
import type { DifyClient, LogsPage } from './dify/client';
import type { WorkflowLog } from './dify/schemas';
import { listFiles, readNdjsonGz, resolveInside, writeNdjsonGz, exists, removeFolder } from './storage';

export const PAGE_SIZE = 100;

/** What a retried attempt resumes from: the last page safely on disk. */
export interface LogProgress {
  pagesDone: number;
  total: number;
  /** Set when paging reached the end, so a retry goes straight to the completeness pass. */
  paged?: boolean;
  /** Set once the completeness pass has re-fetched its pages, so a retry does not repeat it. */
  refetched?: number;
}

interface PageFileHeader {
  kind: 'page';
  page: number;
  total: number;
  /** Entries Dify returned on the page, whatever became of them (kept, outside the window, invalid). */
  received?: number;
  outsideWindow: number;
  invalid: { logId: string | null; reason: string }[];
}

const pageFileName = (page: number): string => `page-${String(page).padStart(5, '0')}.ndjson.gz`;
/** Second answers are kept beside the first, so a re-fetch can only add runs, never lose one. */
const refetchFileName = (page: number): string => `refetch-${String(page).padStart(5, '0')}.ndjson.gz`;

function received(result: LogsPage): number {
  return result.items.length + result.outsideWindow + result.invalid.length;
}

async function savePage(file: string, page: number, result: LogsPage): Promise<void> {
  const header: PageFileHeader = { kind: 'page', page, total: result.total, received: received(result), outsideWindow: result.outsideWindow, invalid: result.invalid };
  await writeNdjsonGz(file, [header, ...result.items]);
}

async function* pageFile(file: string): AsyncGenerator<{ header: PageFileHeader; records: AsyncGenerator<WorkflowLog> }> {
  const values = readNdjsonGz(file);
  const first = await values.next();
  if (first.done) throw new Error(`empty page file ${file}`);
  async function* records(): AsyncGenerator<WorkflowLog> {
    for await (const value of values) yield value as WorkflowLog;
  }
  yield { header: first.value as PageFileHeader, records: records() };
}

async function openPage(file: string): Promise<{ header: PageFileHeader; records: AsyncGenerator<WorkflowLog> }> {
  for await (const opened of pageFile(file)) return opened;
  throw new Error(`empty page file ${file}`);
}

/**
 * Pages worth asking for again, from what the first pass saved: pages that came back with
 * fewer entries than Dify's own total says they hold (a replica behind, a proxy cutting the
 * answer short), pages after the last one when paging stopped early on an empty page, and
 * when a record came twice (new runs pushed the offsets on while paging) the leading pages,
 * where those new runs now are.
 */
async function pagesToRefetch(pagesDir: string, pagesDone: number, limit: number): Promise<{ pages: number[]; total: number }> {
  let total = 0;
  const pages = new Set<number>();
  const seen = new Set<string>();
  let duplicates = 0;
  for (let page = 1; page <= pagesDone; page += 1) {
    const { header, records } = await openPage(path.join(pagesDir, pageFileName(page)));
    // The latest total is Dify's current view of the window; earlier pages may predate new runs.
    total = header.total;
    const expected = Math.max(0, Math.min(limit, header.total - (page - 1) * limit));
    if (header.received !== undefined && header.received < expected) pages.add(page);
    for await (const record of records) {
      if (seen.has(record.id)) duplicates += 1;
      else seen.add(record.id);
    }
  }
  for (let page = 1; page <= Math.ceil(duplicates / limit); page += 1) pages.add(page);
  for (let page = pagesDone + 1; page <= Math.ceil(total / limit); page += 1) pages.add(page);
  return { pages: [...pages].sort((a, b) => a - b), total };
}

/**
 * Pages through `GET /v1/workflows/logs` for the plan's window. Each page is written to its
 * own file before the heartbeat records it, so a retried attempt continues after the last
 * saved page instead of starting over. Then Dify's total is compared with what arrived and
 * short or missing pages are fetched once more. Finally the pages are merged into one file,
 * deduplicated by log id: offset paging repeats a record at a page boundary when runs are
 * added while paging, and those repeats are dropped and counted.
 */
export async function collectLogPages(dify: DifyClient, outputDir: string, plan: ReportPlan): Promise<LogCollection> {
  const workDir = resolveInside(outputDir, plan.workDir);
  const pagesDir = path.join(workDir, 'log-pages');
  const resumed = activityInfo().heartbeatDetails as LogProgress | undefined;
  let progress: LogProgress = { pagesDone: 0, total: 0 };
  if (resumed && typeof resumed.pagesDone === 'number' && resumed.pagesDone > 0 && (await exists(path.join(pagesDir, pageFileName(resumed.pagesDone))))) {
    progress = { ...resumed };
    log.info('Resuming log collection', { pagesDone: progress.pagesDone });
  } else {
    // Pages left by an earlier run of the same workflow id (one that failed before cleaning
    // up) describe another moment of Dify; merging them would mix two views.
    await removeFolder(pagesDir);
  }

  const window = { from: plan.window.from, to: plan.window.to };
  while (progress.paged !== true) {
    const page = progress.pagesDone + 1;
    const result = await dify.logsPage({ page, limit: PAGE_SIZE, ...window });
    await savePage(path.join(pagesDir, pageFileName(page)), page, result);
    // An empty page ends paging even if has_more says otherwise; the completeness pass
    // below fetches whatever the total says is still missing.
    const last = !result.hasMore || received(result) === 0;
    progress = { pagesDone: page, total: result.total, ...(last && { paged: true }) };
    heartbeat(progress);
  }

  if (progress.refetched === undefined) {
    const missing = await pagesToRefetch(pagesDir, progress.pagesDone, PAGE_SIZE);
    if (missing.pages.length > 0) log.warn('Fetching log pages again that came back short of the total', { pages: missing.pages, total: missing.total });
    for (const page of missing.pages) {
      const result = await dify.logsPage({ page, limit: PAGE_SIZE, ...window });
      await savePage(path.join(pagesDir, refetchFileName(page)), page, result);
      progress.total = result.total;
    }
    progress = { ...progress, refetched: missing.pages.length };
    heartbeat(progress);
  }

  // One header per page: a re-fetched page may have found what its first answer lacked.
  const headers = new Map<number, PageFileHeader>();
  for (const name of await listFiles(pagesDir, '.ndjson.gz')) {
    const { header } = await openPage(path.join(pagesDir, name));
    const known = headers.get(header.page);
    headers.set(header.page, {
      ...header,
      outsideWindow: Math.max(header.outsideWindow, known?.outsideWindow ?? 0),
      invalid: known && known.invalid.length > header.invalid.length ? known.invalid : header.invalid,
    });
  }
  const outsideWindow = [...headers.values()].reduce((sum, header) => sum + header.outsideWindow, 0);
  const invalidReasons = [...headers.values()].flatMap((header) => header.invalid);

  const seen = new Set<string>();
  let duplicates = 0;
  async function* merged(): AsyncGenerator<WorkflowLog> {
    const names = await listFiles(pagesDir, '.ndjson.gz');
    // First answers first; a re-fetch contributes only runs they lacked, and its overlap
    // with them is not a repeat Dify served, so it is not counted as a duplicate.
    for (const name of [...names.filter((n) => n.startsWith('page-')), ...names.filter((n) => n.startsWith('refetch-'))]) {
      const refetch = name.startsWith('refetch-');
      const { records } = await openPage(path.join(pagesDir, name));
      for await (const record of records) {
        if (seen.has(record.id)) {
          if (!refetch) duplicates += 1;
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
  const expected = Math.max(0, progress.total - outsideWindow);
  return { expected, fetched, duplicates, invalid: invalidReasons.length, pages: progress.pagesDone, file, refetchedPages: progress.refetched };
}
