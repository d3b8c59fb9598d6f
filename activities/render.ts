import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Completeness, DetailCollection, LogCollection, ReportPlan, ReportSummary } from '../common/contracts';
import type { AppConfig } from '../config/load';
import { renderReport, type ReportFigures } from '../reports';
import { collectedRunSchema, type CollectedRun } from './dify/schemas';
import { readNdjsonGz, removeFolder, replaceFolder, resolveInside, writeFileAtomic } from './storage';

/** The completeness statement every report format and notification repeats. */
export function assessCompleteness(plan: ReportPlan, logs: LogCollection, details: DetailCollection): Completeness {
  const missing = Math.max(0, logs.expected - logs.fetched);
  const complete = missing === 0 && logs.invalid === 0 && details.detailFailures === 0 && details.nodeFailures === 0;
  const parts = [`${logs.fetched} of ${logs.expected} runs fetched`];
  if (logs.duplicates > 0) parts.push(`${logs.duplicates} duplicates dropped`);
  if (logs.invalid > 0) parts.push(`${logs.invalid} invalid records`);
  if (plan.level !== 'logs') parts.push(details.detailFailures === 0 ? 'details for all' : `${details.detailFailures} details missing`);
  if (plan.level === 'nodes') parts.push(details.nodeFailures === 0 ? 'node executions for all' : `${details.nodeFailures} node lists missing`);
  return {
    level: plan.level,
    expected: logs.expected,
    fetched: logs.fetched,
    duplicates: logs.duplicates,
    invalid: logs.invalid,
    detailFailures: details.detailFailures,
    nodeFailures: details.nodeFailures,
    complete,
    line: `${complete ? 'complete' : 'INCOMPLETE'}: ${parts.join(', ')}`,
  };
}

/**
 * The previous period's figures, from its report.json, for the changes; absent when that
 * period was never reported (or its file is unreadable: changes are then simply left out).
 */
export async function previousFigures(outputDir: string, plan: ReportPlan): Promise<ReportFigures | null> {
  try {
    const json = JSON.parse(await readFile(path.join(resolveInside(outputDir, plan.previousFolder), 'report.json'), 'utf8')) as { figures?: ReportFigures };
    return json.figures ?? null;
  } catch {
    return null;
  }
}

/**
 * Renders every requested format from the collected runs into a staged folder, then swaps it
 * in place of any earlier report of the same window. Raw records go along under `raw/`.
 */
export async function renderReportFolder(
  outputDir: string,
  app: AppConfig,
  plan: ReportPlan,
  logs: LogCollection,
  details: DetailCollection,
  generatedAt: string,
): Promise<ReportSummary> {
  const runs: CollectedRun[] = [];
  for await (const value of readNdjsonGz(resolveInside(outputDir, details.file))) runs.push(collectedRunSchema.parse(value));
  const completeness = assessCompleteness(plan, logs, details);
  const rendered = renderReport(runs, {
    appKey: app.key,
    appName: app.name,
    window: plan.window,
    generatedAt,
    locale: plan.locale,
    formats: plan.formats,
    questionFields: app.report.questionFields,
    answerFields: app.report.answerFields,
    answerMaxLength: app.report.answerMaxLength,
    completeness,
    previous: await previousFigures(outputDir, plan),
  });

  const target = resolveInside(outputDir, plan.folder);
  const staged = `${target}.${randomUUID()}.staging`;
  try {
    await mkdir(staged, { recursive: true });
    for (const file of rendered.files) await writeFileAtomic(path.join(staged, path.basename(file.name)), file.content);
    await mkdir(path.join(staged, 'raw'), { recursive: true });
    await copyFile(resolveInside(outputDir, details.file), path.join(staged, 'raw', 'runs.ndjson.gz'));
    await replaceFolder(staged, target);
  } catch (error) {
    await removeFolder(staged);
    throw error;
  }
  const figures = rendered.figures;
  return {
    app: app.key,
    window: plan.window,
    folder: target,
    files: [...rendered.files.map((file) => path.basename(file.name)), 'raw/runs.ndjson.gz'],
    runs: figures.runs,
    succeeded: figures.succeeded,
    failed: figures.failed,
    users: figures.users,
    totalTokens: figures.totalTokens,
    cost: figures.cost,
    p95ElapsedSeconds: figures.p95ElapsedSeconds,
    completeness,
  };
}
