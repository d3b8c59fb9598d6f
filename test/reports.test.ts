import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Completeness } from '../common/contracts';
import type { ReportContext, ReportFigures } from '../reports';
import { renderReport } from './helpers/render-report';
import { errorSignature } from '../reports/errors';
import { percentile } from '../reports/numbers';
import { truncate } from '../reports/qa';
import { rangeWindow } from '../common/window';
import { fixtureRuns, TIMEOUT_ERROR_3 } from './fixtures/report-runs';
import { TEMPLATE_HEAD_HEX } from './fixtures/report-templates';

/**
 * Golden tests of the report renderer. Every expected number is worked out by hand from the
 * fixture (test/fixtures/report-runs.ts); the arithmetic is in the comments, not in code, so a
 * wrong formula in reports/ cannot also make its own expectation.
 */

const WINDOW = rangeWindow('2025-03-01', '2025-03-03', 'Asia/Shanghai');
const INCOMPLETE: Completeness = {
  level: 'nodes',
  expected: 10,
  fetched: 10,
  duplicates: 0,
  invalid: 0,
  detailFailures: 1,
  nodeFailures: 1,
  complete: false,
  line: 'INCOMPLETE: 10 of 10 runs fetched, 1 details missing, 1 node lists missing',
};
const PREVIOUS: ReportFigures = {
  runs: 8,
  succeeded: 8,
  failed: 0,
  users: 4,
  sessions: 8,
  totalTokens: 400,
  cost: { USD: 0.003 },
  p50ElapsedSeconds: 1.5,
  p95ElapsedSeconds: 5,
  tokenSpeed: 20,
};

function context(overrides: Partial<ReportContext> = {}): ReportContext {
  return {
    appKey: 'shop',
    appName: 'Shop <Bot>',
    window: WINDOW,
    generatedAt: '2025-03-04T08:00:05+08:00',
    locale: 'en',
    formats: ['csv', 'md', 'json', 'html'],
    questionFields: ['query', 'sys.query'],
    answerFields: ['text', 'answer', 'result'],
    answerMaxLength: 12,
    completeness: INCOMPLETE,
    previous: PREVIOUS,
    ...overrides,
  };
}

function render(overrides: Partial<ReportContext> = {}) {
  const report = renderReport(fixtureRuns(), context(overrides));
  const file = (name: string): string => {
    const found = report.files.find((candidate) => candidate.name === name);
    assert.ok(found, `${name} missing; got ${report.files.map((candidate) => candidate.name).join(', ')}`);
    return found.content;
  };
  return { report, file };
}

function rows(content: string): string[][] {
  return parse(content, { bom: true }) as string[][];
}

/** True when every line break outside quoted cells is CRLF. */
function crlfOnly(content: string): boolean {
  const outsideQuotes = content.replace(/"(?:[^"]|"")*"/g, '');
  return !/(^|[^\r])\n/.test(outsideQuotes) && outsideQuotes.endsWith('\r\n');
}

const BOM = '\uFEFF';

