import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { ChatCollection, Completeness, DetailCollection, LogCollection, ReportPlan, ReportSummary } from '../common/contracts';
import type { AppConfig } from '../config/load';
import { Accumulator, csvText, prepareRecord, QaRows, reportFiles, runsHeader, runsRow, type EarlierUsers, type ReportContext, type ReportFigures } from '../reports';
import { csvRow } from '../reports/csv';
import { qaPiece } from '../reports/sheets/qa-pairs';
import { completenessText } from '../reports/completeness';
import { redactionFrom } from '../reports/redact';
import { LOOKBACK_PERIODS, parseUsersFile, USERS_FILE, usersFileContent } from '../reports/user-history';
import { previousWindow } from '../common/window';
import { collectedMessageSchema } from '../common/dify-chat-schemas';
import type { CollectedRun } from '../common/dify-schemas';
import { earlierReports, type EarlierReportFile } from './earlier-reports';
import { RunSorter } from './render-sort';
import { applyModes, DEFAULT_FOLDER_MODE, ensureFolder, readNdjsonGz, removeFolder, replaceFolder, resolveInside, StorageError, writeFileAtomic } from './storage';
import { beatEvery } from './activity-context';

/**
 * A raw record: a chat app's message (validated) or a workflow run. Workflow runs were written
 * by collection from Dify's validated answers a moment ago and are many, with every node
 * execution: they are not validated again.
 */
function collectedRecord(value: unknown): CollectedRun | z.infer<typeof collectedMessageSchema> {
  return typeof value === 'object' && value !== null && 'log' in value ? (value as CollectedRun) : collectedMessageSchema.parse(value);
}

/** The completeness statement every report format and notification repeats. */
export function assessCompleteness(plan: ReportPlan, logs: LogCollection, details: DetailCollection): Completeness {
  if (logs.chat) return assessChatCompleteness(plan, logs, logs.chat, details);
  const missing = Math.max(0, logs.expected - logs.fetched);
  const complete = missing === 0 && logs.invalid === 0 && details.detailFailures === 0 && details.nodeFailures === 0;
  const counts = {
    level: plan.level,
    expected: logs.expected,
    fetched: logs.fetched,
    duplicates: logs.duplicates,
    invalid: logs.invalid,
    detailFailures: details.detailFailures,
    nodeFailures: details.nodeFailures,
    complete,
  };
  return { ...counts, line: completenessText(counts) };
}

/**
 * A chat app's completeness: every conversation Dify lists as updated since the window start
 * listed, every listed conversation's messages read (as many as Dify counts), and node
 * executions for every chatflow message at level `nodes`.
 */
function assessChatCompleteness(plan: ReportPlan, logs: LogCollection, chat: ChatCollection, details: DetailCollection): Completeness {
  const unlisted = Math.max(0, chat.conversationsExpected - chat.conversationsListed);
  const complete = unlisted === 0 && chat.conversationFailures === 0 && chat.messagesShort === 0 && logs.invalid === 0 && details.nodeFailures === 0;
  const parts = [
    `${logs.fetched} messages in ${chat.conversationsInWindow} conversations`,
    `${chat.conversationsListed} of ${chat.conversationsExpected} conversations listed`,
    chat.conversationFailures === 0 ? 'messages of all read' : `messages of ${chat.conversationFailures} conversations missing`,
  ];
  if (chat.messagesShort > 0) parts.push(`${chat.messagesShort} messages Dify counts were not returned`);
  if (chat.conversationsGone > 0) parts.push(`${chat.conversationsGone} conversations deleted while reading`);
  if (logs.invalid > 0) parts.push(`${logs.invalid} invalid records`);
  // Only chatflow messages have a workflow run, and so node executions.
  if (plan.level === 'nodes' && chat.mode === 'advanced-chat') parts.push(details.nodeFailures === 0 ? 'node executions for all' : `${details.nodeFailures} node lists missing`);
  return {
    level: plan.level,
    expected: logs.expected,
    fetched: logs.fetched,
    duplicates: logs.duplicates,
    invalid: logs.invalid,
    detailFailures: chat.conversationFailures + unlisted,
    nodeFailures: details.nodeFailures,
    complete,
    chat,
    line: `${complete ? 'complete' : 'INCOMPLETE'}: ${parts.join(', ')}`,
  };
}

export interface PreviousReport {
  figures: ReportFigures | null;
  /** Null when the previous report.json lists no errors field (an older schema). */
  errorSignatures: ReadonlySet<string> | null;
}

/**
 * What the previous period's report.json tells this one: its figures (the changes) and its
 * error signatures (the "new" flag). The previous period is the latest earlier report of the
 * same kind (see earlier-reports.ts); null when there is none: changes and the flag are then
 * left out rather than guessed.
 */
export async function previousReport(outputDir: string, plan: ReportPlan, earlier?: readonly EarlierReportFile[]): Promise<PreviousReport | null> {
  const latest = (earlier ?? (await earlierReports(outputDir, plan, 1)))[0];
  return latest ? { figures: latest.figures, errorSignatures: latest.errorSignatures } : null;
}

