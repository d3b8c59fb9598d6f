import type { Completeness, ReportSummary } from '../../common/contracts';
import type { ReportWindow } from '../../common/window';
import type { BreachedAlert } from '../../reports/alerts';
import type { Locale } from '../../common/report-options';
import { completenessIn } from '../../reports/completeness';
import { messageWords, type MessageWords } from './message-words';
import { code, formatCost, formatInteger, formatNumber, formatPercent, formatSeconds, oneLine, signed } from './format';
import type { Change, ReportError } from '../../common/report-files';
import type { ReportExtras } from './report-extras';

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
  /** Time-limited links to the report's files (REPORT_LINK_EXPIRY with S3 storage). */
  links?: ReportLinks;
}

export interface ReportLinks {
  expiresAt: string;
  files: { name: string; url: string }[];
}

/** The links as a markdown paragraph, empty without links. */
export function linksMarkdown(links: ReportLinks | undefined): string {
  if (!links || links.files.length === 0) return '';
  return `\n\nReport files (links valid until ${links.expiresAt}): ${links.files.map((file) => `[${file.name}](${file.url})`).join(' · ')}`;
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
  links?: ReportLinks;
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

function headlineSubject(summary: ReportSummary, words: MessageWords): string {
  if (summary.mode !== undefined) {
    // A chat app: messages, conversations and how users rated the answers.
    const rated = summary.satisfaction === null || summary.satisfaction === undefined ? '' : ` · ${words.satisfied(`${formatNumber(Number((summary.satisfaction * 100).toFixed(2)))}%`)}`;
    return `${words.messagesIn(formatInteger(summary.runs), summary.runs === 1, formatInteger(summary.sessions ?? 0))}${rated}`;
  }
  const runs = words.runs(formatInteger(summary.runs), summary.runs === 1);
  return summary.runs === 0 ? runs : `${runs} · ${words.failedShare(formatPercent(summary.failed, summary.runs))}`;
}

function changeLine(change: Change, words: MessageWords): string | null {
  if (change.delta === null) return null;
  const label = change.figure === 'cost' && change.currency ? words.costIn(change.currency) : (words.changeLabels[change.figure] ?? change.figure);
  const current = change.current === null ? 'n/a' : formatNumber(change.current);
  const percent = change.deltaPercent === null ? '' : `, ${signed(change.deltaPercent)}%`;
  return `- ${label}: ${current} (${signed(change.delta)}${percent})`;
}

function errorLine(error: ReportError, index: number, words: MessageWords): string {
  const node = error.node ? words.inNode(oneLine(error.node, 80)) : '';
  return `${index + 1}. ${code(oneLine(error.signature, ERROR_LINE))} × ${formatInteger(error.count)}${node}`;
}

function completenessLine(completeness: Completeness, locale: Locale): string {
  const line = completenessIn(completeness, locale);
  return completeness.complete ? `> ${line}` : `> **${line}**`;
}

function reportMarkdown(title: string, summary: ReportSummary, alerts: readonly BreachedAlert[], extras: ReportExtras, locale: Locale): string {
  const words = messageWords(locale);
  const lines = [`#### ${title}`, ''];
  if (alerts.length > 0) {
    lines.push(words.rulesBreached, '', ...alerts.map((alert) => `- ${alert.message}`), '');
  }
  const failed = summary.runs === 0 ? formatInteger(summary.failed) : `${formatInteger(summary.failed)} (${formatPercent(summary.failed, summary.runs)})`;
  const chatLines =
    summary.mode === undefined
      ? []
      : [
          `- ${words.conversationsLine}: **${formatInteger(summary.sessions ?? 0)}**`,
          `- ${words.satisfactionLine}: ${summary.satisfaction === null || summary.satisfaction === undefined ? words.noRatings : `**${formatNumber(Number((summary.satisfaction * 100).toFixed(2)))}%**`}`,
        ];
  lines.push(
    `- ${summary.mode === undefined ? words.runsLine : words.messagesLine}: **${formatInteger(summary.runs)}**`,
    ...chatLines,
    `- ${words.failedLine}: **${failed}**`,
    `- ${words.usersLine}: ${formatInteger(summary.users)}`,
    `- ${words.p95Line}: ${formatSeconds(summary.p95ElapsedSeconds)}`,
    `- ${words.tokensLine}: ${formatInteger(summary.totalTokens)}`,
    `- ${words.costLine}: ${formatCost(summary.cost)}`,
    '',
  );
  const changes = extras.changes.map((change) => changeLine(change, words)).filter((line): line is string => line !== null);
  if (changes.length > 0) lines.push(words.changesAgainst[summary.window.kind], '', ...changes, '');
  lines.push(completenessLine(summary.completeness, locale), '');
  const errors = extras.errors.slice(0, TOP_ERRORS);
  if (errors.length > 0) lines.push(words.topErrors, '', ...errors.map((error, index) => errorLine(error, index, words)), '');
  return lines.join('\n').trimEnd();
}

function failureMarkdown(title: string, request: NotifyRequest, failure: NonNullable<NotifyRequest['failure']>, appName: string, period: string, error: string, words: MessageWords): string {
  return [
    `#### ${title}`,
    '',
    words.couldNotProduce(words.kinds[failure.reportKind], appName, period),
    '',
    `- ${words.errorLine}: ${error}`,
    `- ${words.workflowLine(code(failure.workflowId))}`,
    `- ${words.reportLine}: ${code(request.identity)}`,
  ].join('\n');
}

/** Builds the message; `redact` removes secrets from the failure's error text before it is quoted anywhere. */
export function buildNotification(
  request: NotifyRequest,
  appName: string,
  alerts: BreachedAlert[],
  extras: ReportExtras,
  redact: (text: string) => string,
  locale: Locale = 'en',
): Notification {
  const words = messageWords(locale);
  const period = periodOf(request);
  const base = { kind: request.kind, identity: request.identity, key: notificationKey(request), app: { key: request.appKey, name: appName }, period };
  if (request.kind === 'report') {
    const summary = request.summary;
    if (!summary) throw new TypeError('a report notification needs the report summary');
    const window = request.window ?? summary.window;
    const head = `${BRAND} ${words.kinds[window.kind]} · ${appName} · ${period}`;
    const flags = [...(alerts.length > 0 ? [`${words.alert} ${alerts.map((alert) => alert.message).join('; ')}`] : []), ...(summary.completeness.complete ? [] : [words.incomplete])];
    const subject = [head, headlineSubject(summary, words), ...flags].join(' · ');
    const title = `${alerts.length > 0 ? `${words.alert} ` : ''}${head}`;
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
      markdown: `${reportMarkdown(title, summary, alerts, extras, locale)}${linksMarkdown(request.links)}`,
      links: request.links,
    };
  }
  if (request.kind === 'failure') {
    const failure = request.failure;
    if (!failure) throw new TypeError('a failure notification needs the failure');
    const error = oneLine(redact(failure.error), 500) || words.unknownError;
    const title = `${BRAND} ${words.failed} ${words.kinds[failure.reportKind]} · ${appName} · ${period}`;
    return {
      ...base,
      reportKind: failure.reportKind,
      window: request.window,
      failure: { ...failure, error },
      alerts: [],
      subject: `${title} · ${oneLine(error, SUBJECT_ERROR)}`,
      title,
      markdown: failureMarkdown(title, request, failure, appName, period, error, words),
    };
  }
  const title = `${BRAND} ${words.test} · ${appName}`;
  return {
    ...base,
    alerts: [],
    subject: `${title} · ${words.testSubject}`,
    title,
    markdown: [`#### ${title}`, '', words.testBody(appName)].join('\n'),
  };
}
