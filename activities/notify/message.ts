import type { Completeness, ReportSummary } from '../../common/contracts';
import type { ReportWindow } from '../../workflows/window';
import type { BreachedAlert } from '../../reports/alerts';
import { code, formatCost, formatInteger, formatNumber, formatPercent, formatSeconds, oneLine, signed } from './format';
import type { ReportChange, ReportError, ReportExtras } from './report-extras';

/**
 * The content of one notification, built once and shared by every channel so e-mail, chat
 * and webhooks never disagree on a figure. Pure: the same request gives the same text on a
 * retry, which keeps a resend recognisable as the same message.
 */

export type ReportKind = 'daily' | 'weekly' | 'range';
export type MessageKind = 'report' | 'failure' | 'test';

export interface NotifyRequest {
  /** e.g. `daily/support/2025-03-09`, also the Temporal workflow id. */
  identity: string;
  kind: MessageKind;
  appKey: string;
  window?: ReportWindow;
  /** Required for kind `report`. */
  summary?: ReportSummary;
  /** Required for kind `failure`. */
  failure?: { workflowId: string; error: string; reportKind: ReportKind };
}

export interface Notification {
  kind: MessageKind;
  identity: string;
  /**
   * What exactly-once is keyed on: the identity for reports; a failure notice of the same
   * identity is a different message (a report re-run after a failure must still notify).
   */
  key: string;
  app: { key: string; name: string };
  /** `2025-03-09`, `2025-W10`, …: the window's label. */
  period: string;
  reportKind?: ReportKind;
  window?: ReportWindow;
  summary?: ReportSummary;
  failure?: NotifyRequest['failure'];
  alerts: BreachedAlert[];
  completeness?: Completeness;
  /** Report folder (absolute), for the files e-mail sends. */
  folder?: string;
  /** One line: the e-mail subject. */
  subject: string;
  /** Short title, for chat previews. */
  title: string;
  /** The message body as markdown (chat, webhook, e-mail text when report.md is missing). */
  markdown: string;
}

export const BRAND = '[Difyscope]';
const TOP_ERRORS = 3;
const ERROR_LINE = 200;
const SUBJECT_ERROR = 120;

export function notificationKey(request: Pick<NotifyRequest, 'identity' | 'kind'>): string {
  return request.kind === 'report' ? request.identity : `${request.identity}#${request.kind}`;
}

/** The window's label, else the identity's period part (`daily/support/2025-03-09` → `2025-03-09`). */
function periodOf(request: NotifyRequest): string {
  return request.window?.label ?? request.summary?.window.label ?? (request.identity.split('/').slice(2).join('/') || request.identity);
}

function headlineSubject(summary: ReportSummary): string {
  if (summary.mode !== undefined) {
    // A chat app: messages, conversations and how users rated the answers.
    const messages = `${formatInteger(summary.runs)} ${summary.runs === 1 ? 'message' : 'messages'}`;
    const rated = summary.satisfaction === null || summary.satisfaction === undefined ? '' : ` · ${formatNumber(Number((summary.satisfaction * 100).toFixed(2)))}% satisfied`;
    return `${messages} in ${formatInteger(summary.sessions ?? 0)} conversations${rated}`;
  }
  const runs = `${formatInteger(summary.runs)} ${summary.runs === 1 ? 'run' : 'runs'}`;
  return summary.runs === 0 ? runs : `${runs} · ${formatPercent(summary.failed, summary.runs)} failed`;
}

const CHANGE_LABELS: Record<string, string> = {
  runs: 'Runs',
  succeeded: 'Succeeded',
  failed: 'Failed',
  users: 'Users',
  sessions: 'Sessions',
  totalTokens: 'Tokens',
  p50ElapsedSeconds: 'p50 latency (s)',
  p95ElapsedSeconds: 'p95 latency (s)',
  tokenSpeed: 'Tokens/s',
  satisfaction: 'Satisfaction',
  cost: 'Cost',
};

function changeLine(change: ReportChange): string | null {
  if (change.delta === null) return null;
  const label = change.figure === 'cost' && change.currency ? `Cost (${change.currency})` : (CHANGE_LABELS[change.figure] ?? change.figure);
  const current = change.current === null ? 'n/a' : formatNumber(change.current);
  const percent = change.deltaPercent === null ? '' : `, ${signed(change.deltaPercent)}%`;
  return `- ${label}: ${current} (${signed(change.delta)}${percent})`;
}

function errorLine(error: ReportError, index: number): string {
  const node = error.node ? ` in ${oneLine(error.node, 80)}` : '';
  return `${index + 1}. ${code(oneLine(error.signature, ERROR_LINE))} × ${formatInteger(error.count)}${node}`;
}

function completenessLine(completeness: Completeness): string {
  return completeness.complete ? `> ${completeness.line}` : `> **${completeness.line}**`;
}