void describe('reports: English sheets (golden)', () => {
  const { file } = render();

  void it('overview: requested window, one row per currency', () => {
    // runs 10; users alice, bob, dave, carol@example.com, eu-e = 5;
    // sessions: conv-1 (runs 05,06,07) + 7 runs without conversation = 8; 10 / 8 = 1.25;
    // tokens 40+100+50+0+200+30+20+60+0+10 = 510; elapsed 2.5+2+1+5+3+1.2+0.8+4+6+0.5 = 26; 510/26 = 19.615… -> 19.62;
    // cost RMB 0.5 (run 02); USD 0.0012+0.0025+0.0001+0.0003 = 0.0041.
    assert.deepEqual(rows(file('overview.csv')), [
      ['window_start', 'window_end', 'timezone', 'runs', 'users', 'sessions', 'avg_interactions', 'token_speed', 'satisfaction', 'cost', 'currency'],
      ['2025-03-01T00:00:00+08:00', '2025-03-04T00:00:00+08:00', 'Asia/Shanghai', '10', '5', '8', '1.25', '19.62', '', '0.5', 'RMB'],
      ['2025-03-01T00:00:00+08:00', '2025-03-04T00:00:00+08:00', 'Asia/Shanghai', '10', '5', '8', '1.25', '19.62', '', '0.0041', 'USD'],
    ]);
  });

  void it('daily: zero-filled days, per-day percentiles', () => {
    // 03-01: runs 09,01,02,03; elapsed sorted 1,2,2.5,5: p50 rank ceil(2)=2 -> 2, p95 rank ceil(3.8)=4 -> 5.
    // 03-03: runs 04,05,06,07,10,08; sorted 0.5,0.8,1.2,3,4,6: p50 rank 3 -> 1.2, p95 rank ceil(5.7)=6 -> 6.
    assert.deepEqual(rows(file('daily.csv')), [
      ['date', 'runs', 'succeeded', 'failed', 'users', 'tokens', 'cost', 'currency', 'p50_elapsed_s', 'p95_elapsed_s'],
      ['2025-03-01', '4', '3', '1', '3', '190', '0.5; 0.0012', 'RMB; USD', '2', '5'],
      ['2025-03-02', '0', '0', '0', '0', '0', '0; 0', 'RMB; USD', '', ''],
      ['2025-03-03', '6', '4', '1', '4', '320', '0; 0.0029', 'RMB; USD', '1.2', '6'],
    ]);
  });

  void it('users: by runs, then id; local days', () => {
    assert.deepEqual(rows(file('users.csv')), [
      ['user_id', 'runs', 'active_days', 'first_seen', 'last_seen', 'failed_runs', 'tokens'],
      ['alice', '3', '2', '2025-03-01', '2025-03-03', '2', '100'],
      ['dave', '3', '1', '2025-03-03', '2025-03-03', '0', '110'],
      ['bob', '2', '2', '2025-03-01', '2025-03-03', '0', '60'],
      ['carol@example.com', '1', '1', '2025-03-03', '2025-03-03', '0', '200'],
      ['eu-e', '1', '1', '2025-03-01', '2025-03-01', '0', '40'],
    ]);
  });

  void it('qa-pairs: order, sessions, quoting, retrieval, truncation', () => {
    const parsed = rows(file('qa-pairs.csv'));
    assert.deepEqual(parsed, [
      ['seq', 'user_id', 'session_id', 'question_order', 'question', 'attachments', 'answer', 'knowledge_bases', 'documents', 'segment_1', 'segment_2', 'created_at', 'run_id'],
      ['1', 'eu-e', 'eu-e', '1', '', '', '', '', '', '', '', '2025-03-01T00:00:00+08:00', 'run-09'],
      ['2', 'alice', 'alice', '1', '退货政策是什么, 需要"发票"吗？\n谢谢', '报价单.pdf; photo.png', '请参考退货政策。', '产品知识库', 'returns.pdf; faq.docx', '0.8123 30 天内可退货', '0.7000 FAQ text\nline2', '2025-03-01T09:30:00+08:00', 'run-01'],
      ['3', 'bob', 'bob', '1', 'How?', '', 'Because it i…', '', '', '', '', '2025-03-01T10:15:00+08:00', 'run-02'],
      ['4', 'alice', 'alice', '2', '<script>alert(1)</script>', '', '', '', '', '', '', '2025-03-01T10:45:00+08:00', 'run-03'],
      ['5', 'carol@example.com', 'carol@example.com', '1', 'Account question', '', 'ok', '', '', '', '', '2025-03-03T08:00:00+08:00', 'run-04'],
      ['6', 'dave', 'conv-1', '1', 'q1', '', 'a1', '', '', '', '', '2025-03-03T09:00:00+08:00', 'run-05'],
      ['7', 'dave', 'conv-1', '2', 'q2', '', 'a2', '', '', '', '', '2025-03-03T09:05:00+08:00', 'run-06'],
      ['8', 'dave', 'conv-1', '3', 'q3', '', 'a3', '', '', '', '', '2025-03-03T09:10:00+08:00', 'run-07'],
      // A formula-looking question is defused for spreadsheets.
      ['9', 'alice', 'alice', '3', "'=1+1", '', '', '', '', '', '', '2025-03-03T12:00:00+08:00', 'run-10'],
      ['10', 'bob', 'bob', '2', '', '', '', '', '', '', '', '2025-03-03T23:59:59+08:00', 'run-08'],
    ]);
  });

  void it('runs: every run with its detail status', () => {
    const parsed = rows(file('runs.csv'));
    assert.deepEqual(parsed[0], ['log_id', 'run_id', 'status', 'created_at', 'finished_at', 'elapsed_time', 'total_tokens', 'user_id', 'session_id', 'created_from', 'error', 'total_steps', 'cost', 'currency', 'detail_status']);
    assert.equal(parsed.length, 11);
    assert.deepEqual(parsed[1], ['log-09', 'run-09', 'succeeded', '2025-03-01T00:00:00+08:00', '2025-03-01T00:00:03+08:00', '2.5', '40', 'eu-e', 'eu-e', 'service-api', '', '3', '', '', 'failed: detail: HTTP 500 after 4 attempts']);
    assert.deepEqual(parsed[2], ['log-01', 'run-01', 'succeeded', '2025-03-01T09:30:00+08:00', '2025-03-01T09:30:02+08:00', '2', '100', 'alice', 'alice', 'service-api', '', '3', '0.0012', 'USD', 'ok']);
    assert.deepEqual(parsed[4], ['log-03', 'run-03', 'failed', '2025-03-01T10:45:00+08:00', '2025-03-01T10:45:05+08:00', '5', '0', 'alice', 'alice', 'service-api', TIMEOUT_ERROR_3, '3', '', '', 'ok']);
    assert.deepEqual(parsed[5], ['log-04', 'run-04', 'succeeded', '2025-03-03T08:00:00+08:00', '2025-03-03T08:00:03+08:00', '3', '200', 'carol@example.com', 'carol@example.com', 'installed-app', '', '3', '0.0025', 'USD', 'ok']);
    assert.deepEqual(parsed[7], ['log-06', 'run-06', 'succeeded', '2025-03-03T09:05:00+08:00', '2025-03-03T09:05:01+08:00', '0.8', '20', 'dave', 'conv-1', 'service-api', '', '3', '', '', 'failed: nodes: HTTP 504 after 4 attempts']);
    assert.deepEqual(parsed[10], ['log-08', 'run-08', 'stopped', '2025-03-03T23:59:59+08:00', '2025-03-04T00:00:00+08:00', '0.5', '10', 'bob', 'bob', 'service-api', '', '3', '', '', 'not-collected']);
  });

  void it('nodes: per node, by time spent', () => {
    // Runs with node data: 01,02,03,04,05,07,10; their elapsed 2+1+5+3+1.2+4+6 = 22.2 s.
    // LLM: 7 executions, 2 failed -> 0.2857; times sorted 0.8,1,1.5,2.5,3.5,4.9,5.9: p50 rank 4 -> 2.5, p95 rank 7 -> 5.9;
    // total 20.1 / 22.2 = 0.90540… -> 0.9054; tokens 100+50+200+30+60 = 440.
    assert.deepEqual(rows(file('nodes.csv')), [
      ['node_id', 'title', 'node_type', 'executions', 'failures', 'error_rate', 'p50_elapsed_s', 'p95_elapsed_s', 'max_elapsed_s', 'tokens', 'cost', 'currency', 'share_of_run_time'],
      ['llm', 'LLM', 'llm', '7', '2', '0.2857', '2.5', '5.9', '5.9', '440', '0.5; 0.0041', 'RMB; USD', '0.9054'],
      ['kr', '知识检索', 'knowledge-retrieval', '1', '0', '0', '0.3', '0.3', '0.3', '0', '', '', '0.0135'],
      ['start', 'Start', 'start', '2', '0', '0', '0.01', '0.01', '0.01', '0', '', '', '0.0009'],
    ]);
  });

  void it('errors: one signature for the same failure with other numbers, ids and quoted values', () => {
    assert.deepEqual(rows(file('errors.csv')), [
      ['signature', 'node', 'count', 'first_seen', 'last_seen', 'example_run_ids', 'example', 'new_signature'],
      // No previous report's errors in the context: "new" is unknown, not true.
      ['Node LLM failed: model <value> timed out after <n> ms (run <id>)', 'LLM', '2', '2025-03-01T10:45:00+08:00', '2025-03-03T12:00:00+08:00', 'run-03; run-10', TIMEOUT_ERROR_3, ''],
    ]);
  });

  void it('every sheet: UTF-8 BOM and CRLF record ends, LF kept inside quoted cells', () => {
    for (const name of ['overview.csv', 'daily.csv', 'users.csv', 'qa-pairs.csv', 'runs.csv', 'nodes.csv', 'errors.csv']) {
      const content = file(name);
      assert.ok(content.startsWith(BOM), `${name} has no BOM`);
      assert.ok(crlfOnly(content), `${name} has a bare LF between records`);
    }
    assert.ok(file('qa-pairs.csv').includes('"退货政策是什么, 需要""发票""吗？\n谢谢"'));
  });
});

