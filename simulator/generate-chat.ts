import { DateTime } from 'luxon';
import { ATTACHMENTS, DATASETS, QUESTIONS, SEGMENTS } from './demo-content';
import { chatflowRun } from './chatflow-run';
import { hashSeed, Rng } from './prng';
import type { SimulatedApp, SimulatedConversation, SimulatedLog, SimulatedMessage, SimulatedRetrieverResource } from './store';

/**
 * Generated chat apps for `difyscope simulate`: conversations of a few turns by a stable
 * population of end users over the last days, with likes and dislikes (some with comments,
 * a few console ratings), cited knowledge segments, attachments, and a few failed answers.
 * A chatflow (advanced-chat) app's messages have runs (Start → Answer) with node executions.
 * Deterministic: everything comes from the seed and the first day, nothing from the clock.
 */

export interface ChatAppSpec {
  id: string;
  apiToken: string;
  name: string;
  mode: 'advanced-chat' | 'chat' | 'agent-chat';
}

export interface GenerateChatOptions {
  /** First local day `YYYY-MM-DD`. */
  date: string;
  days: number;
  timezone: string;
  /** Conversations per day. */
  conversationsPerDay: number;
  seed?: number;
}

const USERS = ['wang.fang', 'li.lei', 'zhao.min', 'chen.jie', 'liu.yang', 'alice@example.com', 'bob@example.com', 'carol', 'dave.k', 'erin_w', 'frank', 'grace.h'];
const COMMENTS = { like: ['很有帮助', 'Clear, thanks', ''], dislike: ['答非所问', 'Wrong policy, the limit is 30 days', '没有解决我的问题', ''] };

function citedFor(rng: Rng, topic: string): SimulatedRetrieverResource[] {
  const matching = SEGMENTS.map((segment, index) => ({ segment, index })).filter(({ segment }) => segment.topic === topic);
  if (matching.length === 0 || rng.chance(0.3)) return [];
  const count = Math.min(matching.length, rng.int(1, 3));
  return matching.slice(0, count).map(({ segment, index }, at) => ({
    position: at + 1,
    dataset_id: `d${String(segment.dataset).padStart(7, '0')}-0000-4000-8000-000000000000`,
    dataset_name: DATASETS[segment.dataset]?.name ?? '',
    document_id: `e${String(index).padStart(7, '0')}-0000-4000-8000-000000000000`,
    document_name: segment.documentName,
    segment_id: rng.uuid(),
    score: Number((0.9 - at * 0.12 - rng.next() * 0.05).toFixed(4)),
    content: segment.content,
  }));
}

/** A generated chatflow message's run; ids drawn in the order the demo data always had them. */
function generatedChatflowRun(message: SimulatedMessage, conversation: SimulatedConversation, rng: Rng): SimulatedLog {
  const logId = rng.uuid();
  const nodeIds = [rng.uuid(), rng.uuid()] as const;
  const finishedAt = message.created_at + Math.ceil(message.latency);
  return chatflowRun(message, {
    logId,
    nodeIds,
    endUser: conversation.end_user,
    workflowId: '55555555-0000-4000-8000-0000000000c1',
    inputs: { 'sys.query': message.query, 'sys.user_id': conversation.end_user.session_id, 'sys.conversation_id': conversation.id },
    finishedAt,
    nodeElapsed: (type) => Number((message.latency * (type === 'answer' ? 0.95 : 0.01)).toFixed(6)),
    nodeFinishedAt: finishedAt,
  });
}

export function generateChatApp(spec: ChatAppSpec, options: GenerateChatOptions): SimulatedApp {
  const rng = new Rng(hashSeed(options.seed ?? 42, spec.mode, spec.id));
  const endUsers = USERS.map((session) => ({ id: rng.uuid(), type: 'service_api' as const, is_anonymous: false, session_id: session }));
  const conversations: SimulatedConversation[] = [];
  const logs: SimulatedLog[] = [];
  const firstDay = DateTime.fromISO(options.date, { zone: options.timezone }).startOf('day');
  for (let day = 0; day < options.days; day += 1) {
    const dayStart = firstDay.plus({ days: day });
    for (let n = 0; n < options.conversationsPerDay; n += 1) {
      const endUser = rng.pick(endUsers);
      // Office hours, with the odd late conversation that runs past midnight.
      let at = Math.floor(dayStart.plus({ minutes: rng.int(8 * 60, 23 * 60 + 50) }).toSeconds());
      const first = rng.pick(QUESTIONS);
      const conversation: SimulatedConversation = { id: rng.uuid(), name: first.question.replace(/\s+/g, ' ').slice(0, 47), end_user: endUser, created_at: at, updated_at: at, messages: [] };
      const turns = rng.chance(0.35) ? 1 : rng.int(2, rng.chance(0.1) ? 12 : 5);
      for (let turn = 0; turn < turns; turn += 1) {
        const entry = turn === 0 ? first : rng.pick(QUESTIONS.filter((candidate) => candidate.topic === first.topic));
        const failed = rng.chance(0.03);
        const tokens = spec.mode === 'advanced-chat' && rng.chance(0.5) ? 0 : rng.int(120, 1400);
        const latency = Number(rng.logNormal(2.2, 0.6).toFixed(3));
        const rating: 'like' | 'dislike' | null = rng.chance(0.3) ? (rng.chance(0.72) ? 'like' : 'dislike') : null;
        const message: SimulatedMessage = {
          id: rng.uuid(),
          query: entry.question,
          answer: failed ? '' : entry.answer,
          inputs: {},
          created_at: at,
          latency,
          message_tokens: Math.floor(tokens * 0.7),
          answer_tokens: tokens - Math.floor(tokens * 0.7),
          total_price: (tokens * 0.000002).toFixed(7),
          currency: 'USD',
          status: failed ? 'error' : 'normal',
          error: failed ? '[openai] Rate Limit Error, Error code: 429 - You exceeded your current quota' : null,
          feedbacks: [
            ...(rating ? [{ rating, content: rng.pick(COMMENTS[rating]) || null, from_source: 'user' as const, from_end_user_id: endUser.id, from_account: null }] : []),
            ...(rng.chance(0.04) ? [{ rating: 'dislike' as const, content: null, from_source: 'admin' as const, from_end_user_id: null, from_account: { id: '66666666-0000-4000-8000-0000000000a1', name: 'Demo Admin', email: 'demo@difyscope.local' } }] : []),
          ],
          retriever_resources: failed ? [] : citedFor(rng, entry.topic),
          files: turn === 0 && rng.chance(0.08) ? [{ filename: rng.pick(ATTACHMENTS).filename, type: 'document' }] : [],
          workflow_run_id: spec.mode === 'advanced-chat' ? rng.uuid() : null,
        };
        conversation.messages.push(message);
        conversation.updated_at = at + 1;
        if (spec.mode === 'advanced-chat') logs.push(generatedChatflowRun(message, conversation, rng));
        at += Math.ceil(latency) + rng.int(20, 600);
      }
      conversations.push(conversation);
    }
  }
  return { id: spec.id, name: spec.name, mode: spec.mode, apiToken: spec.apiToken, status: 'normal', enableApi: true, logs, conversations };
}
