import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { prepareReport, startReport } from '../client/report';
import { rerenderReport } from '../client/rerender';
import type { ReportSummary } from '../common/contracts';
import { loadSettings, type Settings } from '../config/load';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import type { DifyStore } from '../simulator/store';
import { generateChatApp } from '../simulator/generate-chat';
import { fixtureChatApp, type FixtureMessage } from './fixtures/chat-store';
import { FIXTURE_APP_ID, FIXTURE_CONSOLE, FIXTURE_TOKEN, fixtureLog } from './fixtures/store-builder';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';

/**
 * Chat apps end to end on a real Temporal dev server against the simulated Dify, figures
 * asserted exactly. Window 2025-03-01..02 in Asia/Shanghai; the console account's zone is
 * New York, so the conversation filter must be sent in another zone than the report's.
 */

const CHAT_APP_ID = '0c6f2c1e-3a4d-4e5f-8a9b-1c2d3e4f5a70';
const CHAT_TOKEN = 'app-fixture-chat-0001';
const c = (n: number): string => `cccccccc-0000-4000-8000-${String(n).padStart(12, '0')}`;

const MESSAGES: FixtureMessage[] = [
  { n: 1, conversation: c(1), user: 'alice', at: '2025-03-01T09:00:00+08:00', question: '怎么退款?', rating: 'like' },
  { n: 2, conversation: c(1), user: 'alice', at: '2025-03-01T09:05:00+08:00', rating: 'dislike', comment: '答非所问' },
  { n: 3, conversation: c(1), user: 'alice', at: '2025-03-01T23:59:30+08:00' },
  // The same conversation after midnight: a session of both days.
  { n: 4, conversation: c(1), user: 'alice', at: '2025-03-02T00:00:10+08:00', rating: 'like' },
  {
    n: 5,
    conversation: c(2),
    user: 'bob',
    at: '2025-03-01T10:00:00+08:00',
    tokens: 100,
    latency: 2,
    price: { amount: '0.0020000', currency: 'USD' },
    cited: [
      { dataset_name: 'Refund policy', document_name: 'refunds.md', score: 0.91, content: 'Refunds take 7 days.' },
      { dataset_name: 'Refund policy', document_name: 'faq.md', score: 0.42, content: 'Contact support, please.' },
    ],
    files: ['invoice.pdf'],
  },
  { n: 6, conversation: c(2), user: 'bob', at: '2025-03-01T10:01:00+08:00', admin: 'dislike' },
  { n: 7, conversation: c(3), user: 'carol', at: '2025-03-02T08:00:00+08:00', error: 'Model quota exceeded' },
  // Exactly at the window end: the next day's. Its conversation started before the window.
  { n: 8, conversation: c(4), user: 'dave', at: '2025-02-28T23:00:00+08:00' },
  { n: 9, conversation: c(4), user: 'dave', at: '2025-03-03T00:00:00+08:00' },
  // Last updated two days before the window: never walked.
  { n: 10, conversation: c(5), user: 'erin', at: '2025-02-27T12:00:00+08:00' },
  // Started before the window, continued inside it: its second question.
  { n: 11, conversation: c(6), user: 'frank', at: '2025-02-28T22:00:00+08:00' },
  { n: 12, conversation: c(6), user: 'frank', at: '2025-03-01T12:00:00+08:00', question: 'and then?' },
];

function csvRows(content: string): string[][] {
  return parse(content.replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];
}

/** Generated apps of the other chat modes (the simulator's generator), 2025-02-28..03-03 Asia/Shanghai. */
const GENERATED = (['chat', 'agent-chat'] as const).map((mode, at) =>
  generateChatApp(
    { id: `0c6f2c1e-3a4d-4e5f-8a9b-1c2d3e4f5a8${at}`, apiToken: `app-generated-${mode}-0001`, name: `Generated ${mode}`, mode },
    { date: '2025-02-28', days: 4, timezone: 'Asia/Shanghai', conversationsPerDay: 6, seed: 7 },
  ),
);

function store(): DifyStore {
  return {
    apps: [
      ...GENERATED,
      fixtureChatApp({ id: CHAT_APP_ID, token: CHAT_TOKEN, name: 'Helpdesk chat', mode: 'advanced-chat', messages: MESSAGES }),
      {
        id: FIXTURE_APP_ID,
        name: 'Fixture app',
        mode: 'workflow',
        apiToken: FIXTURE_TOKEN,
        status: 'normal',
        enableApi: true,
        logs: [fixtureLog({ n: 1, at: '2025-03-01T10:00:00+08:00', user: 'alice', elapsed: 2, tokens: 100 })],
      },
    ],
    consoleUsers: [{ id: '66666666-0000-4000-8000-000000000001', name: 'Ops', timezone: 'America/New_York', ...FIXTURE_CONSOLE }],
  };
}

