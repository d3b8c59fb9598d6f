import type { Progress, ReportSummary } from '../common/contracts';

/**
 * What the Temporal Web UI shows of a report: a one-line summary fixed at the start
 * (`daily · support · 2025-03-09`), and current details in Markdown that follow the phases
 * and end with the headline figures, the completeness line and where the reports are.
 * Pure: workflows call these, so they must stay deterministic.
 */

export function summaryLine(kind: string, app: string, label: string): string {
  return `${kind} · ${app} · ${label}`;
}

export function shardSummary(parent: string, shardLabel: string, index: number, count: number): string {
  return `shard ${index + 1} of ${count} · ${shardLabel} · of ${parent}`;
}

const PHASES: Record<Progress['phase'], string> = {
  starting: 'Starting',
  'collecting-logs': 'Listing runs',
  'collecting-details': 'Fetching run details',
  rendering: 'Rendering the reports',
  notifying: 'Sending notifications',
  done: 'Done',
  failed: 'Failed',
};

/**
 * The list's one line once the report is done: the start's summary with the headline figures
 * and whether it is complete (`daily · support · 2025-03-09 · 1204 runs · 25 failed · complete`).
 * Kept short: it is a Keyword search attribute.
 */
export function finishedSummaryLine(started: string, summary: ReportSummary): string {
  const figures = summary.mode === undefined
    ? [`${summary.runs} runs`, `${summary.failed} failed`]
    : [`${summary.runs} messages`, `${summary.sessions ?? 0} conversations`, ...(summary.satisfaction === null || summary.satisfaction === undefined ? [] : [`${Number((summary.satisfaction * 100).toFixed(2))}% satisfied`])];
  return [started, ...figures, summary.completeness.complete ? 'complete' : 'INCOMPLETE'].join(' · ');
}

/** The list's one line of a report that failed. */
export function failedSummaryLine(started: string): string {
  return `${started} · FAILED`;
}

/** While running: the phase and the counts the workflow knows (finished steps and shards). */
export function progressDetails(progress: Progress, shards?: { done: number; count: number }): string {
  const lines = [`**${PHASES[progress.phase]}**`];
  if (shards) lines.push(`- Shards: ${shards.done} of ${shards.count} collected`);
  if (progress.logsFetched > 0) lines.push(`- Runs listed: ${progress.logsFetched}${progress.logsExpected === null ? '' : ` of ${progress.logsExpected}`}`);
  if (progress.detailsFetched > 0) lines.push(`- Details fetched: ${progress.detailsFetched}`);
  if (progress.folder) lines.push(`- Folder: \`${progress.folder}\``);
  return lines.join('\n');
}

/** On completion: the headline figures, the completeness line and where the reports are. */
export function completionDetails(summary: ReportSummary): string {
  const failedShare = summary.runs === 0 ? '' : ` (${Number(((summary.failed / summary.runs) * 100).toFixed(1))}%)`;
  const cost = Object.entries(summary.cost).map(([currency, amount]) => `${amount} ${currency}`).join(', ');
  const notified = (summary.notifications ?? []).map((entry) => `${entry.channel} ${entry.status}`).join(', ');
  return [
    `**${summary.completeness.complete ? 'Done' : 'Done — INCOMPLETE'}**`,
    `- Runs: **${summary.runs}**, failed ${summary.failed}${failedShare}, users ${summary.users}`,
    `- p95 latency: ${summary.p95ElapsedSeconds === null ? 'n/a' : `${summary.p95ElapsedSeconds} s`}, tokens ${summary.totalTokens}${cost ? `, cost ${cost}` : ''}`,
    `- ${summary.completeness.line}`,
    // A local or shared-volume folder is a file link; `s3://…` is shown as it is.
    `- Reports: ${summary.folder.startsWith('/') ? `[\`${summary.folder}\`](file://${encodeURI(summary.folder)})` : `\`${summary.folder}\``}`,
    ...(notified ? [`- Notifications: ${notified}`] : []),
  ].join('\n');
}
