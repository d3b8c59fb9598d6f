import { DateTime } from 'luxon';
import { z } from 'zod';
import type { DifyClient } from './client';
import { describeIssues, DifyError } from './errors';
import {
  accountProfileSchema,
  chatConversationPageSchema,
  chatConversationSchema,
  chatMessagePageSchema,
  chatMessageSchema,
  type ChatConversation,
  type ChatMessage,
  type InvalidItem,
} from '../../common/dify-chat-schemas';

/**
 * Chat apps (`advanced-chat` chatflows, `chat` chatbots, `agent-chat` agents) through the
 * console API. Their messages never reach `/v1/workflows/logs` (it answers `total: 0` for
 * them), and the service API's `/v1/conversations` and `/v1/messages` only show one `user` at
 * a time (no `user`: an empty list, not an error), so they cannot list an app: chat apps need
 * console credentials and the app id. The answers' schemas are in common/dify-chat-schemas.ts.
 */

export const CHAT_MODES = ['advanced-chat', 'chat', 'agent-chat'] as const;
export type ChatMode = (typeof CHAT_MODES)[number];

export function isChatMode(mode: string | null | undefined): mode is ChatMode {
  return (CHAT_MODES as readonly string[]).includes(mode ?? '');
}

/** Dify's largest page size for both listings. */
export const CHAT_PAGE_SIZE = 100;

function parsed<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new DifyError('schema', `Dify's answer for ${what} has an unexpected shape (${describeIssues(result.error)}); is DIFY_BASE_URL a Dify server of a supported version?`, {
      retryable: false,
      setting: 'DIFY_BASE_URL',
    });
  }
  return result.data;
}

/** Valid items parsed, the others set aside: one odd record must not sink a whole report. */
function parseItems<S extends z.ZodType>(schema: S, data: readonly unknown[]): { items: z.output<S>[]; invalid: InvalidItem[] } {
  const items: z.output<S>[] = [];
  const invalid: InvalidItem[] = [];
  for (const raw of data) {
    const result = schema.safeParse(raw);
    if (result.success) items.push(result.data);
    else {
      const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
      invalid.push({ id: typeof id === 'string' ? id : null, reason: describeIssues(result.error) });
    }
  }
  return { items, invalid };
}

/** What a chat app's collection needs from Dify: the profile's zone, conversations and messages. */
export class ChatApi {
  constructor(
    private readonly dify: DifyClient,
    private readonly appId: string | undefined,
  ) {}

  private appPath(suffix: string): string {
    if (!this.appId) throw new DifyError('config', 'chat apps are read through the console API: set DIFY_APP_ID (the app id in the console URL)', { retryable: false, setting: 'DIFY_APP_ID' });
    return `/console/api/apps/${encodeURIComponent(this.appId)}/${suffix}`;
  }

  /** The console account's time zone: Dify reads the conversation filters `start`/`end` in it. */
  async accountTimezone(): Promise<string> {
    const profile = parsed(accountProfileSchema, await this.dify.consoleJson('/console/api/account/profile', {}, 'the console account profile'), 'the console account profile');
    return profile.timezone && profile.timezone.trim() !== '' ? profile.timezone : 'UTC';
  }

  /**
   * One page of conversations updated at or after `updatedSince` (`YYYY-MM-DD HH:MM` in the
   * account's zone, see `consoleMinute`), newest update first. No `end` filter: it would
   * apply to `updated_at` too and drop a conversation that had messages in the window and
   * more after it.
   */
  async conversationsPage(page: number, updatedSince: string): Promise<{ total: number; hasMore: boolean; items: ChatConversation[]; invalid: InvalidItem[] }> {
    const what = `chat conversations page ${page}`;
    const envelope = parsed(
      chatConversationPageSchema,
      await this.dify.consoleJson(this.appPath('chat-conversations'), { page, limit: CHAT_PAGE_SIZE, sort_by: '-updated_at', start: updatedSince }, what),
      what,
    );
    const { items, invalid } = parseItems(chatConversationSchema, envelope.data);
    return { total: envelope.total, hasMore: envelope.has_more, items, invalid };
  }

  /** Up to 100 messages of a conversation before `firstId` (the newest when absent), oldest first. */
  async messagesPage(conversationId: string, firstId: string | undefined): Promise<{ hasMore: boolean; items: ChatMessage[]; invalid: InvalidItem[] }> {
    const what = `messages of conversation ${conversationId}`;
    const envelope = parsed(
      chatMessagePageSchema,
      await this.dify.consoleJson(this.appPath('chat-messages'), { conversation_id: conversationId, limit: CHAT_PAGE_SIZE, first_id: firstId }, what),
      what,
    );
    const { items, invalid } = parseItems(chatMessageSchema, envelope.data);
    return { hasMore: envelope.has_more, items, invalid };
  }
}

/**
 * `YYYY-MM-DD HH:MM` for Dify's conversation filters: the minute at or before `instant` in
 * `zone`. Dify parses it with pytz and takes the later of two readings of an ambiguous local
 * time (DST end); when that reading lies after `instant`, an hour earlier is sent instead, so
 * the filter never starts after the instant asked for.
 */
export function consoleMinute(instant: DateTime, zone: string): string {
  const format = (at: DateTime): string => at.setZone(zone).toFormat('yyyy-MM-dd HH:mm');
  const text = format(instant);
  const readings = [0, 1, -1].map((hours) => instant.plus({ hours })).filter((at) => format(at) === text);
  return readings.some((at) => at > instant) ? format(instant.minus({ hours: 1 })) : text;
}
