import { patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReportPlan } from '../common/contracts';
import { NON_RETRYABLE_TYPES as NON_RETRYABLE } from '../common/failure-types';

/**
 * Activities whose timeouts come from the plan: a heartbeat timeout (ACTIVITY_HEARTBEAT_TIMEOUT)
 * on every long step, so a worker that died is noticed within it, and start-to-close timeouts
 * that grow with the window. Histories recorded before (plans without timeouts, or no patch
 * marker) keep the fixed options they were recorded with.
 */
export const PLAN_TIMEOUTS_PATCH = 'activity-timeouts-from-plan';

export type TimedActivities = Pick<Activities, 'collectLogs' | 'collectDetails' | 'mergeShards' | 'renderReports' | 'notifyReport' | 'notifyFailure'>;

export function timedActivities(plan: ReportPlan | undefined): TimedActivities | undefined {
  const timeouts = plan?.timeouts;
  if (!timeouts || !patched(PLAN_TIMEOUTS_PATCH)) return undefined;
  const options = (startToCloseMs: number, retry: ActivityOptions['retry'], heartbeatMs = timeouts.heartbeatMs): ActivityOptions => ({
    startToCloseTimeout: startToCloseMs,
    heartbeatTimeout: heartbeatMs,
    retry: { ...retry, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  const { collectLogs, collectDetails } = proxyActivities<Activities>(
    options(timeouts.collectMs, { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 12 }),
  );
  const { mergeShards } = proxyActivities<Activities>(options(timeouts.mergeMs, { initialInterval: '1 second', maximumAttempts: 5 }));
  const { renderReports } = proxyActivities<Activities>(options(timeouts.renderMs, { initialInterval: '2 seconds', maximumAttempts: 5 }));
  // Channels can be slow (SMTP) or rate-limited (DingTalk: 20 messages a minute), so retries
  // are spaced out; the delivery ledger keeps a retried attempt from sending twice.
  const { notifyReport, notifyFailure } = proxyActivities<Activities>(
    options(timeouts.notifyMs, { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 }, timeouts.notifyHeartbeatMs ?? timeouts.heartbeatMs),
  );
  return { collectLogs, collectDetails, mergeShards, renderReports, notifyReport, notifyFailure };
}
