import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import type { CollectedMessage } from '../common/dify-chat-schemas';
import type { Completeness, ReportSummary } from '../common/contracts';
import type { ReportContext } from '../reports';
import { renderReport } from './helpers/render-report';
import { evaluateAlerts } from '../reports/alerts';
import { changesAgainst } from '../reports/changes';
import { redactionFrom } from '../reports/redact';
import { rangeWindow } from '../common/window';

/**
 * Chat reports from collected messages, without Temporal: redaction of everything a chat app
 * adds (conversation names, feedback comments, cited segments), alert rules on satisfaction,
 * and the change of satisfaction against the previous period.
 */

const WINDOW = rangeWindow('2025-03-01', '2025-03-01', 'Asia/Shanghai');
const COMPLETE: Completeness = { level: 'logs', expected: 3, fetched: 3, duplicates: 0, invalid: 0, detailFailures: 0, nodeFailures: 0, complete: true, line: 'complete' };
const AT = 1740794400; // 2025-03-01T10:00:00+08:00

function message(n: number, overrides: { user?: string; rating?: 'like' | 'dislike'; comment?: string; name?: string; query?: string; cited?: string } = {}): CollectedMessage {
  const user = overrides.user ?? '13812345678';
  return {
    kind: 'chat-message',
    mode: 'chat',
    message: {
      id: `77777777-0000-4000-8000-00000000000${n}`,
      conversation_id: 'cccccccc-0000-4000-8000-000000000001',
      inputs: {},
      query: overrides.query ?? `my mail is zhang.san@example.com (${n})`,
      answer: 'call 139 1234 5678',
      created_at: AT + n,
      provider_response_latency: 1,
      feedbacks: overrides.rating ? [{ rating: overrides.rating, content: overrides.comment ?? null, from_source: 'user' }] : [],
      metadata: overrides.cited ? { retriever_resources: [{ dataset_name: 'KB', document_name: 'doc.md', score: 0.5, content: overrides.cited }] } : null,
      status: 'normal',
    },
    conversation: { id: 'cccccccc-0000-4000-8000-000000000001', name: overrides.name ?? `Question from ${user}`, sessionId: user, endUserId: 'eu-1', accountName: null, messageCount: 3 },
    position: n,
    nodes: null,
    problems: [],
  };
}

function context(redaction: { userIds: boolean; text: boolean; qaText: 'keep' | 'drop' }): ReportContext {
  return {
    appKey: 'chat',
    appName: 'Chat',
    window: WINDOW,
    generatedAt: '2025-03-02T08:00:00+08:00',
    locale: 'en',
    formats: ['csv', 'md', 'json', 'html'],
    questionFields: ['query', 'sys.query'],
    answerFields: ['text', 'answer'],
    answerMaxLength: 500,
    completeness: COMPLETE,
    redaction: redactionFrom(redaction, 'chat-key'),
  };
}

const MESSAGES = [
  message(1, { rating: 'like', name: 'Order of 13812345678' }),
  message(2, { rating: 'dislike', comment: 'wrong, mail me at zhang.san@example.com', cited: 'contact 13912345678' }),
  message(3),
];

function csv(files: readonly { name: string; content: string }[], name: string): string[][] {
  const file = files.find((candidate) => candidate.name === name);
  assert.ok(file, `${name} missing`);
  return parse(file.content, { bom: true, relax_column_count: true }) as string[][];
}

describe('chat reports without Temporal', () => {
  it('hashes user ids and masks every chat text: conversation names, comments, cited segments', () => {
    const report = renderReport(MESSAGES, context({ userIds: true, text: true, qaText: 'keep' }));
    for (const file of report.files) {
      for (const secret of ['13812345678', 'zhang.san@example.com', '139 1234 5678', '13912345678']) assert.ok(!file.content.includes(secret), `${file.name} holds ${secret}`);
    }
    const conversations = csv(report.files, 'conversations.csv');
    assert.match(conversations[1]?.[1] ?? '', /^Order of u_[0-9a-f]{12}$/);
    assert.match(conversations[1]?.[2] ?? '', /^u_[0-9a-f]{12}$/);
    assert.equal(csv(report.files, 'feedback.csv')[2]?.[6], 'wrong, mail me at [email]');
    assert.equal(csv(report.files, 'qa-pairs.csv')[2]?.[9], '0.5000 contact [phone]');
    assert.equal(report.figures.satisfaction, 0.5);
  });

  it('drops Q&A text from the chat sheets too, keeping counts and ratings', () => {
    const report = renderReport(MESSAGES, context({ userIds: false, text: false, qaText: 'drop' }));
    assert.deepEqual(csv(report.files, 'feedback.csv').slice(1).map((row) => row.slice(4)), [
      ['user', 'like', '', '', ''],
      ['user', 'dislike', '', '', ''],
    ]);
    assert.equal(csv(report.files, 'conversations.csv')[1]?.[1], '');
    assert.equal(csv(report.files, 'qa-pairs.csv')[2]?.[9], '');
    assert.deepEqual(report.aggregates.chat?.ratings, { likes: 1, dislikes: 1, adminLikes: 0, adminDislikes: 0, satisfaction: 0.5, adminSatisfaction: null });
    const json = report.files.find((file) => file.name === 'report.json')?.content ?? '';
    assert.ok(!json.includes('"question"'), 'worst-rated answers without question and answer');
  });

  it('alerts on satisfaction below a threshold; a workflow app or a window nobody rated breaches nothing', () => {
    const base = { runs: 3, failed: 0, users: 1, totalTokens: 0, p95ElapsedSeconds: 1 } as ReportSummary;
    assert.deepEqual(evaluateAlerts(['satisfaction < 0.8', 'conversations < 5'], { ...base, mode: 'chat', sessions: 1, satisfaction: 0.5 }).map((alert) => alert.message), [
      'satisfaction < 0.8 (actual 0.5)',
      'conversations < 5 (actual 1)',
    ]);
    assert.deepEqual(evaluateAlerts(['satisfaction < 0.8'], { ...base, mode: 'chat', sessions: 1, satisfaction: null }), []);
    assert.deepEqual(evaluateAlerts(['satisfaction < 0.8', 'conversations < 5'], base), []);
  });

  it('compares satisfaction with the previous period', () => {
    const figures = renderReport(MESSAGES, context({ userIds: false, text: false, qaText: 'keep' })).figures;
    const change = changesAgainst(figures, { ...figures, satisfaction: 0.75 }).find((candidate) => candidate.figure === 'satisfaction');
    assert.deepEqual(change, { figure: 'satisfaction', current: 0.5, previous: 0.75, delta: -0.25, deltaPercent: -33.3 });
  });
});
