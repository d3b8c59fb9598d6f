import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, defineQuery, executeChild, log, patched, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { reportRequestSchema, type Collection, type Progress, type ReportPlan, type ReportRequest, type ReportSummary } from '../common/contracts';
import { timedActivities, type TimedActivities } from './activity-options';
import { chatModeOf, collectChatWindow } from './chat';
import { collectDetails, collectLogs, collectShardWorkflow, NON_RETRYABLE } from './collect-shard';
import { completionDetails, failedSummaryLine, finishedSummaryLine, progressDetails, shardSummary, summaryLine } from './metadata';
import { childAttributes } from './child-attributes';
import { SUMMARY_ATTRIBUTE } from './search-attributes';
import { shardPlan, shardWindow } from './shards';

/**
 * Shards collected at once. Each shard's requests go through the app's shared gate
 * (DIFY_CONCURRENCY, DIFY_MAX_RPS), so this bounds only how many log listings page side by
 * side and how many activity slots one report may take from the worker (8). A log listing
 * asks one page at a time: with four shards at once, half the gate stood idle while they
 * paged, twice per week. Seven page a week's days side by side and leave a slot free.
 */
const PARALLEL_SHARDS = 7;
/** Reports started before seven shards at once collect four at a time, as they were recorded. */
const PARALLEL_SHARDS_PATCH = 'seven-shards-at-once';
const EARLIER_PARALLEL_SHARDS = 4;

const { planReport, discardWorkDir, mergeShards } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

const { renderReports } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

// Channels can be slow (SMTP) or rate-limited (DingTalk: 20 messages a minute), so retries
// are spaced out; the delivery ledger keeps a retried attempt from sending twice.
const { notifyReport, notifyFailure } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE },
});

export const progressQuery = defineQuery<Progress>('progress');

/** Input checked in the workflow, so a malformed start fails the workflow instead of retrying a task. */
const VALIDATE_INPUT_PATCH = 'validate-workflow-input';
/** Web UI metadata: summaries on shard children, their search attributes, current details. */
const WEB_UI_METADATA_PATCH = 'web-ui-metadata';

/**
 * The summary search attribute (the Web UI list's column) gets the outcome. Only where the
 * report was started with it, which means it is registered: an unknown attribute would fail
 * the workflow task. Histories from before it never had the attribute, so they replay as is.
 */
const SUMMARY_OUTCOME_PATCH = 'summary-attribute-outcome';

function showOutcome(line: (started: string) => string): void {
  const started = workflowInfo().typedSearchAttributes.get(SUMMARY_ATTRIBUTE);
  if (started === undefined || !patched(SUMMARY_OUTCOME_PATCH)) return;
  upsertSearchAttributes([{ key: SUMMARY_ATTRIBUTE, value: line(started) }]);
}

/** Shows the progress in the Web UI; a no-op for histories from before the metadata patch. */
type ShowDetails = (shards?: { done: number; count: number }) => void;

function validateRequest(request: unknown): void {
  const parsed = reportRequestSchema.safeParse(request);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(input)';
  throw ApplicationFailure.nonRetryable(`workflow input: ${field}: ${issue?.message ?? 'invalid'}; start the report with valid input (see \`difyscope report --help\`)`, 'InvalidRequest');
}

/** The activity's own failure under an activity or shard failure, if that is what `error` is. */
function activityCause(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  while (current instanceof ChildWorkflowFailure) current = current.cause;
  return current instanceof ActivityFailure && current.cause instanceof ApplicationFailure ? current.cause : undefined;
}

/**
 * Collects the plan's window. Up to two days in one go (logs, then details); longer windows
 * in time shards, each a child workflow, PARALLEL_SHARDS at a time, then joined.
 */