/**
 * Users of the last few earlier periods of the same kind (30 days, 12 weeks, 4 ranges), from
 * the `users.json` each report leaves in its folder. Bounded by that count of small files;
 * null when none of them exists, so a first report does not call every user new.
 */
export async function earlierUsers(outputDir: string, plan: ReportPlan): Promise<EarlierUsers | null> {
  const keys = new Set<string>();
  let periods = 0;
  let window = plan.window;
  for (let step = 0; step < LOOKBACK_PERIODS[plan.window.kind]; step += 1) {
    window = previousWindow(window);
    let content: string;
    try {
      content = await readFile(path.join(resolveInside(outputDir, `${plan.app}/${window.kind}/${window.label}`), USERS_FILE), 'utf8');
    } catch {
      continue;
    }
    const users = parseUsersFile(content);
    if (users === null) continue;
    periods += 1;
    for (const key of users) keys.add(key);
  }
  return periods === 0 ? null : { keys, periods };
}

/** The folders of the previous period and of the earlier periods `earlierUsers` reads. */
export function earlierFolders(plan: ReportPlan): string[] {
  const folders: string[] = [];
  let window = plan.window;
  for (let step = 0; step < LOOKBACK_PERIODS[plan.window.kind]; step += 1) {
    window = previousWindow(window);
    folders.push(`${plan.app}/${window.kind}/${window.label}`);
  }
  return folders;
}

/** Text written to a file in pieces of about this many characters. */
const WRITE_BATCH = 256 * 1024;

/** CSV lines to a file as they come, with backpressure, in large writes. */
class CsvFile {
  private readonly stream: WriteStream;
  private pending = '';
  private started = false;

  /** A write error (a full disk) kept until the next write or close throws it: an 'error' event nobody listens to would end the process. */
  private failure: Error | undefined;

