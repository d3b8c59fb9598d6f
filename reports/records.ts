import type { CollectedRun, NodeExecution } from '../common/dify-schemas';

/**
 * One run flattened into the fields the reports read. Every "where does this value come from"
 * decision lives here, so the aggregates and sheets only ever read `RunRecord`s.
 */
export interface RunRecord {
  logId: string;
  /** Empty when Dify returned a log whose run row is gone. */
  runId: string;
  status: string;
  createdAt: number;
  finishedAt: number | null;
  elapsedSeconds: number | null;
  totalTokens: number;
  totalSteps: number | null;
  userId: string;
  /** `sys.conversation_id` when the run has one, else the end user's session, else the user id. */
  sessionId: string;
  conversationId: string | null;
  createdFrom: string;
  error: string | null;
  inputs: Readonly<Record<string, unknown>>;
  outputs: Readonly<Record<string, unknown>>;
  /** Null when node executions were not collected (level) or failed to fetch (see `problems`). */
  nodes: readonly NodeExecution[] | null;
  /** Sum of node prices by currency; empty without node data. */
  cost: Record<string, number>;
  /** `ok`, `not-collected` or `failed: <reason>`. */
  detailStatus: string;
  /** Title of the first failed node, to attribute the run's error. */
  failedNode: string | null;
  /** Set for messages of chat apps (see chat-records.ts); absent for workflow runs. */
  chat?: ChatFacts;
}

/** One rating of a chat message. `source` `user` is the end user, `admin` a console account. */
export interface FeedbackFact {
  rating: string;
  content: string;
  source: string;
}

/** A knowledge segment a chat answer cites. */
export interface CitedSegment {
  dataset: string;
  document: string;
  score: number | null;
  content: string;
}

/** What a chat message adds to a run's fields. */
export interface ChatFacts {
  messageId: string;
  mode: string;
  conversationName: string;
  /** 1 for the conversation's first message, counted over the whole conversation. */
  position: number;
  /** Dify's own status: `normal`, `error` or `paused`. */
  messageStatus: string;
  feedbacks: FeedbackFact[];
  cited: CitedSegment[];
}

/**
 * Container nodes report the totals of the nodes they ran, which Dify also lists one by one;
 * counting both would double the bill.
 */
const CONTAINER_NODE_TYPES = new Set(['iteration', 'loop']);

/** Dify's pricing defaults to USD when a provider does not state a currency. */
const DEFAULT_CURRENCY = 'USD';

/** A node's price in its currency, or null when Dify recorded none (non-LLM nodes). */
export function nodePrice(node: NodeExecution): { currency: string; amount: number } | null {
  const amount = node.execution_metadata?.total_price;
  if (amount === null || amount === undefined) return null;
  return { currency: text(node.execution_metadata?.currency) ?? DEFAULT_CURRENCY, amount };
}

export const FAILED_NODE_STATUSES = new Set(['failed', 'exception']);

function text(value: string | null | undefined): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

export function toRunRecord(run: CollectedRun): RunRecord {
  const { log, detail, nodes, problems } = run;
  const workflowRun = log.workflow_run;
  const endUser = log.created_by_end_user ?? null;
  const account = log.created_by_account ?? null;
  const inputs = detail?.inputs ?? {};
  const outputs = detail?.outputs ?? {};

  // End users are known to the business by the `user` value their system sent (session id);
  // console users by their e-mail. The opaque ids are last resorts.
  const userId = text(endUser?.session_id) ?? text(account?.email) ?? text(endUser?.id) ?? text(account?.id) ?? '';
  const rawConversation = inputs['sys.conversation_id'];
  const conversationId = typeof rawConversation === 'string' && rawConversation !== '' ? rawConversation : null;

  const cost: Record<string, number> = {};
  let failedNode: string | null = null;
  for (const node of [...(nodes ?? [])].sort((a, b) => a.index - b.index)) {
    const price = nodePrice(node);
    if (price !== null && !CONTAINER_NODE_TYPES.has(node.node_type)) cost[price.currency] = (cost[price.currency] ?? 0) + price.amount;
    if (failedNode === null && FAILED_NODE_STATUSES.has(node.status)) failedNode = node.title ?? node.node_id;
  }

  let detailStatus = 'ok';
  if (problems.length > 0) detailStatus = `failed: ${problems.join('; ')}`;
  else if (detail === null) detailStatus = 'not-collected';

  return {
    logId: log.id,
    runId: workflowRun?.id ?? detail?.id ?? '',
    status: workflowRun?.status ?? detail?.status ?? 'unknown',
    createdAt: workflowRun?.created_at ?? log.created_at,
    finishedAt: workflowRun?.finished_at ?? detail?.finished_at ?? null,
    elapsedSeconds: workflowRun?.elapsed_time ?? detail?.elapsed_time ?? null,
    totalTokens: workflowRun?.total_tokens ?? detail?.total_tokens ?? 0,
    totalSteps: workflowRun?.total_steps ?? detail?.total_steps ?? null,
    userId,
    sessionId: conversationId ?? text(endUser?.session_id) ?? userId,
    conversationId,
    createdFrom: log.created_from ?? '',
    error: text(workflowRun?.error) ?? text(detail?.error),
    inputs,
    outputs,
    nodes,
    cost,
    detailStatus,
    failedNode,
  };
}