async function collect(plan: ReportPlan, progress: Progress, activities: TimedActivities, metadata: boolean, show: ShowDetails): Promise<Collection> {
  const shards = shardWindow(plan.window);
  if (shards.length === 1) {
    progress.phase = 'collecting-logs';
    const logs = await activities.collectLogs(plan);
    progress.logsFetched = logs.fetched;
    progress.logsExpected = logs.expected;

    progress.phase = 'collecting-details';
    show();
    const details = await activities.collectDetails(plan, logs);
    progress.detailsFetched = details.detailsFetched;
    return { logs, details };
  }

  progress.phase = 'collecting-logs';
  const { workflowId } = workflowInfo();
  const results = new Array<Collection>(shards.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < shards.length) {
      const index = next++;
      const shard = shards[index];
      if (!shard) break;
      const options = { workflowId: `${workflowId}/shard-${shard.label}`, args: [shardPlan(plan, shard)] as [ReportPlan] };
      const summary = shardSummary(summaryLine(plan.window.kind, plan.app, plan.window.label), shard.label, index, shards.length);
      const result = await executeChild(collectShardWorkflow, metadata ? { ...options, staticSummary: summary, typedSearchAttributes: childAttributes('shard', shard.label, summary) } : options);
      results[index] = result;
      progress.logsFetched += result.logs.fetched;
      progress.detailsFetched += result.details.detailsFetched;
      progress.phase = 'collecting-details';
      show({ done: results.filter(Boolean).length, count: shards.length });
    }
  };
  const parallel = patched(PARALLEL_SHARDS_PATCH) ? PARALLEL_SHARDS : EARLIER_PARALLEL_SHARDS;
  await Promise.all(Array.from({ length: Math.min(parallel, shards.length) }, lane));
  // Newest shard first, the order Dify lists runs in, as an unsharded collection has them.
  const merged = await activities.mergeShards(plan, results.reverse());
  progress.logsExpected = merged.logs.expected;
  return merged;
}

/**
 * One report for one app and one window: collect logs, then details and node executions,
 * then render. Records stay in files on the worker; only counts and paths pass through here.
 */
export async function reportWorkflow(request: ReportRequest): Promise<ReportSummary> {
  const progress: Progress = { phase: 'starting', logsFetched: 0, logsExpected: null, detailsFetched: 0, folder: null };
  setHandler(progressQuery, () => progress);
  const { workflowId, firstExecutionRunId } = workflowInfo();
  // Keyed by the first run of the chain: a reset never notifies twice, a fresh re-run does.
  const identity = `${workflowId}@${firstExecutionRunId}`;
  // Current details answer the Web UI's metadata query; they add no commands to the history.
  const metadata = patched(WEB_UI_METADATA_PATCH);
  const show: ShowDetails = (shards) => {
    if (metadata) setCurrentDetails(progressDetails(progress, shards));
  };
  show();
  let summary: ReportSummary;
  let plan: ReportPlan;
  let activities: TimedActivities = { collectLogs, collectDetails, mergeShards, renderReports, notifyReport, notifyFailure };
  try {
    if (patched(VALIDATE_INPUT_PATCH)) validateRequest(request);
    plan = await planReport(request);
    progress.folder = plan.folder;
    show();
    activities = timedActivities(plan) ?? activities;

    const mode = await chatModeOf(plan);
    const { logs, details } = mode === null ? await collect(plan, progress, activities, metadata, show) : await collectChatWindow(plan, mode, progress);

    progress.phase = 'rendering';
    show();
    summary = await activities.renderReports(plan, logs, details, new Date(workflowInfo().runStartTime).toISOString());
    await discardWorkDir(plan);
    progress.folder = summary.folder;
  } catch (error) {
    progress.phase = 'failed';
    show();
    showOutcome(failedSummaryLine);
    const cause = activityCause(error);
    const failure = cause
      ? // Surface the activity's own message (which names the setting to fix) as the workflow's failure.
        ApplicationFailure.create({ message: cause.message, type: cause.type ?? 'ActivityFailed', nonRetryable: true, cause: error instanceof Error ? error : undefined })
      : error;
    const message = failure instanceof Error ? failure.message : String(failure);
    try {
      await activities.notifyFailure(identity, { app: request.app, kind: request.kind ?? 'range', workflowId, error: message.split('\n')[0] ?? message });
    } catch (notifyError) {
      log.warn('Failure notice could not be sent', { error: notifyError instanceof Error ? notifyError.message : String(notifyError) });
    }
    throw failure;
  }

  progress.phase = 'notifying';
  show();
  try {
    summary.notifications = await activities.notifyReport(identity, plan, summary, request.notify === true);
  } catch (error) {
    // The report itself is done and on disk; a channel that stays down is reported, not fatal.
    const message = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
    summary.notifications = [{ channel: 'all', status: 'failed', detail: message }];
  }
  progress.phase = 'done';
  if (metadata) setCurrentDetails(completionDetails(summary));
  const finished = summary;
  showOutcome((started) => finishedSummaryLine(started, finished));
  return summary;
}
