import { ActivityFailure, ApplicationFailure, defineQuery, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DetailCollection, Progress, ReportPlan, ReportRequest, ReportSummary } from '../common/contracts';

const NON_RETRYABLE = ['ConfigError', 'InvalidRequest', 'DifyAuthError', 'DifyNotFound', 'DifyBadRequest', 'DifyLockedOut'];

const { planReport, discardWorkDir } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

// Collection pages through Dify for as long as the window needs; heartbeats carry the resume
// point, so a lost worker is noticed within the heartbeat timeout and the retry continues.
const { collectLogs, collectDetails } = proxyActivities<Activities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 12, nonRetryableErrorTypes: NON_RETRYABLE },
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
  let summary: ReportSummary;
  let plan: ReportPlan;
  try {
    plan = await planReport(request);
    progress.folder = plan.folder;

    progress.phase = 'collecting-logs';
    const logs = await collectLogs(plan);
    progress.logsFetched = logs.fetched;
    progress.logsExpected = logs.expected;

    progress.phase = 'collecting-details';
    const details: DetailCollection = await collectDetails(plan, logs);
    progress.detailsFetched = details.detailsFetched;

    progress.phase = 'rendering';
    summary = await renderReports(plan, logs, details, new Date(workflowInfo().runStartTime).toISOString());
    await discardWorkDir(plan);
    progress.folder = summary.folder;
  } catch (error) {
    progress.phase = 'failed';
    const failure =
      error instanceof ActivityFailure && error.cause instanceof ApplicationFailure
        ? // Surface the activity's own message (which names the setting to fix) as the workflow's failure.
          ApplicationFailure.create({ message: error.cause.message, type: error.cause.type ?? 'ActivityFailed', nonRetryable: true, cause: error })
        : error;
    const message = failure instanceof Error ? failure.message : String(failure);
    try {
      await notifyFailure(identity, { app: request.app, kind: request.kind ?? 'range', workflowId, error: message.split('\n')[0] ?? message });
    } catch (notifyError) {
      log.warn('Failure notice could not be sent', { error: notifyError instanceof Error ? notifyError.message : String(notifyError) });
    }
    throw failure;
  }

  progress.phase = 'notifying';
  try {
    summary.notifications = await notifyReport(identity, plan, summary, request.notify === true);
  } catch (error) {
    // The report itself is done and on disk; a channel that stays down is reported, not fatal.
    const message = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
    summary.notifications = [{ channel: 'all', status: 'failed', detail: message }];
  }
  progress.phase = 'done';
  return summary;
}
