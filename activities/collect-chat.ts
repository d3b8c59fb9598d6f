import { activityInfo, heartbeat, log } from '@temporalio/activity';
import { DateTime } from 'luxon';
import path from 'node:path';
import type { Collection, ReportPlan } from '../common/contracts';
import { ChatApi, consoleMinute } from './dify/chat-api';
import type { ChatConversation, ChatMessage, CollectedMessage, ConversationOwner, InvalidItem } from '../common/dify-chat-schemas';
import type { DifyClient } from './dify/client';
import { DifyError, errorMessage, rethrowIfFatal } from './dify/errors';
import { attemptFileName, currentAttempt, removeOtherRuns, runLabel, type AttemptTag } from './attempt-files';
import { exists, readNdjsonGz, resolveInside, writeNdjsonGz } from './storage';
import {
  chatChunkCountsSchema,
  chatListingHeaderSchema,
  chatProgressSchema,
  type ChatChunkCounts as ChunkCounts,
  type ChatListingHeader,
  type ChatProgress,
} from '../common/collection-progress';

/**
 * Collection for chat apps (chatflow, chatbot, agent). Their unit is the message, and the
 * console lists messages per conversation only, so a window is read in two steps:
 *
 * 1. Conversations updated since the window start (`chat-conversations`, newest update
 *    first, `start` in the console account's zone). A conversation last updated before the
 *    window cannot have a message in it: it is not walked. There is no `end` filter, since a
 *    conversation with messages in the window and more after it must still be listed.
 * 2. Each conversation's messages (`chat-messages`, `first_id` cursor, back to its first
 *    message so every message knows its place), keeping those whose `created_at` lies in the
 *    half-open window; for chatflow messages at level `nodes`, their run's node executions.
 *
 * Durable like the workflow collection: the listing is saved once, messages in chunks of
 * conversations; the heartbeat names what is on disk, so a retried attempt resumes there.
 */

/** Conversations per durable chunk. */
const CHUNK_SIZE = 50;

/**
 * How far before the window start the listing reaches. Dify sets a conversation's
 * `updated_at` from the API process clock just before the message row takes the database
 * clock, so the two can disagree by a moment; the filter also works in whole minutes.
 */
const LISTING_MARGIN_MINUTES = 5;

/** Re-walks of the listing when it came back short of Dify's total (offsets shift as conversations are updated). */
const LISTING_PASSES = 3;

/** The conversation listing: its header (saved as the listing file's first line) and the conversations. */
interface Listing extends ChatListingHeader {
  conversations: ChatConversation[];
}

/** One attempt's own version of a chunk, so an older attempt still running never replaces it. */
const chunkFileName = (index: number, tag: AttemptTag): string => attemptFileName(`chunk-${String(index).padStart(5, '0')}`, '.ndjson.gz', tag);

/** The resume point a heartbeat names, if it is one and every file it names is on disk. */
async function resumePoint(dir: string, heartbeatDetails: unknown): Promise<ChatProgress | undefined> {
  const parsed = chatProgressSchema.safeParse(heartbeatDetails);
  if (!parsed.success) return undefined;
  const resumed = parsed.data;
  if (resumed.listed !== true || resumed.listing === undefined || !(await exists(path.join(dir, resumed.listing)))) return undefined;
  const chunks = resumed.chunks ?? [];
  if (chunks.length !== (resumed.chunksDone ?? 0)) return undefined;
  for (const name of chunks) if (!(await exists(path.join(dir, name)))) return undefined;
  return resumed;
}

/** Runs `work` over `items` with at most `limit` in flight, keeping the input order of results. */
async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Every conversation updated since `since`, each once; passes again while short of Dify's total. */
async function listConversations(api: ChatApi, since: string): Promise<Listing> {
  const byId = new Map<string, ChatConversation>();
  const invalid = new Map<string, InvalidItem>();
  let expected = 0;
  let pages = 0;
  for (let pass = 0; pass < LISTING_PASSES; pass += 1) {
    for (let page = 1; ; page += 1) {
      const result = await api.conversationsPage(page, since);
      pages += 1;
      expected = result.total;
      for (const item of result.items) byId.set(item.id, item);
      for (const item of result.invalid) invalid.set(item.id ?? `page ${page}`, item);
      if (!result.hasMore || result.items.length + result.invalid.length === 0) break;
    }
    if (byId.size + invalid.size >= expected) break;
    log.warn('Conversation listing came back short of its total; listing again', { listed: byId.size, expected });
  }
  return { expected, pages, invalid: [...invalid.values()], conversations: [...byId.values()] };
}

