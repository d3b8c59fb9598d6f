import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { ChatApi } from '../../activities/dify/chat-api';
import { DifyClient } from '../../activities/dify/client';
import { prepareReport, startReport } from '../../client/report';
import type { ReportSummary } from '../../common/contracts';
import { loadSettings, type Settings } from '../../config/load';
import { dailyReportWorkflow } from '../../workflows';
import { startTemporal, uniqueTaskQueue } from '../helpers/temporal';
import { startTestWorker, type RunningWorker } from '../helpers/worker';
import { sharedDir } from './real-dify';
import { liveDify, type LiveDify, type Seed } from './harness';

/**
 * Reports of the seeded advanced-chat (chatflow) app on a real Dify 1.14.1, on a real Temporal
 * dev server, with only the settings a user has: URL, app key, app id, console e-mail and
 * password. Every figure is compared with what seeding recorded.
 */

const TEMPLATES = path.join(sharedDir(), 'seeds', 'templates');

interface ReportJson {
  completeness: { complete: boolean; line: string; fetched: number };
  figures: { runs: number; users: number; sessions: number; satisfaction: number | null };
  sessions: { total: number; avgInteractions: number | null };
  nodes: { nodeId: string; nodeType: string; executions: number; failures: number }[];
  chat: { ratings: { likes: number; dislikes: number; adminLikes: number; adminDislikes: number; satisfaction: number | null }; conversations: number; daily: { date: string; conversations: number }[] };
}

function csvRows(content: string): string[][] {
  return parse(content.replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];
}

/** What the seeding recorded, as the report should count it. */
function expected(seed: Seed) {
  const likes = seed.feedback.filter((feedback) => feedback.rating === 'like').length;
  const dislikes = seed.feedback.filter((feedback) => feedback.rating === 'dislike').length;
  return {
    messages: seed.messages.length,
    conversations: new Set(seed.messages.map((message) => message.conversationId)).size,
    users: new Set(seed.messages.map((message) => message.user)).size,
    likes,
    dislikes,
    satisfaction: likes + dislikes === 0 ? null : Number((likes / (likes + dislikes)).toFixed(4)),
  };
}

