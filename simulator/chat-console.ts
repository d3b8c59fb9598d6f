import { DateTime } from 'luxon';
import { errorReply, reply, type Reply } from './http-kit';
import type { DifyStore, SimulatedApp, SimulatedConsoleUser, SimulatedConversation, SimulatedMessage } from './store';

/**
 * The console's chat routes of the simulated Dify, shaped like Dify 1.14.1's answers
 * (`controllers/console/app/conversation.py`, `message.py`; checked against a real server):
 * the account profile, `chat-conversations` (page/limit/total/has_more, sort `-updated_at`,
 * `start`/`end` as `YYYY-MM-DD HH:MM` in the account's zone) and `chat-messages` (`first_id`
 * cursor, oldest first, no total).
 */

export const CHAT_MODES: readonly SimulatedApp['mode'][] = ['advanced-chat', 'chat', 'agent-chat'];

/** A pydantic query error as Dify 1.14 words it. */
function queryError(model: string, field: string, detail: string, type: string, input: string): Reply {
  const message = `1 validation error for ${model}\n${field}\n  ${detail} [type=${type}, input_value='${input}', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.12/v/${type}`;
  return errorReply(400, 'invalid_param', message);
}

function intParam(query: URLSearchParams, model: string, name: string, fallback: number, low: number, high: number): number | Reply {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) return queryError(model, name, 'Input should be a valid integer, unable to parse string as an integer', 'int_parsing', raw);
  const value = Number(raw);
  if (value < low) return queryError(model, name, `Input should be greater than or equal to ${low}`, 'greater_than_equal', raw);
  if (value > high) return queryError(model, name, `Input should be less than or equal to ${high}`, 'less_than_equal', raw);
  return value;
}

/** `YYYY-MM-DD HH:MM` in the account's zone → epoch seconds, as `libs/datetime_utils.parse_time_range` does. */
function consoleTime(value: string | null, zone: string, label: string): number | null | Reply {
  if (value === null || value === '') return null;
  const at = DateTime.fromFormat(value, 'yyyy-MM-dd HH:mm', { zone });
  if (!at.isValid) return errorReply(400, 'bad_request', `Invalid ${label} time format: time data '${value}' does not match format '%Y-%m-%d %H:%M'`);
  return Math.floor(at.toSeconds());
}

export function accountProfile(user: SimulatedConsoleUser): Record<string, unknown> {
  return {
    avatar: null,
    id: user.id,
    name: user.name,
    email: user.email,
    is_password_set: true,
    interface_language: 'en-US',
    interface_theme: 'light',
    timezone: user.timezone ?? 'UTC',
    last_login_at: null,
    last_login_ip: '127.0.0.1',
    created_at: 1_700_000_000,
    avatar_url: null,
  };
}

function ratingsOf(conversation: SimulatedConversation, source: 'user' | 'admin'): { like: number; dislike: number } {
  const feedbacks = conversation.messages.flatMap((message) => message.feedbacks).filter((feedback) => feedback.from_source === source);
  return { like: feedbacks.filter((feedback) => feedback.rating === 'like').length, dislike: feedbacks.filter((feedback) => feedback.rating === 'dislike').length };
}

function conversationItem(app: SimulatedApp, conversation: SimulatedConversation): Record<string, unknown> {
  const failed = conversation.messages.filter((message) => message.status === 'error').length;
  return {
    id: conversation.id,
    status: 'normal',
    from_source: 'api',
    from_end_user_id: conversation.end_user.id,
    from_end_user_session_id: conversation.end_user.session_id,
    from_account_id: null,
    from_account_name: null,
    name: conversation.name,
    summary: conversation.messages[0]?.query ?? conversation.name,
    read_at: null,
    created_at: conversation.created_at,
    updated_at: conversation.updated_at,
    annotated: false,
    model_config: { model: null, pre_prompt: null },
    message_count: conversation.messages.length,
    user_feedback_stats: ratingsOf(conversation, 'user'),
    admin_feedback_stats: ratingsOf(conversation, 'admin'),
    // Dify counts workflow runs: only chatflow conversations have them.
    status_count: app.mode === 'advanced-chat' ? { success: conversation.messages.length - failed, failed, partial_success: 0, paused: 0 } : null,
  };
}