void describe('reports: zh-CN sheets keep the predecessor templates', () => {
  const { report, file } = render({ locale: 'zh-CN' });
  const templates = path.resolve(__dirname, '..', '..', 'shared', 'seeds', 'templates');
  const head = (name: string): Buffer => Buffer.from(TEMPLATE_HEAD_HEX[name] ?? '', 'hex');
  const firstLines = (content: Buffer, count: number): Buffer => {
    let end = 0;
    for (let line = 0; line < count; line += 1) end = content.indexOf('\r\n', end) + 2;
    return content.subarray(0, end);
  };

  void it('names the four sheets exactly as the templates', () => {
    const names = report.files.map((candidate) => candidate.name);
    for (const name of ['问答类应用数-总览.csv', '问答类应用数-每日消息数.csv', '问答类应用数-用户列表.csv', '问答类应用数-用户问答对.csv']) assert.ok(names.includes(name), name);
    assert.ok(!names.includes('overview.csv'));
  });

  void it('the embedded template bytes are the shared templates\' first lines (BOM, CRLF)', () => {
    for (const [name, hex] of Object.entries(TEMPLATE_HEAD_HEX)) {
      const embedded = Buffer.from(hex, 'hex');
      assert.equal(embedded.subarray(0, 3).toString('hex'), 'efbbbf', `${name} starts with a BOM`);
      assert.ok(embedded.includes(Buffer.from('\r\n')), `${name} has CRLF line ends`);
      // Where the shared templates are checked out beside the project, compare byte for byte.
      if (existsSync(templates)) assert.equal(firstLines(readFileSync(path.join(templates, name)), 2).toString('hex'), hex, name);
    }
  });

  void it('overview, daily and users: BOM + header line byte-equal to the template', () => {
    for (const name of ['问答类应用数-总览.csv', '问答类应用数-每日消息数.csv', '问答类应用数-用户列表.csv']) {
      const ours = Buffer.from(file(name), 'utf8');
      assert.deepEqual(firstLines(ours, 1), firstLines(head(name), 1), name);
    }
  });

  void it('Q&A: blank first row and header bytes of the template, segment columns 1..K (K = 2 here)', () => {
    const name = '问答类应用数-用户问答对.csv';
    const template = head(name).toString('utf8');
    const [blankTemplate, headerTemplate] = template.split('\r\n');
    // The template shows columns 1, 2 and "N" (and so on); with K = 2 the N column drops out.
    const expectedHeader = (headerTemplate ?? '').replace(',文本片段内容N（相似度+文本内容）', '');
    const columns = expectedHeader.split(',').length;
    assert.equal(columns, 12);
    assert.equal(blankTemplate, `${BOM}${','.repeat(12)}`);
    const ours = Buffer.from(file(name), 'utf8');
    assert.deepEqual(firstLines(ours, 2), Buffer.from(`${BOM}${','.repeat(columns - 1)}\r\n${expectedHeader}\r\n`, 'utf8'));
    const parsed = rows(file(name));
    assert.deepEqual(parsed[2], ['1', 'eu-e', 'eu-e', '1', '', '', '', '', '', '', '', '2025-03-01T00:00:00+08:00']);
    assert.deepEqual(parsed[3], ['2', 'alice', 'alice', '1', '退货政策是什么, 需要"发票"吗？\n谢谢', '报价单.pdf; photo.png', '请参考退货政策。', '产品知识库', 'returns.pdf; faq.docx', '0.8123 30 天内可退货', '0.7000 FAQ text\nline2', '2025-03-01T09:30:00+08:00']);
    assert.ok(crlfOnly(file(name)));
  });

  void it('summaries speak Chinese too', () => {
    const md = file('report.md');
    assert.match(md, /^# Dify 运行报告: Shop \\<Bot\\> — /);
    assert.ok(md.includes('报告不完整'));
    assert.ok(md.includes('不完整：已获取 10/10 条运行记录，缺少 1 条详情，缺少 1 个节点列表'), 'the completeness line in Chinese');
    assert.ok(!md.includes('INCOMPLETE') && !file('report.html').includes('INCOMPLETE'));
    assert.ok(md.includes('| 费用消耗 | 0.5 RMB; 0.0041 USD |'));
    assert.ok(file('report.html').startsWith('<!DOCTYPE html>\n<html lang="zh-CN">'));
  });

  void it('overview: all currencies in the one cost cell; daily and users: the template columns only', () => {
    assert.deepEqual(rows(file('问答类应用数-总览.csv'))[1], ['2025-03-01T00:00:00+08:00', '2025-03-04T00:00:00+08:00', '10', '5', '8', '1.25', '19.62', '', '0.5 RMB; 0.0041 USD']);
    assert.deepEqual(rows(file('问答类应用数-每日消息数.csv')).slice(1), [
      ['2025-03-01', '4'],
      ['2025-03-02', '0'],
      ['2025-03-03', '6'],
    ]);
    assert.deepEqual(rows(file('问答类应用数-用户列表.csv'))[1], ['alice', '3', '2', '2025-03-01', '2025-03-03']);
  });
});

void describe('reports: summaries', () => {
  const { report, file } = render();

  void it('figures: exact', () => {
    // Sorted elapsed 0.5,0.8,1,1.2,2,2.5,3,4,5,6 (n = 10): p50 rank 5 -> 2, p95 rank ceil(9.5) = 10 -> 6.
    assert.deepEqual(report.figures, {
      runs: 10,
      succeeded: 7,
      failed: 2,
      users: 5,
      sessions: 8,
      totalTokens: 510,
      cost: { RMB: 0.5, USD: 0.0041 },
      p50ElapsedSeconds: 2,
      p95ElapsedSeconds: 6,
      tokenSpeed: 19.62,
    });
  });

  void it('report.json: schema, figures, latency, changes', () => {
    const json = JSON.parse(file('report.json')) as Record<string, unknown>;
    assert.equal(json.schema, 'difyscope.report/1');
    assert.deepEqual(json.app, { key: 'shop', name: 'Shop <Bot>' });
    assert.deepEqual(json.window, WINDOW);
    assert.equal(json.generatedAt, '2025-03-04T08:00:05+08:00');
    assert.deepEqual(json.completeness, INCOMPLETE);
    assert.deepEqual(json.figures, report.figures);
    assert.deepEqual(json.statusCounts, { failed: 2, stopped: 1, succeeded: 7 });
    // p90 rank 9 -> 5; p99 rank 10 -> 6.
    assert.deepEqual(json.latency, { p50: 2, p90: 5, p95: 6, p99: 6, max: 6 });
    // No earlier periods in the context: new vs returning is unknown.
    assert.deepEqual(json.users, { total: 5, new: null, returning: null, comparedPeriods: null });
    const hours = json.busiestHours as { hour: number; runs: number }[];
    assert.equal(hours.length, 24);
    // 00:00 run 09; 09:xx runs 01,05,06,07; 10:xx runs 02,03; 08 run 04; 12 run 10; 23 run 08.
    assert.deepEqual(hours.filter((entry) => entry.runs > 0), [
      { hour: 0, runs: 1 },
      { hour: 8, runs: 1 },
      { hour: 9, runs: 4 },
      { hour: 10, runs: 2 },
      { hour: 12, runs: 1 },
      { hour: 23, runs: 1 },
    ]);
    const slowest = json.slowestRuns as { runId: string; elapsedSeconds: number }[];
    assert.deepEqual(slowest.slice(0, 2).map((entry) => [entry.runId, entry.elapsedSeconds]), [['run-10', 6], ['run-03', 5]]);
    const errors = json.errors as { signature: string; count: number; exampleRunIds: string[] }[];
    assert.deepEqual(errors.map((entry) => [entry.signature, entry.count, entry.exampleRunIds]), [['Node LLM failed: model <value> timed out after <n> ms (run <id>)', 2, ['run-03', 'run-10']]]);
    const daily = json.daily as { date: string; runs: number }[];
    assert.deepEqual(daily.map((day) => [day.date, day.runs]), [['2025-03-01', 4], ['2025-03-02', 0], ['2025-03-03', 6]]);
    const changes = json.changes as { figure: string; currency?: string; delta: number | null; deltaPercent: number | null }[];
    assert.deepEqual(changes.find((change) => change.figure === 'runs'), { figure: 'runs', current: 10, previous: 8, delta: 2, deltaPercent: 25 });
    // A change from 0 has no percentage.
    assert.deepEqual(changes.find((change) => change.figure === 'failed'), { figure: 'failed', current: 2, previous: 0, delta: 2, deltaPercent: null });
    // 0.0041 - 0.003 = 0.0011; 0.0011 / 0.003 = 36.66… % -> 36.7.
    assert.deepEqual(changes.find((change) => change.currency === 'USD'), { figure: 'cost', currency: 'USD', current: 0.0041, previous: 0.003, delta: 0.0011, deltaPercent: 36.7 });
    assert.deepEqual(changes.find((change) => change.currency === 'RMB'), { figure: 'cost', currency: 'RMB', current: 0.5, previous: 0, delta: 0.5, deltaPercent: null });
  });

  void it('report.json: no changes without a previous period', () => {
    const json = JSON.parse(render({ previous: null }).file('report.json')) as Record<string, unknown>;
    assert.ok(!('changes' in json));
  });

  void it('report.md: title, loud completeness, headline, cost, changes', () => {
    const md = file('report.md');
    assert.match(md, /^# Dify report: Shop \\<Bot\\> — 2025-03-01\\_2025-03-03\n/);
    assert.ok(md.includes('> ⚠️ **INCOMPLETE REPORT — figures below miss data**'));
    assert.ok(md.includes('- **Completeness:** INCOMPLETE: 10 of 10 runs fetched, 1 details missing, 1 node lists missing'));
    assert.ok(md.includes('| Runs | 10 |'));
    assert.ok(md.includes('| Success rate | 70% |'));
    assert.ok(md.includes('| Cost | 0.5 RMB; 0.0041 USD |'));
    assert.ok(md.includes('| p50 | p90 | p95 | p99 | max |\n| --- | --- | --- | --- | --- |\n| 2 | 5 | 6 | 6 | 6 |'));
    assert.ok(md.includes('| Runs | 10 | 8 | +2 (+25%) |'));
    assert.ok(md.includes('| Cost (USD) | 0.0041 | 0.003 | +0.0011 (+36.7%) |'));
    assert.ok(md.includes('\\<script\\>alert(1)\\</script\\>'));
    assert.ok(!md.includes('<script>'));
  });

  void it('report.md: no warning when complete', () => {
    const md = render({ completeness: { ...INCOMPLETE, detailFailures: 0, nodeFailures: 0, complete: true, line: 'complete: 10 of 10 runs fetched' } }).file('report.md');
    assert.ok(!md.includes('INCOMPLETE'));
    assert.ok(md.includes('- **Completeness:** complete: 10 of 10 runs fetched'));
  });

  void it('report.html: self-contained, escaped, charts inline, incompleteness flagged', () => {
    const html = file('report.html');
    assert.ok(html.startsWith('<!DOCTYPE html>'));
    assert.ok(!/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(html), 'external reference');
    assert.ok(!/<script|<link|@import|url\(/i.test(html), 'script, stylesheet link or CSS url');
    assert.ok(!html.includes('<script>alert(1)</script>'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('Shop &lt;Bot&gt;'));
    // Runs per day, latency distribution, runs per hour (a 3-day window: no weekday heat map).
    assert.equal(html.match(/<svg /g)?.length, 3);
    assert.ok(html.includes('<div class="alert">'));
    assert.ok(html.includes('0.5 RMB; 0.0041 USD'));
  });
});

void describe('reports: shape of the output', () => {
  void it('returns only the requested formats', () => {
    assert.deepEqual(render({ formats: ['json'] }).report.files.map((entry) => entry.name), ['report.json']);
    assert.deepEqual(render({ formats: ['html', 'md'] }).report.files.map((entry) => entry.name), ['report.md', 'report.html']);
    assert.deepEqual(
      render({ formats: ['csv'] }).report.files.map((entry) => entry.name),
      ['overview.csv', 'daily.csv', 'users.csv', 'qa-pairs.csv', 'runs.csv', 'nodes.csv', 'errors.csv'],
    );
  });

  void it('does not depend on the order runs arrive in', () => {
    const forward = renderReport(fixtureRuns(), context());
    const backward = renderReport(fixtureRuns().reverse(), context());
    assert.deepEqual(backward.files, forward.files);
  });

  void it('an empty window: zero-filled days, empty cost, header-only node sheet', () => {
    const report = renderReport([], context({ previous: null, formats: ['csv', 'md', 'json', 'html'] }));
    const file = (name: string) => report.files.find((entry) => entry.name === name)?.content ?? '';
    assert.deepEqual(report.figures, { runs: 0, succeeded: 0, failed: 0, users: 0, sessions: 0, totalTokens: 0, cost: {}, p50ElapsedSeconds: null, p95ElapsedSeconds: null, tokenSpeed: null });
    assert.deepEqual(rows(file('overview.csv'))[1], ['2025-03-01T00:00:00+08:00', '2025-03-04T00:00:00+08:00', 'Asia/Shanghai', '0', '0', '0', '', '', '', '', '']);
    assert.deepEqual(rows(file('daily.csv')).slice(1), [
      ['2025-03-01', '0', '0', '0', '0', '0', '', '', '', ''],
      ['2025-03-02', '0', '0', '0', '0', '0', '', '', '', ''],
      ['2025-03-03', '0', '0', '0', '0', '0', '', '', '', ''],
    ]);
    assert.equal(rows(file('nodes.csv')).length, 1);
    // K is at least 1, so the segment column is always there.
    assert.deepEqual(rows(file('qa-pairs.csv'))[0]?.filter((header) => header.startsWith('segment_')), ['segment_1']);
    assert.ok(file('report.html').includes('<svg '));
  });

  void it('logs-level data: no node data means empty cost and currency', () => {
    const runs = fixtureRuns().map((entry) => ({ ...entry, nodes: null }));
    const report = renderReport(runs, context({ formats: ['csv'] }));
    const overview = rows(report.files.find((entry) => entry.name === 'overview.csv')?.content ?? '');
    assert.equal(overview.length, 2);
    assert.deepEqual(overview[1]?.slice(9), ['', '']);
    assert.deepEqual(report.figures.cost, {});
  });
});

void describe('reports: building blocks', () => {
  void it('percentile is nearest-rank', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(values, 50), 5);
    assert.equal(percentile(values, 90), 9);
    assert.equal(percentile(values, 95), 10);
    assert.equal(percentile([4], 50), 4);
    assert.equal(percentile([1, 2], 50), 1);
    assert.equal(percentile([], 50), null);
  });

  void it('error signatures mask ids, numbers and quoted values but keep words', () => {
    assert.equal(errorSignature("Can't reach 'api.openai.com' (HTTP 502) for run 3f2a9c1e-0000-4000-8000-00000000000a"), "Can't reach <value> (HTTP <n>) for run <id>");
    assert.equal(errorSignature('Model gpt-4o   failed\nafter 3.5 s'), 'Model gpt-4o failed after <n> s');
  });

  void it('truncation counts characters, not UTF-16 units', () => {
    assert.equal(truncate('😀😀😀', 2), '😀😀…');
    assert.equal(truncate('abc', 3), 'abc');
  });
});