function ownerOf(conversation: ChatConversation): ConversationOwner {
  return {
    id: conversation.id,
    name: conversation.name ?? '',
    sessionId: conversation.from_end_user_session_id ?? null,
    endUserId: conversation.from_end_user_id ?? null,
    accountName: conversation.from_account_name ?? null,
    messageCount: conversation.message_count ?? null,
  };
}

/** The whole conversation, oldest first, walking back with the `first_id` cursor. */
async function conversationMessages(api: ChatApi, conversationId: string): Promise<{ messages: ChatMessage[]; invalid: number }> {
  const pages: ChatMessage[][] = [];
  const seen = new Set<string>();
  let invalid = 0;
  let firstId: string | undefined;
  for (;;) {
    const page = await api.messagesPage(conversationId, firstId);
    invalid += page.invalid.length;
    const fresh = page.items.filter((message) => !seen.has(message.id));
    for (const message of fresh) seen.add(message.id);
    pages.unshift(fresh);
    const oldest = page.items[0]?.id;
    if (!page.hasMore || oldest === undefined || oldest === firstId) break;
    firstId = oldest;
  }
  return { messages: pages.flat(), invalid };
}

interface WindowSeconds {
  from: number;
  to: number;
}

async function collectConversation(
  api: ChatApi,
  dify: DifyClient,
  plan: ReportPlan,
  mode: string,
  window: WindowSeconds,
  conversation: ChatConversation,
  counts: ChunkCounts,
): Promise<CollectedMessage[]> {
  let walked: { messages: ChatMessage[]; invalid: number };
  try {
    walked = await conversationMessages(api, conversation.id);
  } catch (error) {
    rethrowIfFatal(error);
    if (error instanceof DifyError && error.kind === 'not-found' && /conversation not exists/i.test(error.message)) {
      counts.conversationsGone += 1;
      return [];
    }
    log.warn('Messages of a conversation could not be read', { conversationId: conversation.id, error: errorMessage(error) });
    counts.conversationFailures += 1;
    return [];
  }
  counts.invalid += walked.invalid;
  const known = conversation.message_count ?? 0;
  counts.messagesShort += Math.max(0, known - walked.messages.length - walked.invalid);

  const owner = ownerOf(conversation);
  const inWindow = walked.messages
    .map((message, at) => ({ message, position: at + 1 }))
    .filter(({ message }) => message.created_at >= window.from && message.created_at < window.to);
  if (inWindow.length > 0) counts.conversationsInWindow += 1;
  counts.messages += inWindow.length;

  return Promise.all(
    inWindow.map(async ({ message, position }): Promise<CollectedMessage> => {
      const record: CollectedMessage = { kind: 'chat-message', mode, message, conversation: owner, position, nodes: null, problems: [] };
      const runId = message.workflow_run_id;
      if (plan.level !== 'nodes' || !runId) return record;
      try {
        record.nodes = await dify.nodeExecutions(runId);
        counts.nodesFetched += 1;
      } catch (error) {
        rethrowIfFatal(error);
        record.problems.push(`nodes: ${errorMessage(error)}`);
        counts.nodeFailures += 1;
      }
      return record;
    }),
  );
}

/** Seconds of a window bound; Dify's `created_at` is whole seconds, so a sub-second bound rounds up. */
function boundSeconds(iso: string): number {
  return Math.ceil(DateTime.fromISO(iso, { setZone: true }).toSeconds());
}