  constructor(file: string) {
    this.stream = createWriteStream(file);
    this.stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  private check(): void {
    if (this.failure) throw new StorageError(`cannot write ${this.stream.path.toString()}: ${this.failure.message}`, { cause: this.failure });
  }

  /** Rows as cells; the first write carries the BOM, so the file equals toCsv() of the whole sheet. */
  async write(rows: string[][]): Promise<void> {
    await this.line(csvText(rows, !this.started));
  }

  /** CSV text of whole records (`csvRow`). */
  async line(text: string): Promise<void> {
    this.started = true;
    this.pending += text;
    if (this.pending.length >= WRITE_BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    const text = this.pending;
    this.pending = '';
    this.check();
    if (text === '') return;
    if (!this.stream.write(text)) {
      try {
        await once(this.stream, 'drain');
      } catch {
        this.check();
      }
    }
    this.check();
  }

  /** After a failure: the staged folder is removed anyway, only the descriptor must not leak. */
  abort(): void {
    this.stream.destroy();
  }

  async close(): Promise<void> {
    if (!this.started) await this.write([]);
    await this.flush();
    try {
      await finished(this.stream.end());
    } catch {
      this.check();
    }
    this.check();
  }
}

/** What the per-run sheets print of one run: its runs.csv line and its Q&A piece (see `QaPiece`), as JSON-friendly values. */
type PerRunLines = [runsLine: string, sessionId: string, position: number | null, before: string[], segments: string[], after: string[]];

const textLength = (cells: readonly string[]): number => cells.reduce((sum, cell) => sum + cell.length, 0);

export interface RenderOptions {
  /** `Settings.outputFileMode`: report folders get it, their files the same without execute bits. */
  folderMode?: number;
  /** `Settings.redactionKey`: the key of the user-id hash, required when the app redacts user ids. */
  redactionKey?: string;
  /** Runs per in-memory chunk of the sort; tests make it tiny to exercise the merge. */
  sortChunkSize?: number;
}

/**
 * Renders every requested format from the collected runs into a staged folder, then swaps it
 * in place of any earlier report of the same window. Raw records go along under `raw/`.
 * Memory stays bounded: the raw file is read once into the streaming aggregates (and, for the
 * per-run sheets, an external sort), never held whole.
 */
export async function renderReportFolder(
  outputDir: string,
  app: AppConfig,
  plan: ReportPlan,
  logs: LogCollection,
  details: DetailCollection,
  generatedAt: string,
  options: RenderOptions = {},
): Promise<ReportSummary> {
  const completeness = assessCompleteness(plan, logs, details);
  const earlier = await earlierReports(outputDir, plan);
  const previous = await previousReport(outputDir, plan, earlier);
  const ctx: ReportContext = {
    appKey: app.key,
    appName: app.name,
    window: plan.window,
    // Shown beside the window, so in the same zone as its bounds.
    generatedAt: DateTime.fromISO(generatedAt, { setZone: true }).setZone(plan.window.timezone).toISO({ suppressMilliseconds: true }) ?? generatedAt,
    locale: plan.locale,
    formats: plan.formats,
    questionFields: app.report.questionFields,
    answerFields: app.report.answerFields,
    answerMaxLength: app.report.answerMaxLength,
    completeness,
    previous: previous?.figures ?? null,
    previousErrorSignatures: previous?.errorSignatures ?? null,
    earlierUsers: await earlierUsers(outputDir, plan),
    redaction: redactionFrom(app.redaction, options.redactionKey),
    chatApp: logs.chat !== undefined,
    earlier,
  };

  const target = resolveInside(outputDir, plan.folder);
  const rawBeside = !(app.redaction.userIds || app.redaction.text || app.redaction.qaText === 'drop');
  const staged = `${target}.${randomUUID()}.staging`;
  const sorter = new RunSorter<PerRunLines>(`${staged}.sort`, options.sortChunkSize);
  const perRunSheets = plan.formats.includes('csv');
  const names: string[] = [];
  let figures: ReportFigures;
  const folderMode = options.folderMode ?? DEFAULT_FOLDER_MODE;
  try {
    // Created with its final mode, so what is written inside is never more exposed than the report will be.
    await ensureFolder(staged, folderMode);
    const accumulator = new Accumulator(ctx);
    const alive = beatEvery(500);
    for await (const value of readNdjsonGz(resolveInside(outputDir, details.file))) {
      alive();
      const record = prepareRecord(collectedRecord(value), ctx);
      accumulator.add(record);
      if (perRunSheets) {
        // The per-run sheets' text is made here, in the one pass over the raw records; the
        // sort then carries only that text.
        const runsLine = csvRow(runsRow(record, ctx));
        const qa = qaPiece(record, ctx);
        const size = runsLine.length + textLength(qa.before) + textLength(qa.segments) + textLength(qa.after);
        await sorter.add({ createdAt: record.createdAt, logId: record.logId, payload: [runsLine, qa.sessionId, qa.position, qa.before, qa.segments, qa.after] }, size);
      }
    }
    const aggregates = accumulator.finish();
    figures = aggregates.figures;

    const streamed = new Map<'runs' | 'qa-pairs', string>();
    for (const file of reportFiles(aggregates, ctx)) {
      names.push(path.basename(file.name));
      if ('content' in file) await writeFileAtomic(path.join(staged, path.basename(file.name)), file.content);
      else streamed.set(file.rowsOf, path.join(staged, path.basename(file.name)));
    }
    const runsFile = streamed.get('runs');
    const qaFile = streamed.get('qa-pairs');
    if (runsFile !== undefined && qaFile !== undefined) {
      const runs = new CsvFile(runsFile);
      const qa = new CsvFile(qaFile);
      const qaRows = new QaRows(ctx, aggregates.segmentColumns);
      try {
        await runs.write(runsHeader(ctx));
        await qa.write(qaRows.header());
        for await (const { createdAt, logId, payload } of sorter.sorted()) {
          alive();
          const [runsLine, sessionId, position, before, segments, after] = payload;
          await runs.line(runsLine);
          await qa.line(qaRows.line({ sessionId, position, before, segments, after }, { createdAt, logId }));
        }
        await runs.close();
        await qa.close();
      } catch (error) {
        runs.abort();
        qa.abort();
        throw error;
      }
    }

    await writeFileAtomic(path.join(staged, USERS_FILE), usersFileContent(aggregates.users.map((user) => user.userId), plan.window));
    if (rawBeside) {
      await mkdir(path.join(staged, 'raw'), { recursive: true });
      await copyFile(resolveInside(outputDir, details.file), path.join(staged, 'raw', 'runs.ndjson.gz'));
    } else {
      // Redacted reports are meant to be shared; the unredacted records stay apart, owner-only.
      const kept = resolveInside(outputDir, `.raw/${plan.folder}/runs.ndjson.gz`);
      await mkdir(path.dirname(kept), { recursive: true, mode: 0o700 });
      // A temporary name of its own: an earlier attempt still rendering cannot rename this one's copy.
      const temporary = `${kept}.${randomUUID()}.tmp`;
      await copyFile(resolveInside(outputDir, details.file), temporary);
      await chmod(temporary, 0o600);
      await rename(temporary, kept);
    }
    // Every file, however it was written (atomic writes, CSV streams, copies), ends with the same mode.
    await applyModes(staged, folderMode);
    await replaceFolder(staged, target, folderMode);
  } catch (error) {
    await removeFolder(staged);
    throw error;
  } finally {
    await sorter.cleanup();
  }
  // Counts, cost and completeness only: nothing here names a user or quotes a run, so the
  // notifications built from it stay as redacted as the reports.
  return {
    app: app.key,
    window: plan.window,
    folder: target,
    files: [...names, USERS_FILE, ...(rawBeside ? ['raw/runs.ndjson.gz'] : [])],
    runs: figures.runs,
    succeeded: figures.succeeded,
    failed: figures.failed,
    users: figures.users,
    totalTokens: figures.totalTokens,
    cost: figures.cost,
    p95ElapsedSeconds: figures.p95ElapsedSeconds,
    completeness,
    ...(logs.chat && { mode: logs.chat.mode, sessions: figures.sessions, satisfaction: figures.satisfaction ?? null }),
  };
}
