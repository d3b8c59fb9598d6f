import { ActivityFailure, ApplicationFailure, defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DetailCollection, Progress, ReportRequest, ReportSummary } from '../common/contracts';

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

export const progressQuery = defineQuery<Progress>('progress');

/**
 * One report for one app and one window: collect logs, then details and node executions,
 * then render. Records stay in files on the worker; only counts and paths pass through here.
 */
export async function reportWorkflow(request: ReportRequest): Promise<ReportSummary> {
  const progress: Progress = { phase: 'starting', logsFetched: 0, logsExpected: null, detailsFetched: 0, folder: null };
  setHandler(progressQuery, () => progress);
  try {
    const plan = await planReport(request);
    progress.folder = plan.folder;

    progress.phase = 'collecting-logs';
    const logs = await collectLogs(plan);
    progress.logsFetched = logs.fetched;
    progress.logsExpected = logs.expected;

    progress.phase = 'collecting-details';
    const details: DetailCollection = await collectDetails(plan, logs);
    progress.detailsFetched = details.detailsFetched;

    progress.phase = 'rendering';
    const summary = await renderReports(plan, logs, details, new Date(workflowInfo().runStartTime).toISOString());
    await discardWorkDir(plan);
    progress.phase = 'done';
    progress.folder = summary.folder;
    return summary;
  } catch (error) {
    progress.phase = 'failed';
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
      // Surface the activity's own message (which names the setting to fix) as the workflow's failure.
      throw ApplicationFailure.create({ message: error.cause.message, type: error.cause.type ?? 'ActivityFailed', nonRetryable: true, cause: error });
    }
    throw error;
  }
}
