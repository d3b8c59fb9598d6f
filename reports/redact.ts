import { createHmac } from 'node:crypto';
import type { NodeExecution } from '../common/dify-schemas';
import type { ChatFacts, RunRecord } from './records';

/**
 * Redaction (product §7): what an app's `redaction` settings take out of every report, and
 * therefore out of every notification, which only quotes the reports. Applied to each record
 * as it enters the pipeline, so no figure, sheet or summary can see the original values.
 */

export interface Redaction {
  /** Keyed hash for user ids; null keeps them. */
  hashUserId: ((id: string) => string) | null;
  /** Mask e-mail addresses, phone numbers, ID card numbers and long digit runs in free text. */
  maskText: boolean;
  /** Leave question, answer, segment text and attachment names out of every report. */
  dropQaText: boolean;
}

/** The app's settings (`AppConfig.redaction`) plus the deployment's key. */
export function redactionFrom(settings: { userIds: boolean; text: boolean; qaText: 'keep' | 'drop' }, key: string | undefined): Redaction {
  if (settings.userIds && !key) throw new Error('REDACTION_KEY: is required when user ids are redacted');
  return {
    hashUserId: settings.userIds && key ? userIdHasher(key) : null,
    maskText: settings.text,
    dropQaText: settings.qaText === 'drop',
  };
}

/**
 * HMAC-SHA256 rather than a plain hash: user ids are guessable (phone numbers, e-mails), and
 * without the key nobody can hash candidates to find who `u_…` is. The same key gives the same
 * pseudonym in every period, so per-user counts and new-vs-returning still work. 48 bits keep
 * collisions out of reach for any realistic user count while staying short enough for a cell.
 */
export function userIdHasher(key: string): (id: string) => string {
  const cache = new Map<string, string>();
  return (id) => {
    if (id === '') return '';
    let hashed = cache.get(id);
    if (hashed === undefined) {
      hashed = `u_${createHmac('sha256', key).update(id, 'utf8').digest('hex').slice(0, 12)}`;
      // Users repeat across runs; a bounded cache saves the HMAC without growing with the window.
      if (cache.size < 10_000) cache.set(id, hashed);
    }
    return hashed;
  };
}

export const MASKS = { email: '[email]', phone: '[phone]', idCard: '[id-card]', number: '[number]' } as const;

/*
 * One alternation, scanned left to right, so that at any position the most specific pattern
 * wins (an e-mail made of digits is an e-mail, an ID card is not a long number) and nothing is
 * masked twice. UUIDs and hex ids come first and are kept: their digit groups are not personal
 * data, and masking them would break run ids and error signatures.
 */
const PATTERNS: readonly (readonly [name: keyof typeof MASKS | 'keep', source: string])[] = [
  ['keep', String.raw`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`],
  ['keep', String.raw`\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{16,}\b`],
  ['email', String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`],
  // 18-character resident ID: region, birth date 18xx–20xx, sequence, check digit (X allowed).
  ['idCard', String.raw`(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])`],
  // Chinese mobile: 1[3-9]x xxxx xxxx, optionally +86 / 0086, spaces or dashes between groups.
  ['phone', String.raw`(?<![\d+])(?:(?:\+|00)86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)`],
  // International with a leading +: country code, optional (area), then digit groups.
  ['phone', String.raw`(?<![\w+])\+\d{1,3}(?:[\s.-]?\(\d{1,4}\))?(?:[\s.-]?\d{2,5}){2,5}(?!\d)`],
  // North American (415) 555-2671 / 415-555-2671 and Chinese landlines 010-12345678.
  ['phone', String.raw`(?<!\d)(?:\(\d{3}\)\s?\d{3}-\d{4}|\d{3}-\d{3}-\d{4}|0\d{2,3}-\d{7,8})(?!\d)`],
  ['number', String.raw`(?<!\d)\d{8,}(?!\d)`],
];

const COMBINED = new RegExp(PATTERNS.map(([, source]) => `(${source})`).join('|'), 'gi');

export function maskText(text: string): string {
  return text.replace(COMBINED, (match: string, ...groups: unknown[]) => {
    const index = groups.slice(0, PATTERNS.length).findIndex((group) => group !== undefined);
    const name = PATTERNS[index]?.[0] ?? 'keep';
    return name === 'keep' ? match : MASKS[name];
  });
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Applies `edit` to every string inside a JSON-like value, keeping its shape. */
function mapStrings(value: unknown, edit: (text: string) => string): unknown {
  if (typeof value === 'string') return edit(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, edit));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, edit)]));
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Retrieved segment texts are the only node output a report shows. */
function redactRetrieval(node: NodeExecution, edit: ((text: string) => string) | null, drop: boolean): NodeExecution {
  const result = node.outputs?.result;
  if (node.node_type !== 'knowledge-retrieval' || !Array.isArray(result)) return node;
  const items = result.map((item: unknown) => {
    if (!isRecord(item)) return item;
    const content = typeof item.content === 'string' ? item.content : '';
    return { ...item, content: drop ? '' : edit ? edit(content) : content };
  });
  return { ...node, outputs: { ...node.outputs, result: items } };
}

/** A chat message's own texts: the conversation's name, feedback comments, cited segments. */
function redactChat(chat: ChatFacts, edit: ((text: string) => string) | null, drop: boolean): ChatFacts {
  const apply = (text: string): string => (drop ? '' : edit ? edit(text) : text);
  return {
    ...chat,
    conversationName: apply(chat.conversationName),
    feedbacks: chat.feedbacks.map((feedback) => ({ ...feedback, content: apply(feedback.content) })),
    cited: chat.cited.map((segment) => ({ ...segment, content: apply(segment.content) })),
  };
}

/**
 * The record as the reports may see it. A user's own raw ids are also replaced wherever they
 * appear in that run's texts (a question quoting the asker's account, an error naming the user),
 * since a pseudonym is worthless if the name sits next to it.
 */
export function redactRecord(record: RunRecord, redaction: Redaction, rawIds: readonly string[] = []): RunRecord {
  const { hashUserId, maskText: mask, dropQaText } = redaction;
  if (!hashUserId && !mask && !dropQaText) return record;
  const userId = hashUserId ? hashUserId(record.userId) : record.userId;
  const ids = hashUserId ? [...new Set([record.userId, ...rawIds])].filter((id) => id.length >= 3).sort((a, b) => b.length - a.length) : [];
  const idPattern = ids.length > 0 ? new RegExp(`(?<![\\w.@-])(?:${ids.map(escapeRegExp).join('|')})(?![\\w@-]|\\.\\w)`, 'g') : null;
  const edit = (text: string): string => {
    const named = idPattern ? text.replace(idPattern, userId) : text;
    return mask ? maskText(named) : named;
  };
  const editing = idPattern !== null || mask;
  const conversation = record.inputs['sys.conversation_id'];
  return {
    ...record,
    userId,
    sessionId: record.conversationId ?? userId,
    // Dropping keeps only what the reports need to follow a conversation.
    inputs: dropQaText ? (typeof conversation === 'string' ? { 'sys.conversation_id': conversation } : {}) : editing ? (mapStrings(record.inputs, edit) as Record<string, unknown>) : record.inputs,
    outputs: dropQaText ? {} : editing ? (mapStrings(record.outputs, edit) as Record<string, unknown>) : record.outputs,
    error: record.error !== null && editing ? edit(record.error) : record.error,
    nodes: record.nodes === null ? null : record.nodes.map((node) => redactRetrieval(node, editing ? edit : null, dropQaText)),
    ...(record.chat && { chat: redactChat(record.chat, editing ? edit : null, dropQaText) }),
  };
}
