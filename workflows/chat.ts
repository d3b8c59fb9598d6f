import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Collection, Progress, ReportPlan } from '../common/contracts';
import { NON_RETRYABLE } from './collect-shard';

/**
 * Chat apps (chatflow, chatbot, agent) in the report workflow. Their messages are read
 * through the console per conversation (activities/collect-chat.ts), in one heartbeating
 * activity whatever the window: there is no time-sharded listing to split it by.
 */

const { chatMode } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

const { collectChat } = proxyActivities<Activities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 12, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Reports started before chat apps were read had no mode lookup; replaying them must not add one. */
export const CHAT_APPS_PATCH = 'chat-apps';

/** The app's chat mode, or null for a workflow app (and for histories from before the patch). */
export async function chatModeOf(plan: ReportPlan): Promise<string | null> {
  if (!patched(CHAT_APPS_PATCH)) return null;
  return chatMode(plan);
}

/** The plan's heartbeat and collection timeouts where it has them (ACTIVITY_HEARTBEAT_TIMEOUT), else the defaults above. */
function collectChatFor(plan: ReportPlan): Activities['collectChat'] {
  const timeouts = plan.timeouts;
  if (!timeouts) return collectChat;
  return proxyActivities<Activities>({
    startToCloseTimeout: timeouts.collectMs,
    heartbeatTimeout: timeouts.heartbeatMs,
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 12, nonRetryableErrorTypes: NON_RETRYABLE },
  }).collectChat;
}

export async function collectChatWindow(plan: ReportPlan, mode: string, progress: Progress): Promise<Collection> {
  progress.phase = 'collecting-logs';
  const collection = await collectChatFor(plan)(plan, mode);
  progress.logsFetched = collection.logs.fetched;
  progress.logsExpected = collection.logs.expected;
  progress.detailsFetched = collection.details.detailsFetched;
  return collection;
}