describe('chat app reports from a real Dify, with only URL, key, app id, e-mail and password', () => {
  let live: LiveDify;
  let env: TestWorkflowEnvironment;
  let worker: RunningWorker;
  let settings: Settings;
  /** Dify's own created_at of every seeded message, read back through the console. */
  const createdAt = new Map<string, number>();

  before(async () => {
    live = await liveDify();
    env = await startTemporal();
    const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-live-chat-'));
    settings = loadSettings({ ...live.chatEnv, OUTPUT_DIR: outputDir, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('live-chat') });
    worker = await startTestWorker(env, settings);
    const app = settings.apps[0];
    assert.ok(app);
    const dify = new DifyClient({ ...app.dify });
    try {
      const api = new ChatApi(dify, app.dify.appId);
      for (const conversation of live.seed.conversations) {
        for (const message of (await api.messagesPage(conversation.id, undefined)).items) createdAt.set(message.id, message.created_at);
      }
    } finally {
      await dify.close();
    }
  });

  after(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  it('a daily report holds exactly the seeded messages, conversations, users and satisfaction; the four zh-CN sheets are filled', { timeout: 600_000 }, async () => {
    assert.deepEqual(Object.keys(live.chatEnv).sort(), ['DIFY_API_TOKEN', 'DIFY_APP_ID', 'DIFY_BASE_URL', 'DIFY_CONSOLE_EMAIL', 'DIFY_CONSOLE_PASSWORD']);
    const want = expected(live.seed);
    const zone = 'UTC';
    const days = [...new Set(live.seed.messages.map((message) => DateTime.fromSeconds(createdAt.get(message.id) ?? 0, { zone }).toISODate() ?? ''))].sort();
    assert.equal(createdAt.size, want.messages, 'every seeded message is listed by the console');
    // Seeding takes a minute or two; a run across UTC midnight is reported as a two-day range instead.
    let summary: ReportSummary;
    if (days.length === 1) {
      const at = DateTime.fromISO(days[0] ?? '', { zone }).plus({ days: 1, hours: 8 }).toISO() ?? '';
      const result = await env.client.workflow.execute(dailyReportWorkflow, {
        taskQueue: settings.temporal.taskQueue,
        // The report itself runs as the child `daily/default/<day>`.
        workflowId: `scheduled-daily/default/${days[0]}`,
        args: [{ app: 'default', timezone: zone, at }],
      });
      assert.ok('runs' in result, 'the daily report ran');
      summary = result;
      assert.equal(summary.window.kind, 'daily');
    } else {
      summary = await (await startReport(env.client, settings, prepareReport(settings, { from: days[0] ?? '', to: days[days.length - 1] ?? '' }))).result();
    }

    assert.deepEqual(
      { messages: summary.runs, conversations: summary.sessions, users: summary.users, satisfaction: summary.satisfaction, mode: summary.mode },
      { messages: want.messages, conversations: want.conversations, users: want.users, satisfaction: want.satisfaction, mode: 'advanced-chat' },
    );
    assert.equal(summary.completeness.line, `complete: ${want.messages} messages in ${want.conversations} conversations, ${want.conversations} of ${want.conversations} conversations listed, messages of all read, node executions for all`);

    const report = JSON.parse(await readFile(path.join(summary.folder, 'report.json'), 'utf8')) as ReportJson;
    assert.deepEqual(report.chat.ratings, { likes: want.likes, dislikes: want.dislikes, adminLikes: 0, adminDislikes: 0, satisfaction: want.satisfaction, adminSatisfaction: null });
    assert.equal(report.chat.conversations, want.conversations);
    assert.equal(report.sessions.avgInteractions, Number((want.messages / want.conversations).toFixed(2)));
    // Node executions of the chatflow messages: every message's run passed Start and Answer.
    assert.deepEqual(Object.fromEntries(report.nodes.map((node) => [node.nodeType, { executions: node.executions, failures: node.failures }])), {
      start: { executions: want.messages, failures: 0 },
      answer: { executions: want.messages, failures: 0 },
    });

    // messages.csv: every seeded message once, with its conversation, user and rating.
    const messages = csvRows(await readFile(path.join(summary.folder, 'messages.csv'), 'utf8'));
    const header = messages[0] ?? [];
    const column = (name: string): number => header.indexOf(name);
    const byId = new Map(messages.slice(1).map((row) => [row[column('message_id')] ?? '', row]));
    assert.equal(byId.size, want.messages);
    for (const message of live.seed.messages) {
      const row = byId.get(message.id);
      assert.ok(row, `message ${message.id} is in messages.csv`);
      assert.equal(row[column('conversation_id')], message.conversationId);
      assert.equal(row[column('user_id')], message.user);
      assert.equal(row[column('user_rating')], message.feedback?.rating ?? '');
      assert.equal(row[column('feedback')], message.feedback?.content ?? '');
      assert.match(row[column('workflow_run_id')] ?? '', /^[0-9a-f-]{36}$/);
    }
    const feedback = csvRows(await readFile(path.join(summary.folder, 'feedback.csv'), 'utf8'));
    assert.equal(feedback.length - 1, live.seed.feedback.length);
    const conversations = csvRows(await readFile(path.join(summary.folder, 'conversations.csv'), 'utf8'));
    assert.deepEqual(conversations.slice(1).map((row) => row[0]).sort(), [...new Set(live.seed.messages.map((message) => message.conversationId))].sort());

    // The same window in zh-CN: the four business sheets, headers byte for byte, filled.
    const zh = await (
      await startReport(env.client, settings, prepareReport(settings, { from: summary.window.from, to: summary.window.to, locale: 'zh-CN' }))
    ).result();
    const sheet = (name: string): Promise<string> => readFile(path.join(zh.folder, `问答类应用数-${name}.csv`), 'utf8');
    for (const name of ['总览', '每日消息数', '用户列表']) {
      const template = await readFile(path.join(TEMPLATES, `问答类应用数-${name}.csv`), 'utf8');
      assert.equal((await sheet(name)).split('\r\n')[0], template.split('\r\n')[0], `${name}: header as in the template`);
    }
    const qaTemplate = (await readFile(path.join(TEMPLATES, '问答类应用数-用户问答对.csv'), 'utf8')).split('\r\n');
    const qaText = await sheet('用户问答对');
    assert.equal(qaText.split('\r\n')[0], '\uFEFF' + ','.repeat(10), 'the blank first row');
    assert.equal(
      csvRows(qaText)[1]?.join(','),
      (qaTemplate[1] ?? '').replace(',文本片段内容2（相似度+文本内容）,文本片段内容N（相似度+文本内容）', ''),
      'Q&A header as in the template, with one segment column',
    );

    const overview = csvRows(await sheet('总览'));
    assert.deepEqual(overview[1]?.slice(2), [
      String(want.messages),
      String(want.users),
      String(want.conversations),
      String(Number((want.messages / want.conversations).toFixed(2))),
      '0',
      want.satisfaction === null ? '' : `${Number((want.satisfaction * 100).toFixed(2))}%`,
      '',
    ]);
    const daily = csvRows(await sheet('每日消息数'));
    assert.equal(daily.slice(1).reduce((sum, row) => sum + Number(row[1]), 0), want.messages);
    const users = csvRows(await sheet('用户列表'));
    const perUser = new Map<string, number>();
    for (const message of live.seed.messages) perUser.set(message.user, (perUser.get(message.user) ?? 0) + 1);
    assert.deepEqual(new Map(users.slice(1).map((row) => [row[0] ?? '', Number(row[1])])), perUser);

    // Q&A pairs: one row per message; session = conversation, order = place in the conversation.
    const qa = csvRows(qaText).slice(2);
    assert.equal(qa.length, want.messages);
    const place = new Map(live.seed.conversations.flatMap((conversation) => conversation.messageIds.map((id, at) => [id, at + 1] as const)));
    const byQuestion = new Map(live.seed.messages.map((message) => [`${message.conversationId}/${place.get(message.id)}`, message]));
    for (const row of qa) {
      const atPlace = byQuestion.get(`${row[2]}/${row[3]}`);
      assert.ok(atPlace, `Q&A row ${row[0]}: conversation ${row[2]}, question ${row[3]} is a seeded message`);
      // Dify orders a conversation by created_at, which its API gives in whole seconds and which
      // can tie (one database transaction's time): two messages of one second may trade places.
      const message = live.seed.messages.find((candidate) => candidate.conversationId === row[2] && candidate.query === row[4] && candidate.answer === row[6]);
      assert.ok(message, `Q&A row ${row[0]} is a seeded question and answer of conversation ${row[2]}`);
      if (message.id !== atPlace.id) assert.equal(createdAt.get(message.id), createdAt.get(atPlace.id), `Q&A row ${row[0]}: out of sending order only within one second`);
      assert.equal(row[1], message.user);
    }
    const places = new Map<string, number[]>();
    for (const row of qa) places.set(row[2] ?? '', [...(places.get(row[2] ?? '') ?? []), Number(row[3])]);
    for (const [conversation, seen] of places) assert.deepEqual(seen.sort((a, b) => a - b), seen.map((_, at) => at + 1), `places 1..n in conversation ${conversation}`);
  });

  it('a message at exactly the window end belongs to the next window; a conversation on both sides is a session of both', { timeout: 600_000 }, async () => {
    const want = expected(live.seed);
    const times = [...createdAt.values()].sort((a, b) => a - b);
    const first = times[0] ?? 0;
    const last = times[times.length - 1] ?? 0;
    // A split point that falls inside at least one conversation: the creation time of a later message of it.
    const conversation = live.seed.conversations.find((candidate) => {
      const own = candidate.messageIds.map((id) => createdAt.get(id) ?? 0);
      return own.some((at) => at > Math.min(...own));
    });
    assert.ok(conversation, 'a seeded conversation whose messages span more than one second');
    const own = conversation.messageIds.map((id) => createdAt.get(id) ?? 0);
    const split = own.find((at) => at > Math.min(...own)) ?? 0;
    const iso = (seconds: number): string => DateTime.fromSeconds(seconds, { zone: 'UTC' }).toISO({ suppressMilliseconds: true }) ?? '';

    const before = await (await startReport(env.client, settings, prepareReport(settings, { from: iso(first), to: iso(split) }))).result();
    const afterSplit = await (await startReport(env.client, settings, prepareReport(settings, { from: iso(split), to: iso(last + 1) }))).result();

    const earlier = [...createdAt.entries()].filter(([, at]) => at < split);
    const later = [...createdAt.entries()].filter(([, at]) => at >= split);
    assert.ok(later.some(([id]) => createdAt.get(id) === split), 'some message sits exactly at the split');
    const conversationOf = new Map(live.seed.messages.map((message) => [message.id, message.conversationId]));
    const sessions = (entries: [string, number][]): number => new Set(entries.map(([id]) => conversationOf.get(id))).size;
    assert.deepEqual({ messages: before.runs, conversations: before.sessions }, { messages: earlier.length, conversations: sessions(earlier) });
    assert.deepEqual({ messages: afterSplit.runs, conversations: afterSplit.sessions }, { messages: later.length, conversations: sessions(later) });
    assert.equal(before.runs + afterSplit.runs, want.messages, 'no message in both windows, none in neither');
    // The conversation on both sides of the split is counted in both windows.
    assert.ok((before.sessions ?? 0) + (afterSplit.sessions ?? 0) > want.conversations);
    const beforeIds = csvRows(await readFile(path.join(before.folder, 'messages.csv'), 'utf8')).slice(1).map((row) => row[0]);
    for (const [id, at] of later) if (at === split) assert.ok(!beforeIds.includes(id), `message ${id} at exactly the window end is not in the earlier window`);
  });
});