function messageItem(app: SimulatedApp, conversation: SimulatedConversation, message: SimulatedMessage): Record<string, unknown> {
  const price = message.total_price;
  return {
    id: message.id,
    conversation_id: conversation.id,
    inputs: message.inputs,
    query: message.query,
    message: app.mode === 'advanced-chat' ? '' : [{ role: 'user', text: message.query, files: [] }],
    message_tokens: message.message_tokens,
    answer: message.answer,
    answer_tokens: message.answer_tokens,
    provider_response_latency: message.latency,
    from_source: 'api',
    from_end_user_id: conversation.end_user.id,
    from_account_id: null,
    feedbacks: message.feedbacks,
    workflow_run_id: message.workflow_run_id,
    annotation: null,
    annotation_hit_history: null,
    created_at: message.created_at,
    agent_thoughts: app.mode === 'agent-chat' ? [{ id: `${message.id.slice(0, 24)}aaaaaaaaaaaa`, chain_id: null, message_id: message.id, position: 1, thought: message.answer, tool: '', tool_labels: {}, tool_input: '', created_at: message.created_at, observation: '', files: [] }] : [],
    message_files: message.files.map((file, at) => ({ id: `${message.id.slice(0, 30)}${String(at).padStart(6, '0')}`, filename: file.filename, type: file.type, url: null, mime_type: null, size: null, transfer_method: 'local_file', belongs_to: 'user', upload_file_id: null })),
    extra_contents: [],
    metadata: {
      annotation_reply: null,
      retriever_resources: message.retriever_resources,
      usage: {
        prompt_tokens: message.message_tokens,
        completion_tokens: message.answer_tokens,
        total_tokens: message.message_tokens + message.answer_tokens,
        total_price: price,
        currency: message.currency,
        latency: message.latency,
      },
    },
    status: message.status,
    error: message.error,
    parent_message_id: '00000000-0000-0000-0000-000000000000',
  };
}

/** `GET /console/api/apps/{id}/chat-conversations` and `…/chat-messages` of a chat app. */
export function handleChatRoute(app: SimulatedApp, user: SimulatedConsoleUser, route: 'chat-conversations' | 'chat-messages', query: URLSearchParams): Reply {
  if (!CHAT_MODES.includes(app.mode)) return errorReply(404, 'app_not_found', "App mode is not in the supported list: ['chat', 'agent-chat', 'advanced-chat']");
  const conversations = app.conversations ?? [];
  if (route === 'chat-conversations') {
    const page = intParam(query, 'ChatConversationQuery', 'page', 1, 1, 99999);
    if (typeof page !== 'number') return page;
    const limit = intParam(query, 'ChatConversationQuery', 'limit', 20, 1, 100);
    if (typeof limit !== 'number') return limit;
    const zone = user.timezone ?? 'UTC';
    const start = consoleTime(query.get('start'), zone, 'start');
    if (start !== null && typeof start !== 'number') return start;
    const end = consoleTime(query.get('end'), zone, 'end');
    if (end !== null && typeof end !== 'number') return end;
    const sortBy = query.get('sort_by') ?? '-updated_at';
    const field = sortBy.replace(/^-/, '') === 'created_at' ? 'created_at' : 'updated_at';
    // `end` is widened to the end of its minute (`replace(second=59)`); both bounds inclusive.
    const matching = conversations
      .filter((conversation) => (start === null || conversation[field] >= start) && (end === null || conversation[field] <= end + 59))
      .sort((a, b) => (sortBy.startsWith('-') ? b[field] - a[field] : a[field] - b[field]));
    const data = matching.slice((page - 1) * limit, page * limit).map((conversation) => conversationItem(app, conversation));
    return reply(200, { page, limit, total: matching.length, has_more: page * limit < matching.length, data });
  }

  const conversationId = query.get('conversation_id');
  if (!conversationId) return queryError('ChatMessagesQuery', 'conversation_id', 'Field required', 'missing', '');
  const limit = intParam(query, 'ChatMessagesQuery', 'limit', 20, 1, 100);
  if (typeof limit !== 'number') return limit;
  const conversation = conversations.find((candidate) => candidate.id === conversationId);
  if (!conversation) return errorReply(404, 'not_found', 'Conversation Not Exists.');
  const firstId = query.get('first_id');
  let older = conversation.messages;
  if (firstId) {
    const first = conversation.messages.find((message) => message.id === firstId);
    if (!first) return errorReply(404, 'not_found', 'First message not found');
    older = conversation.messages.filter((message) => message.created_at < first.created_at && message.id !== first.id);
  }
  // Newest `limit` of them, then oldest first, as Dify answers.
  const newestFirst = [...older].sort((a, b) => b.created_at - a.created_at);
  const page = newestFirst.slice(0, limit);
  const oldest = page[page.length - 1];
  const hasMore = page.length === limit && oldest !== undefined && newestFirst.some((message) => message.created_at < oldest.created_at);
  return reply(200, { limit, has_more: hasMore, data: page.reverse().map((message) => messageItem(app, conversation, message)) });
}

/** The logged-in account. */
export function consoleUser(store: DifyStore, userId: string): SimulatedConsoleUser | undefined {
  return store.consoleUsers.find((candidate) => candidate.id === userId);
}