function reportMarkdown(title: string, summary: ReportSummary, alerts: readonly BreachedAlert[], extras: ReportExtras): string {
  const lines = [`#### ${title}`, ''];
  if (alerts.length > 0) {
    lines.push('**ALERT**: rules breached', '', ...alerts.map((alert) => `- ${alert.message}`), '');
  }
  const failed = summary.runs === 0 ? formatInteger(summary.failed) : `${formatInteger(summary.failed)} (${formatPercent(summary.failed, summary.runs)})`;
  const chatLines =
    summary.mode === undefined
      ? []
      : [
          `- Conversations: **${formatInteger(summary.sessions ?? 0)}**`,
          `- Satisfaction (end-user likes ÷ ratings): ${summary.satisfaction === null || summary.satisfaction === undefined ? 'no ratings' : `**${formatNumber(Number((summary.satisfaction * 100).toFixed(2)))}%**`}`,
        ];
  lines.push(
    `- ${summary.mode === undefined ? 'Runs' : 'Messages'}: **${formatInteger(summary.runs)}**`,
    ...chatLines,
    `- Failed: **${failed}**`,
    `- Users: ${formatInteger(summary.users)}`,
    `- p95 latency: ${formatSeconds(summary.p95ElapsedSeconds)}`,
    `- Tokens: ${formatInteger(summary.totalTokens)}`,
    `- Cost: ${formatCost(summary.cost)}`,
    '',
  );
  const changes = extras.changes.map(changeLine).filter((line): line is string => line !== null);
  if (changes.length > 0) lines.push(`**Changes against the previous ${summary.window.kind === 'range' ? 'period' : summary.window.kind === 'daily' ? 'day' : 'week'}**`, '', ...changes, '');
  lines.push(completenessLine(summary.completeness), '');
  const errors = extras.errors.slice(0, TOP_ERRORS);
  if (errors.length > 0) lines.push(`**Top errors**`, '', ...errors.map(errorLine), '');
  return lines.join('\n').trimEnd();
}

function failureMarkdown(title: string, request: NotifyRequest, failure: NonNullable<NotifyRequest['failure']>, appName: string, period: string, error: string): string {
  return [
    `#### ${title}`,
    '',
    `**The ${failure.reportKind} report of ${appName} for ${period} could not be produced.**`,
    '',
    `- Error: ${error}`,
    `- Workflow id: ${code(failure.workflowId)}: open it in the Temporal Web UI for the full history`,
    `- Report: ${code(request.identity)}`,
  ].join('\n');
}

/** Builds the message; `redact` removes secrets from the failure's error text before it is quoted anywhere. */
export function buildNotification(
  request: NotifyRequest,
  appName: string,
  alerts: BreachedAlert[],
  extras: ReportExtras,
  redact: (text: string) => string,
): Notification {
  const period = periodOf(request);
  const base = { kind: request.kind, identity: request.identity, key: notificationKey(request), app: { key: request.appKey, name: appName }, period };
  if (request.kind === 'report') {
    const summary = request.summary;
    if (!summary) throw new TypeError('a report notification needs the report summary');
    const window = request.window ?? summary.window;
    const head = `${BRAND} ${window.kind} · ${appName} · ${period}`;
    const flags = [...(alerts.length > 0 ? [`ALERT ${alerts.map((alert) => alert.message).join('; ')}`] : []), ...(summary.completeness.complete ? [] : ['INCOMPLETE'])];
    const subject = [head, headlineSubject(summary), ...flags].join(' · ');
    const title = `${alerts.length > 0 ? 'ALERT ' : ''}${head}`;
    return {
      ...base,
      reportKind: window.kind,
      window,
      summary,
      alerts,
      completeness: summary.completeness,
      folder: summary.folder,
      subject,
      title,
      markdown: reportMarkdown(title, summary, alerts, extras),
    };
  }
  if (request.kind === 'failure') {
    const failure = request.failure;
    if (!failure) throw new TypeError('a failure notification needs the failure');
    const error = oneLine(redact(failure.error), 500) || 'unknown error';
    const title = `${BRAND} FAILED ${failure.reportKind} · ${appName} · ${period}`;
    return {
      ...base,
      reportKind: failure.reportKind,
      window: request.window,
      failure: { ...failure, error },
      alerts: [],
      subject: `${title} · ${oneLine(error, SUBJECT_ERROR)}`,
      title,
      markdown: failureMarkdown(title, request, failure, appName, period, error),
    };
  }
  const title = `${BRAND} test · ${appName}`;
  return {
    ...base,
    alerts: [],
    subject: `${title} · channel check`,
    title,
    markdown: [`#### ${title}`, '', `This is a test message from Difyscope for ${appName}: this channel is configured and reachable.`].join('\n'),
  };
}
