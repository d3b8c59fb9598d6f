import type { CollectedMessage } from '../common/dify-chat-schemas';
import { FAILED_NODE_STATUSES, type CitedSegment, type FeedbackFact, type RunRecord } from './records';

/**
 * A chat message as a `RunRecord`, so every aggregate, sheet and summary made for workflow
 * runs serves chat apps too: one message = one run, its conversation = its session. What only
 * chat apps have (feedback, cited segments, place in the conversation) rides along in `chat`.
 */

/** Dify's message status in the words of workflow runs, which the status counts and success rate read. */
const STATUS: Record<string, string> = { normal: 'succeeded', error: 'failed' };

const DEFAULT_CURRENCY = 'USD';

function text(value: string | null | undefined): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** Dify cuts long dataset names and marks the cut with `...`; the mark is noise in a sheet. */
function cleanName(name: string | null | undefined): string {
  return (name ?? '').replace(/(\.\.\.|…)$/, '').trim();
}

export function toChatRecord(collected: CollectedMessage): RunRecord {
  const { message, conversation, nodes, problems } = collected;
  // End users by the `user` value their system sent, console users by their name; opaque ids last.
  const userId = text(conversation.sessionId) ?? text(conversation.accountName) ?? text(conversation.endUserId) ?? text(message.from_end_user_id) ?? text(message.from_account_id) ?? '';
  const usage = message.metadata?.usage ?? null;
  const promptTokens = message.message_tokens ?? 0;
  const answerTokens = message.answer_tokens ?? 0;
  const totalTokens = promptTokens + answerTokens > 0 ? promptTokens + answerTokens : (usage?.total_tokens ?? 0);

  // The message's own usage is what Dify bills for it (all LLM calls of a chatflow run summed);
  // a message that called no model has a zero price in USD, which is no cost at all.
  const cost: Record<string, number> = {};
  const price = usage?.total_price ?? null;
  if (price !== null && (price > 0 || totalTokens > 0)) cost[text(usage?.currency) ?? DEFAULT_CURRENCY] = price;

  let failedNode: string | null = null;
  for (const node of [...(nodes ?? [])].sort((a, b) => a.index - b.index)) {
    if (failedNode === null && FAILED_NODE_STATUSES.has(node.status)) failedNode = node.title ?? node.node_id;
  }

  const files = (message.message_files ?? [])
    .filter((file) => file.belongs_to !== 'assistant')
    .map((file) => ({ filename: file.filename ?? '' }))
    .filter((file) => file.filename !== '');
  const cited: CitedSegment[] = [...(message.metadata?.retriever_resources ?? [])]
    .map((resource, at) => ({ resource, rank: resource.position ?? at + 1 }))
    .sort((a, b) => a.rank - b.rank)
    .map(({ resource }) => ({
      dataset: cleanName(resource.dataset_name),
      document: cleanName(resource.document_name),
      score: resource.score ?? null,
      content: (resource.content ?? '').replace(/\r\n?/g, '\n'),
    }));
  const feedbacks: FeedbackFact[] = (message.feedbacks ?? []).map((feedback) => ({ rating: feedback.rating, content: feedback.content ?? '', source: feedback.from_source }));

  const messageStatus = message.status ?? 'normal';
  return {
    logId: message.id,
    runId: message.workflow_run_id ?? '',
    status: STATUS[messageStatus] ?? messageStatus,
    createdAt: message.created_at,
    finishedAt: null,
    elapsedSeconds: message.provider_response_latency ?? null,
    totalTokens,
    totalSteps: null,
    userId,
    sessionId: conversation.id,
    conversationId: conversation.id,
    createdFrom: message.from_source ?? '',
    error: text(message.error),
    // The question and files where workflow runs of a chatflow keep them, so the Q&A code reads both alike.
    inputs: { ...(message.inputs ?? {}), 'sys.query': message.query ?? '', 'sys.conversation_id': conversation.id, ...(files.length > 0 && { 'sys.files': files }) },
    outputs: { answer: message.answer ?? '' },
    nodes,
    cost,
    detailStatus: problems.length > 0 ? `failed: ${problems.join('; ')}` : 'ok',
    failedNode,
    chat: {
      messageId: message.id,
      mode: collected.mode,
      conversationName: conversation.name,
      position: collected.position,
      messageStatus,
      feedbacks,
      cited,
    },
  };
}

/** Likes and dislikes by source. Dify keeps one rating per source per message. */
export function ratingsOf(record: RunRecord): { userLike: number; userDislike: number; adminLike: number; adminDislike: number } {
  const counts = { userLike: 0, userDislike: 0, adminLike: 0, adminDislike: 0 };
  for (const feedback of record.chat?.feedbacks ?? []) {
    const admin = feedback.source === 'admin';
    if (feedback.rating === 'like') counts[admin ? 'adminLike' : 'userLike'] += 1;
    else if (feedback.rating === 'dislike') counts[admin ? 'adminDislike' : 'userDislike'] += 1;
  }
  return counts;
}
