import type { SimulatedConversation, SimulatedLog, SimulatedMessage } from './store';

/**
 * The run behind a chatflow (advanced-chat) message, as Dify's workflow log and node-execution
 * routes show it: Start → Answer, failed at the Answer node when the message failed. Shared by
 * the generated demo apps and the tests' fixture apps, which differ only in ids and timings.
 */
export interface ChatflowRunShape {
  logId: string;
  /** Start's and Answer's node-execution ids. */
  nodeIds: readonly [string, string];
  endUser: SimulatedConversation['end_user'];
  workflowId: string;
  inputs: Record<string, unknown>;
  finishedAt: number;
  nodeElapsed: (type: 'start' | 'answer') => number;
  nodeFinishedAt: number;
}

export function chatflowRun(message: SimulatedMessage, shape: ChatflowRunShape): SimulatedLog {
  const failed = message.status === 'error';
  const node = (index: 1 | 2, type: 'start' | 'answer', title: string) => ({
    id: shape.nodeIds[index - 1] ?? '',
    index,
    predecessor_node_id: null,
    node_id: type,
    node_type: type,
    title,
    inputs: {},
    process_data: {},
    outputs: type === 'answer' && !failed ? { answer: message.answer } : {},
    status: type === 'answer' && failed ? 'failed' : 'succeeded',
    error: type === 'answer' && failed ? message.error : null,
    elapsed_time: shape.nodeElapsed(type),
    execution_metadata: {},
    created_at: message.created_at,
    finished_at: shape.nodeFinishedAt,
  });
  return {
    id: shape.logId,
    created_from: 'service-api',
    created_by_role: 'end_user',
    created_by_account: null,
    created_by_end_user: shape.endUser,
    created_at: message.created_at,
    run: {
      id: message.workflow_run_id ?? '',
      version: '2025-02-20 10:00:00.000000',
      status: failed ? 'failed' : 'succeeded',
      triggered_from: 'app-run',
      error: message.error,
      elapsed_time: message.latency,
      total_tokens: message.message_tokens + message.answer_tokens,
      total_steps: 2,
      created_at: message.created_at,
      finished_at: shape.finishedAt,
      exceptions_count: 0,
      workflow_id: shape.workflowId,
      inputs: shape.inputs,
      outputs: failed ? null : { answer: message.answer },
    },
    nodes: [node(1, 'start', 'Start'), node(2, 'answer', 'Answer')],
  };
}