export async function collectChatMessages(dify: DifyClient, appId: string | undefined, outputDir: string, plan: ReportPlan, mode: string, concurrency: number): Promise<Collection> {
  const api = new ChatApi(dify, appId);
  const tag = currentAttempt();
  const chatRoot = resolveInside(outputDir, `${plan.workDir}/chat`);
  // One folder per workflow run; inside it every attempt writes files named for itself.
  const chatDir = path.join(chatRoot, runLabel(tag));
  const resumed = await resumePoint(chatDir, activityInfo().heartbeatDetails);
  let progress: ChatProgress = {};
  if (resumed) {
    // The conversation count of a chunk in progress is not a resume point.
    const { inChunk: _inChunk, ...saved } = resumed;
    progress = { ...saved, chunks: [...(saved.chunks ?? [])] };
    log.info('Resuming chat collection', { chunksDone: progress.chunksDone ?? 0 });
  } else {
    // Files of an earlier run of the same workflow id describe another moment of Dify.
    await removeOtherRuns(chatRoot, runLabel(tag));
  }
  const listingFile = path.join(chatDir, progress.listing ?? attemptFileName('conversations', '.ndjson.gz', tag));

  const window: WindowSeconds = { from: boundSeconds(plan.window.from), to: boundSeconds(plan.window.to) };
  let listing: Listing;
  if (progress.listed === true) {
    const values: unknown[] = [];
    for await (const value of readNdjsonGz(listingFile)) values.push(value);
    const [header, ...conversations] = values;
    // The conversations were validated when listed (dify/chat-api.ts) and are read back as written.
    listing = { ...chatListingHeaderSchema.parse(header), conversations: conversations as ChatConversation[] };
  } else {
    const zone = await api.accountTimezone();
    const since = consoleMinute(DateTime.fromSeconds(window.from).minus({ minutes: LISTING_MARGIN_MINUTES }), zone);
    listing = await listConversations(api, since);
    // Oldest update first: a conversation updated while collecting moves to the end, not between chunks.
    listing.conversations.sort((a, b) => (a.updated_at ?? 0) - (b.updated_at ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const { conversations, ...header } = listing;
    await writeNdjsonGz(listingFile, [header, ...conversations]);
    progress = { listed: true, listing: path.basename(listingFile), chunksDone: 0, chunks: [] };
    heartbeat(progress);
  }

  let lastBeat = 0;
  for (let start = (progress.chunksDone ?? 0) * CHUNK_SIZE, index = progress.chunksDone ?? 0; start < listing.conversations.length; start += CHUNK_SIZE, index += 1) {
    const chunk = listing.conversations.slice(start, start + CHUNK_SIZE);
    const counts: ChunkCounts = { messages: 0, conversationsInWindow: 0, conversationFailures: 0, conversationsGone: 0, messagesShort: 0, invalid: 0, nodesFetched: 0, nodeFailures: 0 };
    let done = 0;
    const records = await mapBounded(chunk, concurrency, async (conversation) => {
      const collected = await collectConversation(api, dify, plan, mode, window, conversation, counts);
      done += 1;
      // Liveness only (the resume point is the chunk), so once a second is plenty.
      if (Date.now() - lastBeat >= 1000) {
        lastBeat = Date.now();
        heartbeat({ ...progress, inChunk: done });
      }
      return collected;
    });
    const name = chunkFileName(index, tag);
    await writeNdjsonGz(path.join(chatDir, name), [counts, ...records.flat()]);
    progress = { ...progress, chunksDone: index + 1, chunks: [...(progress.chunks ?? []), name] };
    heartbeat(progress);
  }

  const totals: ChunkCounts = { messages: 0, conversationsInWindow: 0, conversationFailures: 0, conversationsGone: 0, messagesShort: 0, invalid: 0, nodesFetched: 0, nodeFailures: 0 };
  async function* merged(): AsyncGenerator<CollectedMessage> {
    // Exactly the chunks this attempt saved or resumed from, whatever other attempts left beside them.
    for (const name of progress.chunks ?? []) {
      let first = true;
      for await (const value of readNdjsonGz(path.join(chatDir, name))) {
        if (first) {
          const counts = chatChunkCountsSchema.parse(value);
          for (const key of Object.keys(totals) as (keyof ChunkCounts)[]) totals[key] += counts[key];
          first = false;
          continue;
        }
        yield value as CollectedMessage;
      }
    }
  }
  // Named for this attempt: an earlier attempt still running can never replace it.
  const file = `${plan.workDir}/${attemptFileName('runs', '.ndjson.gz', tag)}`;
  const fetched = await writeNdjsonGz(resolveInside(outputDir, file), merged());
  const invalid = totals.invalid + listing.invalid.length;
  return {
    logs: {
      expected: fetched,
      fetched,
      duplicates: 0,
      invalid,
      pages: listing.pages,
      file: `${plan.workDir}/chat/conversations.ndjson.gz`,
      chat: {
        mode,
        conversationsExpected: listing.expected,
        conversationsListed: listing.conversations.length,
        conversationsInWindow: totals.conversationsInWindow,
        conversationFailures: totals.conversationFailures,
        conversationsGone: totals.conversationsGone,
        messagesShort: totals.messagesShort,
      },
    },
    details: { runs: fetched, detailsFetched: fetched, detailFailures: 0, nodesFetched: totals.nodesFetched, nodeFailures: totals.nodeFailures, file },
  };
}
