import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { z } from 'zod';
import type { ReportRequest, ReportSummary } from '../common/contracts';
import { collectLevelSchema, localeSchema, reportFormatSchema } from '../common/report-options';
import { findApp, type Settings } from '../config/load';
import { reportWorkflow } from '../workflows';
import { checkRangeDates, rangeWindow, type ReportWindow } from '../common/window';
import { UsageError } from './errors';
import { summaryLine } from '../workflows/metadata';
import { reportAttributes } from './search-attributes';
import { readLiveProgress } from './live-progress';
import { ProgressDisplay } from './progress-display';

export interface ReportCommandOptions {
  from: string;
  to: string;
  app?: string;
  level?: string;
  formats?: string;
  locale?: string;
  notify?: boolean;
}

export interface PreparedReport {
  request: ReportRequest;
  window: ReportWindow;
  workflowId: string;
}

function parseOption<T>(field: string, value: string | undefined, parse: (v: string) => { success: boolean; data?: T }, fix: string): T | undefined {
  if (value === undefined) return undefined;
  const result = parse(value);
  if (!result.success) throw new UsageError(`${field}: "${value}" is not valid; ${fix}`);
  return result.data;
}

/** Validates everything before anything is started: a bad range never reaches Temporal. */
export function prepareReport(settings: Settings, options: ReportCommandOptions, now = new Date()): PreparedReport {
  const app = findApp(settings, options.app);
  const window = rangeWindow(options.from, options.to, app.report.timezone);
  checkRangeDates(window, now, options);
  const level = parseOption('--level', options.level, (v) => collectLevelSchema.safeParse(v), 'use logs, details or nodes');
  if (level === 'nodes' && !app.dify.console) {
    throw new UsageError('--level: nodes needs console credentials; set DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD (or DIFY_CONSOLE_TOKEN)');
  }
  const formats = parseOption(
    '--formats',
    options.formats,
    (v) => z.array(reportFormatSchema).min(1).safeParse(v.split(',').map((format) => format.trim())),
    'use a comma list of csv,md,json,html',
  );
  const locale = parseOption('--locale', options.locale, (v) => localeSchema.safeParse(v), 'use en or zh-CN');
  const request: ReportRequest = { app: app.key, from: window.from, to: window.to, level, formats, locale, notify: options.notify };
  return { request, window, workflowId: `range/${app.key}/${window.label}` };
}

/** Starts the report, or attaches to the one already running for the same app and range. */
export async function startReport(client: Client, settings: Settings, prepared: PreparedReport): Promise<WorkflowHandleWithFirstExecutionRunId<typeof reportWorkflow>> {
  const { request, window } = prepared;
  return client.workflow.start(reportWorkflow, {
    taskQueue: settings.temporal.taskQueue,
    workflowId: prepared.workflowId,
    args: [request],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    // What the Web UI lists: `range · support · 2025-03-01_2025-03-07`, then the exact bounds.
    staticSummary: summaryLine(window.kind, request.app, window.label),
    staticDetails: `${window.from} → ${window.to} (${window.timezone})${request.level ? ` · level ${request.level}` : ''}${request.formats ? ` · ${request.formats.join(',')}` : ''}${request.locale ? ` · ${request.locale}` : ''}`,
    typedSearchAttributes: await reportAttributes(client, { app: request.app, kind: window.kind, period: window.label, summary: summaryLine(window.kind, request.app, window.label) }),
  });
}

/**
 * Why a report failed, in one line: the innermost cause's message (an activity's own, which
 * names the setting to fix), not the wrappers' "Workflow execution failed".
 */
export function failureReason(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (current instanceof Error) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message.split('\n')[0] ?? message;
}

/** A report that ended without a result: the CLI prints the reason and exits 1. */
export class ReportFailedError extends Error {
  constructor(readonly workflowId: string, readonly reason: string) {
    super(`report ${workflowId} failed: ${reason}`);
    this.name = 'ReportFailedError';
  }
}

/** Shows progress until the workflow ends: a bar on a terminal, plain lines elsewhere (progress-display.ts). */
export async function followReport(handle: WorkflowHandle<typeof reportWorkflow>, write: (line: string) => void, isTty: boolean): Promise<ReportSummary> {
  const result = handle.result();
  let finished = false;
  void result.finally(() => {
    finished = true;
  }).catch(() => undefined);
  const display = new ProgressDisplay(isTty, write);
  while (!finished) {
    try {
      display.update(await readLiveProgress(handle.client, handle.workflowId));
    } catch {
      // The worker may not have picked the workflow up yet; keep waiting for the result.
    }
    await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500))]);
  }
  display.stop(await readLiveProgress(handle.client, handle.workflowId).catch(() => undefined));
  try {
    return await result;
  } catch (error) {
    throw new ReportFailedError(handle.workflowId, failureReason(error));
  }
}

export function formatSummary(summary: ReportSummary): string[] {
  const costs = Object.entries(summary.cost)
    .map(([currency, amount]) => `${amount} ${currency}`)
    .join(', ');
  return [
    `Report ${summary.app} ${summary.window.from} → ${summary.window.to}`,
    `  runs ${summary.runs} (succeeded ${summary.succeeded}, failed ${summary.failed}), users ${summary.users}, tokens ${summary.totalTokens}${costs ? `, cost ${costs}` : ''}`,
    `  ${summary.completeness.line}`,
    `  folder: ${summary.folder}`,
  ];
}
