import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { DetailCollection, LogCollection, ReportPlan, ReportSummary } from '../common/contracts';
import { reportJsonSchema } from '../common/report-files';
import { findApp, type Settings } from '../config/load';
import { localeSchema, reportFormatSchema } from '../common/report-options';
import { renderReportFolder } from '../activities/render';
import { exists } from '../activities/storage';
import { previousWindow } from '../common/window';
import { UsageError } from './errors';

/**
 * `difyscope rerender <folder>`: the report of a folder drawn again from the raw records it
 * kept, in another locale or set of formats, or with a newer Difyscope. Neither Dify nor
 * Temporal is asked: what was collected (and how completely) is what report.json recorded.
 */

export interface RerenderOptions {
  locale?: string;
  formats?: string;
}

/** What a re-render takes of report.json: which app, which window, and how complete the collection was. */
const recordedSchema = reportJsonSchema.pick({ app: true, window: true, completeness: true, chat: true });

export async function rerenderReport(settings: Settings, folderArg: string, options: RerenderOptions = {}, now = new Date()): Promise<ReportSummary> {
  const outputDir = path.resolve(settings.outputDir);
  const folder = path.resolve(folderArg);
  const relative = path.relative(outputDir, folder).split(path.sep).join('/');
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new UsageError(`<folder>: ${folderArg} is not a report folder inside OUTPUT_DIR (${outputDir}); give e.g. ${path.join(settings.outputDir, '<app>', 'daily', '<date>')}`);
  }
  let recorded: z.infer<typeof recordedSchema>;
  try {
    recorded = recordedSchema.parse(JSON.parse(await readFile(path.join(folder, 'report.json'), 'utf8')));
  } catch {
    throw new UsageError(`<folder>: ${path.join(folderArg, 'report.json')} is missing or unreadable; rerender needs the report.json of a report rendered with the json format`);
  }
  const locale = options.locale === undefined ? undefined : localeSchema.safeParse(options.locale);
  if (locale && !locale.success) throw new UsageError(`--locale: "${options.locale}" is not valid; use en or zh-CN`);
  const formats = options.formats === undefined ? undefined : z.array(reportFormatSchema).min(1).safeParse(options.formats.split(',').map((format) => format.trim()));
  if (formats && !formats.success) throw new UsageError(`--formats: "${options.formats}" is not valid; use a comma list of csv,md,json,html`);
  const app = findApp(settings, recorded.app.key);

  // Redacted reports keep their raw records apart, under .raw/ (see renderReportFolder).
  const candidates = [`${relative}/raw/runs.ndjson.gz`, `.raw/${relative}/runs.ndjson.gz`];
  let raw: string | undefined;
  for (const candidate of candidates) if (await exists(path.join(outputDir, candidate))) raw = candidate;
  if (raw === undefined) throw new UsageError(`<folder>: no raw records (raw/runs.ndjson.gz) for ${folderArg}; only reports that kept their raw records can be re-rendered`);

  // A copy: rendering replaces the folder the records live in.
  const workDir = `.work/rerender-${randomUUID()}`;
  const file = `${workDir}/runs.ndjson.gz`;
  await mkdir(path.join(outputDir, workDir), { recursive: true, mode: 0o700 });
  try {
    await copyFile(path.join(outputDir, raw), path.join(outputDir, file));
    const { window, completeness } = recorded;
    const plan: ReportPlan = {
      app: app.key,
      appName: app.name,
      window,
      level: completeness.level,
      formats: formats?.data ?? app.report.formats,
      locale: locale?.data ?? app.report.locale,
      folder: relative,
      workDir,
      previousFolder: `${app.key}/${window.kind}/${previousWindow(window).label}`,
    };
    const logs: LogCollection = {
      expected: completeness.expected,
      fetched: completeness.fetched,
      duplicates: completeness.duplicates,
      invalid: completeness.invalid,
      pages: 0,
      file,
      // A chat app's report records what its collection found; the re-render states the same.
      ...(completeness.chat ? { chat: completeness.chat } : recorded.chat && { chat: { mode: 'chat', conversationsExpected: 0, conversationsListed: 0, conversationsInWindow: 0, conversationFailures: 0, conversationsGone: 0, messagesShort: 0 } }),
    };
    const details: DetailCollection = { runs: completeness.fetched, detailsFetched: completeness.fetched - completeness.detailFailures, detailFailures: completeness.detailFailures, nodesFetched: 0, nodeFailures: completeness.nodeFailures, file };
    return await renderReportFolder(outputDir, app, plan, logs, details, now.toISOString(), { folderMode: settings.outputFileMode, redactionKey: settings.redactionKey });
  } finally {
    await rm(path.join(outputDir, workDir), { recursive: true, force: true });
  }
}
