import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Collection, ReportPlan } from '../common/contracts';
import { NON_RETRYABLE_TYPES as NON_RETRYABLE } from '../common/failure-types';
import { timedActivities } from './activity-options';

export { NON_RETRYABLE };

// Collection pages through Dify for as long as the window needs; heartbeats carry the resume
// point, so a lost worker is noticed within the heartbeat timeout and the retry continues.
export const { collectLogs, collectDetails } = proxyActivities<Activities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 12, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Logs, then details and node executions, of one window (or one shard of a larger one). */
export async function collectWindow(plan: ReportPlan): Promise<Collection> {
  const activities = timedActivities(plan) ?? { collectLogs, collectDetails };
  const logs = await activities.collectLogs(plan);
  const details = await activities.collectDetails(plan, logs);
  return { logs, details };
}

/**
 * One time shard of a large report, as a child workflow: its few events live in its own
 * history, so the parent records three events per shard however many runs the shard holds.
 * Failures propagate as they are; the parent unwraps them to the activity's message.
 */
export async function collectShardWorkflow(plan: ReportPlan): Promise<Collection> {
  return collectWindow(plan);
}