describe('chat apps end to end (simulated Dify, real Temporal)', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let settings: Settings;
  let worker: RunningWorker;

  before(async () => {
    env = await startTemporal();
    dify = await startDifyServer({ store: store(), profile: '1.14.1' });
    const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-chat-'));
    const configFile = path.join(outputDir, 'apps.json');
    // A chat app and a workflow app of the same Dify on one worker.
    const app = (key: string, id: string, tokenEnv: string) => ({
      key,
      difyBaseUrl: dify.url,
      apiTokenEnv: tokenEnv,
      consoleAppId: id,
      console: { emailEnv: 'CONSOLE_EMAIL', passwordEnv: 'CONSOLE_PASSWORD' },
      timezone: 'Asia/Shanghai',
    });
    const generated = GENERATED.map((chat) => app(chat.mode, chat.id, `GENERATED_${chat.mode.replace('-', '_').toUpperCase()}_TOKEN`));
    await writeFile(configFile, JSON.stringify({ apps: [app('helpdesk', CHAT_APP_ID, 'CHAT_TOKEN'), app('flow', FIXTURE_APP_ID, 'FLOW_TOKEN'), ...generated] }));
    settings = loadSettings({
      DIFYSCOPE_CONFIG: configFile,
      CHAT_TOKEN,
      FLOW_TOKEN: FIXTURE_TOKEN,
      ...Object.fromEntries(GENERATED.map((chat) => [`GENERATED_${chat.mode.replace('-', '_').toUpperCase()}_TOKEN`, chat.apiToken])),
      CONSOLE_EMAIL: FIXTURE_CONSOLE.email,
      CONSOLE_PASSWORD: FIXTURE_CONSOLE.password,
      OUTPUT_DIR: outputDir,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('chat'),
    });
    worker = await startTestWorker(env, settings);
  });

  after(async () => {
    await worker?.stop();
    await dify?.close();
    await env?.teardown();
  });

  const report = async (app: string, locale?: string): Promise<ReportSummary> =>
    (await startReport(env.client, settings, prepareReport(settings, { app, from: '2025-03-01', to: '2025-03-02', locale }))).result();

  it('counts messages, conversations, users and satisfaction exactly, by day', { timeout: 120_000 }, async () => {
    const summary = await report('helpdesk');
    assert.deepEqual(
      { messages: summary.runs, failed: summary.failed, users: summary.users, conversations: summary.sessions, satisfaction: summary.satisfaction, mode: summary.mode, cost: summary.cost },
      { messages: 8, failed: 1, users: 4, conversations: 4, satisfaction: 0.6667, mode: 'advanced-chat', cost: { USD: 0.002 } },
    );
    // c(5) was last updated before the window: not listed, so not walked.
    assert.equal(summary.completeness.line, 'complete: 8 messages in 4 conversations, 5 of 5 conversations listed, messages of all read, node executions for all');

    const read = (name: string): Promise<string> => readFile(path.join(summary.folder, name), 'utf8');
    assert.deepEqual(csvRows(await read('overview.csv')), [
      ['window_start', 'window_end', 'timezone', 'runs', 'users', 'sessions', 'avg_interactions', 'token_speed', 'satisfaction', 'cost', 'currency'],
      ['2025-03-01T00:00:00+08:00', '2025-03-03T00:00:00+08:00', 'Asia/Shanghai', '8', '4', '4', '2', '11.11', '0.6667', '0.002', 'USD'],
    ]);
    assert.deepEqual(csvRows(await read('daily.csv')), [
      ['date', 'runs', 'succeeded', 'failed', 'users', 'tokens', 'cost', 'currency', 'p50_elapsed_s', 'p95_elapsed_s', 'conversations', 'satisfaction', 'likes', 'dislikes', 'admin_likes', 'admin_dislikes'],
      ['2025-03-01', '6', '6', '0', '3', '100', '0.002', 'USD', '1', '2', '3', '0.5', '1', '1', '0', '1'],
      ['2025-03-02', '2', '1', '1', '2', '0', '0', 'USD', '1', '1', '2', '1', '1', '0', '0', '0'],
    ]);
    assert.deepEqual(csvRows(await read('conversations.csv')).map((row) => [row[0], row[2], row[3], row[4], row[5], row[8], row[9], row[10], row[11], row[12]]), [
      ['conversation_id', 'user_id', 'messages', 'first_position', 'last_position', 'likes', 'dislikes', 'satisfaction', 'admin_likes', 'admin_dislikes'],
      [c(1), 'alice', '4', '1', '4', '2', '1', '0.6667', '0', '0'],
      [c(2), 'bob', '2', '1', '2', '0', '0', '', '0', '1'],
      [c(6), 'frank', '1', '2', '2', '0', '0', '', '0', '0'],
      [c(3), 'carol', '1', '1', '1', '0', '0', '', '0', '0'],
    ]);
    assert.deepEqual(csvRows(await read('feedback.csv')).map((row) => row.slice(1, 7)), [
      ['message_id', 'conversation_id', 'user_id', 'source', 'rating', 'content'],
      ['77777777-0000-4000-8000-000000000001', c(1), 'alice', 'user', 'like', ''],
      ['77777777-0000-4000-8000-000000000002', c(1), 'alice', 'user', 'dislike', '答非所问'],
      ['77777777-0000-4000-8000-000000000006', c(2), 'bob', 'admin', 'dislike', ''],
      ['77777777-0000-4000-8000-000000000004', c(1), 'alice', 'user', 'like', ''],
    ]);
    const messages = csvRows(await read('messages.csv'));
    assert.deepEqual(messages.map((row) => [row[0]?.slice(-2), row[2], row[4]]), [
      ['id', 'position', 'status'],
      ['01', '1', 'normal'],
      ['02', '2', 'normal'],
      ['05', '1', 'normal'],
      ['06', '2', 'normal'],
      ['0c', '2', 'normal'],
      ['03', '3', 'normal'],
      ['04', '4', 'normal'],
      ['07', '1', 'error'],
    ]);

    const json = JSON.parse(await read('report.json')) as {
      chat: { ratings: unknown; daily: { date: string; conversations: number }[]; lengthDistribution: { label: string; conversations: number }[]; worstRated: { messageId: string; comment: string }[] };
      nodes: { nodeId: string; executions: number; failures: number }[];
    };
    assert.deepEqual(json.chat.ratings, { likes: 2, dislikes: 1, adminLikes: 0, adminDislikes: 1, satisfaction: 0.6667, adminSatisfaction: 0 });
    assert.deepEqual(json.chat.daily.map((day) => [day.date, day.conversations]), [['2025-03-01', 3], ['2025-03-02', 2]]);
    assert.deepEqual(json.chat.lengthDistribution.map((bucket) => [bucket.label, bucket.conversations]), [['1', 2], ['2', 1], ['3–5', 1], ['6–10', 0], ['11–20', 0], ['21+', 0]]);
    assert.deepEqual(json.chat.worstRated.map((answer) => [answer.messageId.slice(-2), answer.comment]), [['02', '答非所问'], ['06', '']]);
    // Node executions of the chatflow messages' runs.
    assert.deepEqual(json.nodes.map((node) => [node.nodeId, node.executions, node.failures]).sort(), [['answer', 8, 1], ['start', 8, 0]]);
    const markdown = await read('report.md');
    for (const line of ['| Satisfaction (end users) | 66.67% |', '## Worst-rated answers', '## Conversation length']) assert.ok(markdown.includes(line), line);
  });

  it('fills the four zh-CN sheets: satisfaction, conversations, question order and cited segments', { timeout: 120_000 }, async () => {
    const summary = await report('helpdesk', 'zh-CN');
    const read = (name: string): Promise<string> => readFile(path.join(summary.folder, `问答类应用数-${name}.csv`), 'utf8');
    assert.deepEqual(csvRows(await read('总览')), [
      ['开始日期', '结束日期', '全部消息数', '用户数', '全部会话数', '平均会话互动数', 'Token输出速度', '用户满意度', '费用消耗'],
      ['2025-03-01T00:00:00+08:00', '2025-03-03T00:00:00+08:00', '8', '4', '4', '2', '11.11', '66.67%', '0.002 USD'],
    ]);
    assert.deepEqual(csvRows(await read('每日消息数')), [['日期', '消息数量'], ['2025-03-01', '6'], ['2025-03-02', '2']]);
    assert.deepEqual(csvRows(await read('用户列表')), [
      ['用户ID', '消息数', '使用天数', '首次使用日期', '最后使用日期'],
      ['alice', '4', '2', '2025-03-01', '2025-03-02'],
      ['bob', '2', '1', '2025-03-01', '2025-03-01'],
      ['carol', '1', '1', '2025-03-02', '2025-03-02'],
      ['frank', '1', '1', '2025-03-01', '2025-03-01'],
    ]);
    const qa = csvRows(await read('用户问答对'));
    assert.equal(qa[0]?.length, 12);
    assert.deepEqual(qa[1], ['序号', '用户id', '会话id', '问题排序（同一个会话ID，提问先后顺序）', '用户提问', '附件名称：名称.后缀', 'AI回答', '知识库名称', '引用的文档名称', '文本片段内容1（相似度+文本内容）', '文本片段内容2（相似度+文本内容）', '创建时间']);
    assert.deepEqual(qa.slice(2).map((row) => row.slice(0, 5)), [
      ['1', 'alice', c(1), '1', '怎么退款?'],
      ['2', 'alice', c(1), '2', 'question 2'],
      ['3', 'bob', c(2), '1', 'question 5'],
      ['4', 'bob', c(2), '2', 'question 6'],
      ['5', 'frank', c(6), '2', 'and then?'],
      ['6', 'alice', c(1), '3', 'question 3'],
      ['7', 'alice', c(1), '4', 'question 4'],
      ['8', 'carol', c(3), '1', 'question 7'],
    ]);
    assert.deepEqual(qa[4]?.slice(5, 11), ['invoice.pdf', 'answer 5', 'Refund policy', 'refunds.md; faq.md', '0.9100 Refunds take 7 days.', '0.4200 Contact support, please.']);
  });

  it('re-renders a chat report from its raw records with the same figures and completeness', { timeout: 120_000 }, async () => {
    const summary = await report('helpdesk');
    const again = await rerenderReport(settings, summary.folder, { locale: 'zh-CN' });
    assert.deepEqual(
      { messages: again.runs, users: again.users, conversations: again.sessions, satisfaction: again.satisfaction, line: again.completeness.line },
      { messages: 8, users: 4, conversations: 4, satisfaction: 0.6667, line: summary.completeness.line },
    );
    const overview = csvRows(await readFile(path.join(again.folder, '问答类应用数-总览.csv'), 'utf8'));
    assert.deepEqual(overview[1]?.slice(2, 8), ['8', '4', '4', '2', '11.11', '66.67%']);
  });

  it('reports the generated chatbot and agent apps exactly', { timeout: 120_000 }, async () => {
    const from = Math.floor(Date.parse('2025-03-01T00:00:00+08:00') / 1000);
    const to = Math.floor(Date.parse('2025-03-03T00:00:00+08:00') / 1000);
    for (const chat of GENERATED) {
      const inWindow = (chat.conversations ?? []).flatMap((conversation) => conversation.messages.filter((message) => message.created_at >= from && message.created_at < to).map((message) => ({ conversation, message })));
      const ratings = inWindow.flatMap(({ message }) => message.feedbacks).filter((feedback) => feedback.from_source === 'user');
      const likes = ratings.filter((feedback) => feedback.rating === 'like').length;
      const summary = await report(chat.mode);
      assert.deepEqual(
        { mode: summary.mode, messages: summary.runs, failed: summary.failed, conversations: summary.sessions, users: summary.users, satisfaction: summary.satisfaction, complete: summary.completeness.complete },
        {
          mode: chat.mode,
          messages: inWindow.length,
          failed: inWindow.filter(({ message }) => message.status === 'error').length,
          conversations: new Set(inWindow.map(({ conversation }) => conversation.id)).size,
          users: new Set(inWindow.map(({ conversation }) => conversation.end_user.session_id)).size,
          satisfaction: ratings.length === 0 ? null : Number((likes / ratings.length).toFixed(4)),
          complete: true,
        },
      );
      assert.ok(inWindow.length > 10, `${chat.mode}: the generator made messages in the window`);
    }
  });

  it('reports a workflow app of the same worker as before', { timeout: 120_000 }, async () => {
    const summary = await report('flow');
    assert.equal(summary.mode, undefined);
    assert.deepEqual({ runs: summary.runs, users: summary.users }, { runs: 1, users: 1 });
    assert.equal(summary.completeness.line, 'complete: 1 of 1 runs fetched, details for all, node executions for all');
  });

  it('names the console settings a chat app needs', { timeout: 120_000 }, async () => {
    const bare = loadSettings({ DIFY_BASE_URL: dify.url, DIFY_API_TOKEN: CHAT_TOKEN, OUTPUT_DIR: settings.outputDir, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('chat-bare') });
    const bareWorker = await startTestWorker(env, bare);
    try {
      await assert.rejects(
        (await startReport(env.client, bare, prepareReport(bare, { from: '2025-03-01', to: '2025-03-01' }))).result(),
        (error: Error & { cause?: Error }) => {
          assert.match(error.cause?.message ?? error.message, /is an advanced-chat app, whose conversations Dify lists only in its console API: set DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD \(or DIFY_CONSOLE_TOKEN\) and DIFY_APP_ID/);
          return true;
        },
      );
    } finally {
      await bareWorker.stop();
    }
  });
});
