import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import type { CollectedRun } from '../common/dify-schemas';
import type { Completeness } from '../common/contracts';
import type { ReportContext, ReportFigures } from '../reports';
import { renderReport } from './helpers/render-report';
import { stringify } from 'csv-stringify/sync';
import { csvText, toCsv } from '../reports/csv';
import { userKey } from '../reports/user-history';
import { rangeWindow } from '../common/window';
import { DateTime } from 'luxon';
import { localDate, localIso, localParts } from '../reports/time';
import { fixtureRuns, node, run } from './fixtures/report-runs';

/**
 * What test/reports.test.ts does not cover: day boundaries across zones and DST, CSV quoting
 * round trips, odd runs (no nodes, console and anonymous users), previous-period figures,
 * new users and error signatures, nodes by failures and how several knowledge-retrieval nodes
 * merge in the Q&A sheet. Expected values are worked out by hand in the comments.
 */

const COMPLETE: Completeness = { level: 'nodes', expected: 0, fetched: 0, duplicates: 0, invalid: 0, detailFailures: 0, nodeFailures: 0, complete: true, line: 'complete' };
const at = (iso: string): number => Date.parse(iso) / 1000;
const SOMEONE = { endUser: { id: 'eu-1', session: 'u1' } };

function context(overrides: Partial<ReportContext> = {}): ReportContext {
  return {
    appKey: 'shop',
    appName: 'Shop',
    window: rangeWindow('2025-03-01', '2025-03-03', 'Asia/Shanghai'),
    generatedAt: '2025-03-04T08:00:00+08:00',
    locale: 'en',
    formats: ['csv', 'md', 'json'],
    questionFields: ['query', 'sys.query'],
    answerFields: ['text'],
    answerMaxLength: 100,
    completeness: COMPLETE,
    ...overrides,
  };
}

function render(runs: CollectedRun[], overrides: Partial<ReportContext> = {}) {
  const report = renderReport(runs, context(overrides));
  const content = (name: string): string => {
    const file = report.files.find((candidate) => candidate.name === name);
    assert.ok(file, `${name} missing`);
    return file.content;
  };
  const rows = (name: string): string[][] => parse(content(name), { bom: true }) as string[][];
  return { report, content, rows, json: () => JSON.parse(content('report.json')) as Record<string, unknown> };
}

void describe('day boundaries', () => {
  void it('Asia/Shanghai: 23:59:59 and 00:00:00 land on their own local days', () => {
    const { rows } = render(
      [
        run({ n: '1', at: at('2025-03-01T23:59:59+08:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1 }),
        run({ n: '2', at: at('2025-03-02T00:00:00+08:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1 }),
      ],
      { window: rangeWindow('2025-03-01', '2025-03-02', 'Asia/Shanghai') },
    );
    assert.deepEqual(rows('daily.csv').slice(1).map((row) => row.slice(0, 2)), [['2025-03-01', '1'], ['2025-03-02', '1']]);
    assert.deepEqual(rows('runs.csv').slice(1).map((row) => row[3]), ['2025-03-01T23:59:59+08:00', '2025-03-02T00:00:00+08:00']);
  });

  void it('America/New_York across spring forward (2025-03-09: 02:00 EST -> 03:00 EDT)', () => {
    const { rows } = render(
      [
        run({ n: '1', at: at('2025-03-08T23:59:59-05:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1 }),
        run({ n: '2', at: at('2025-03-09T00:00:00-05:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1 }),
        // The last second of the 23-hour day, already in daylight time.
        run({ n: '3', at: at('2025-03-09T23:59:59-04:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1 }),
      ],
      { window: rangeWindow('2025-03-08', '2025-03-09', 'America/New_York') },
    );
    assert.deepEqual(rows('overview.csv')[1]?.slice(0, 4), ['2025-03-08T00:00:00-05:00', '2025-03-10T00:00:00-04:00', 'America/New_York', '3']);
    assert.deepEqual(rows('daily.csv').slice(1).map((row) => row.slice(0, 2)), [['2025-03-08', '1'], ['2025-03-09', '2']]);
    assert.deepEqual(rows('runs.csv').slice(1).map((row) => row[3]), ['2025-03-08T23:59:59-05:00', '2025-03-09T00:00:00-05:00', '2025-03-09T23:59:59-04:00']);
  });

  void it('America/New_York across fall back (2025-11-02: 01:00–02:00 happens twice)', () => {
    const { rows, json } = render(
      [
        run({ n: '1', at: at('2025-11-02T01:30:00-04:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1 }),
        run({ n: '2', at: at('2025-11-02T01:30:00-05:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1 }),
        run({ n: '3', at: at('2025-11-02T23:59:59-05:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1 }),
      ],
      { window: rangeWindow('2025-11-02', '2025-11-02', 'America/New_York') },
    );
    assert.deepEqual(rows('overview.csv')[1]?.slice(0, 2), ['2025-11-02T00:00:00-04:00', '2025-11-03T00:00:00-05:00']);
    assert.deepEqual(rows('daily.csv').slice(1).map((row) => row.slice(0, 2)), [['2025-11-02', '3']]);
    // Both 01:30s are local hour 1; 23:59:59 is hour 23.
    const hours = (json().busiestHours as { hour: number; runs: number }[]).filter((entry) => entry.runs > 0);
    assert.deepEqual(hours, [{ hour: 1, runs: 2 }, { hour: 23, runs: 1 }]);
  });
});

void describe('local times', () => {
  void it('the cached-offset conversion prints what luxon prints, across DST switches, half-hour offsets and fractional seconds', () => {
    const zones = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'Etc/GMT+5'];
    for (const zone of zones) {
      // Two years in steps of a prime number of seconds, so every minute of the hour comes up.
      for (let at = 1_672_531_200; at < 1_735_689_600; at += 7919.37) {
        for (const seconds of [Math.floor(at), at]) {
          const dt = DateTime.fromSeconds(seconds, { zone });
          assert.equal(localIso(seconds, zone), dt.toISO({ suppressMilliseconds: true }), `${zone} ${seconds}`);
          assert.equal(localDate(seconds, zone), dt.toISODate());
          assert.deepEqual(localParts(seconds, zone), { date: dt.toISODate(), hour: dt.hour, weekday: dt.weekday });
        }
      }
    }
    assert.equal(localIso(Number.NaN, 'UTC'), '');
  });
});

void describe('CSV quoting', () => {
  void it('commas, quotes, LF, CRLF and Chinese text round-trip through csv-parse; formulas are defused', () => {
    const cells = ['a,b', 'say "hi"', 'line1\nline2', 'crlf\r\nend', '中文，逗号', '=1+1', 'plain'];
    const text = toCsv({ name: 'x.csv', rows: [cells] });
    assert.equal(text, '\uFEFF"a,b","say ""hi""","line1\nline2","crlf\r\nend",中文，逗号,\'=1+1,plain\r\n');
    assert.deepEqual(parse(text, { bom: true }), [['a,b', 'say "hi"', 'line1\nline2', 'crlf\r\nend', '中文，逗号', "'=1+1", 'plain']]);
  });

  void it('the written-out escaper gives the bytes of csv-stringify (escape_formulas, quoted_match /[\\r\\n]/, CRLF) for every kind of cell', () => {
    const pieces = ['', 'a', ',', '"', '\n', '\r', '\r\n', '\t', '=', '+', '-', '@', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20', "'", ' ', '中文', '😀', '-1', '0.5', ';'];
    const cells: string[] = [];
    for (const first of pieces) for (const second of pieces) cells.push(`${first}${second}`, `${first}x${second}`);
    const rows = [cells, [''], ['', ''], cells.slice().reverse(), ['plain', 'row']];
    assert.equal(csvText(rows, true), stringify(rows, { bom: true, record_delimiter: 'windows', quoted_match: /[\r\n]/, escape_formulas: true }));
    assert.equal(csvText(rows, false), stringify(rows, { record_delimiter: 'windows', quoted_match: /[\r\n]/, escape_formulas: true }));
  });

  void it('a question with CRLF is stored with LF in the Q&A sheet (one line-break convention in cells)', () => {
    const { rows } = render([run({ n: '1', at: at('2025-03-01T10:00:00+08:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1, inputs: { query: '第一行，"引号"\r\n第二行' }, outputs: { text: 'a,b' } })]);
    assert.deepEqual(rows('qa-pairs.csv')[1]?.slice(4, 7), ['第一行，"引号"\n第二行', '', 'a,b']);
  });
});

void describe('unusual runs', () => {
  void it('a run with an empty node list: node data exist, but no cost and no node rows', () => {
    const { rows, content, report } = render([run({ n: '1', at: at('2025-03-01T10:00:00+08:00'), who: SOMEONE, status: 'succeeded', elapsed: 2, tokens: 7, nodes: [] })]);
    assert.deepEqual(report.figures.cost, {});
    assert.deepEqual(rows('overview.csv')[1]?.slice(9), ['', '']);
    assert.equal(rows('nodes.csv').length, 1);
    assert.deepEqual(rows('runs.csv')[1]?.slice(12), ['', '', 'ok']);
    // "None." rather than "not collected": the nodes were collected, there were none.
    assert.ok(content('report.md').includes('## Nodes by time spent\n\nNone.'));
  });

  void it('console accounts and anonymous end users: e-mail, else account id; session id, else end-user id', () => {
    const noEmail = run({ n: '2', at: at('2025-03-01T11:00:00+08:00'), who: { account: { id: 'acc-2', name: 'Ops', email: '' } }, status: 'succeeded', elapsed: 1, tokens: 1 });
    if (noEmail.log.created_by_account) noEmail.log.created_by_account.email = null;
    const anonymous = run({ n: '3', at: at('2025-03-01T12:00:00+08:00'), who: { endUser: { id: 'eu-anon', session: null } }, status: 'succeeded', elapsed: 1, tokens: 1 });
    if (anonymous.log.created_by_end_user) anonymous.log.created_by_end_user.is_anonymous = true;
    const { rows } = render([
      run({ n: '1', at: at('2025-03-01T10:00:00+08:00'), who: { account: { id: 'acc-1', name: 'Carol', email: 'carol@example.com' } }, status: 'succeeded', elapsed: 1, tokens: 1 }),
      noEmail,
      anonymous,
      run({ n: '4', at: at('2025-03-01T13:00:00+08:00'), who: { endUser: { id: 'eu-4', session: 'sess-4' } }, status: 'succeeded', elapsed: 1, tokens: 1 }),
    ]);
    assert.deepEqual(rows('qa-pairs.csv').slice(1).map((row) => row.slice(1, 3)), [
      ['carol@example.com', 'carol@example.com'],
      ['acc-2', 'acc-2'],
      ['eu-anon', 'eu-anon'],
      ['sess-4', 'sess-4'],
    ]);
    assert.deepEqual(rows('users.csv').slice(1).map((row) => row[0]), ['acc-2', 'carol@example.com', 'eu-anon', 'sess-4']);
  });
});

void describe('previous period', () => {
  const previous: ReportFigures = { runs: 4, succeeded: 3, failed: 1, users: 5, sessions: 4, totalTokens: 1020, cost: { USD: 0.0082 }, p50ElapsedSeconds: null, p95ElapsedSeconds: 3, tokenSpeed: 19.62 };

  void it('present: exact deltas and percentages', () => {
    // Current (report-runs fixture): runs 10, succeeded 7, failed 2, users 5, sessions 8, tokens 510,
    // p50 2, p95 6, speed 19.62, cost RMB 0.5 and USD 0.0041.
    const { content, json } = render(fixtureRuns(), { previous });
    const changes = json().changes as { figure: string; currency?: string; current: number | null; previous: number | null; delta: number | null; deltaPercent: number | null }[];
    assert.deepEqual(changes.map((change) => [change.figure, change.currency ?? '', change.delta, change.deltaPercent]), [
      ['runs', '', 6, 150], // 6 / 4
      ['succeeded', '', 4, 133.3], // 4 / 3 = 1.3333
      ['failed', '', 1, 100],
      ['users', '', 0, 0],
      ['sessions', '', 4, 100],
      ['totalTokens', '', -510, -50],
      ['p50ElapsedSeconds', '', null, null], // no previous p50: no change at all
      ['p95ElapsedSeconds', '', 3, 100],
      ['tokenSpeed', '', 0, 0],
      ['cost', 'RMB', 0.5, null], // from 0: no percentage
      ['cost', 'USD', -0.0041, -50],
    ]);
    const md = content('report.md');
    assert.ok(md.includes('| Runs | 10 | 4 | +6 (+150%) |'));
    assert.ok(md.includes('| Succeeded | 7 | 3 | +4 (+133.3%) |'));
    assert.ok(md.includes('| Tokens | 510 | 1020 | -510 (-50%) |'));
    assert.ok(md.includes('| p50 latency (s) | 2 |  |  |'));
    assert.ok(md.includes('| Cost (RMB) | 0.5 | 0 | +0.5 |'));
    assert.ok(md.includes('| Cost (USD) | 0.0041 | 0.0082 | -0.0041 (-50%) |'));
  });

  void it('absent: no changes anywhere', () => {
    const { content, json } = render(fixtureRuns(), { previous: null });
    assert.ok(!('changes' in json()));
    assert.ok(!content('report.md').includes('Change against the previous period'));
  });

  void it('errors.csv: new_signature true / false against the previous report, empty without one', () => {
    const signature = 'Node LLM failed: model <value> timed out after <n> ms (run <id>)';
    const flag = (signatures: ReadonlySet<string> | null) => render(fixtureRuns(), { previousErrorSignatures: signatures }).rows('errors.csv')[1]?.[7];
    assert.equal(flag(new Set([signature])), 'false');
    assert.equal(flag(new Set(['Something else'])), 'true');
    assert.equal(flag(null), '');
  });

  void it('users: new vs returning against the earlier periods given', () => {
    // Fixture users: alice, bob, dave, carol@example.com, eu-e; alice and bob were seen before.
    const { json, content } = render(fixtureRuns(), { earlierUsers: { keys: new Set([userKey('alice'), userKey('bob'), userKey('zoe')]), periods: 3 } });
    assert.deepEqual(json().users, { total: 5, new: 3, returning: 2, comparedPeriods: 3 });
    assert.ok(content('report.md').includes('| New users (against the previous 3 reports) | 3 |\n| Returning users | 2 |'));
  });
});

void describe('nodes by time and by failures', () => {
  const llm = (index: number, elapsed: number, status = 'succeeded') => node({ index, id: 'llm', title: 'LLM', type: 'llm', elapsed, status });
  const tool = (index: number, elapsed: number, status = 'succeeded') => node({ index, id: 'tool', title: 'Search API', type: 'tool', elapsed, status });
  const code = (index: number, elapsed: number, status = 'succeeded') => node({ index, id: 'code', title: 'Parse', type: 'code', elapsed, status });
  const runs = [
    run({ n: '1', at: at('2025-03-01T10:00:00+08:00'), who: SOMEONE, status: 'succeeded', elapsed: 10, tokens: 1, nodes: [tool(1, 1), llm(2, 8)] }),
    run({ n: '2', at: at('2025-03-01T11:00:00+08:00'), who: SOMEONE, status: 'failed', elapsed: 2, tokens: 1, nodes: [tool(1, 1.5, 'failed')] }),
    run({ n: '3', at: at('2025-03-01T12:00:00+08:00'), who: SOMEONE, status: 'failed', elapsed: 2, tokens: 1, nodes: [tool(1, 0.5, 'failed')] }),
    run({ n: '4', at: at('2025-03-01T13:00:00+08:00'), who: SOMEONE, status: 'failed', elapsed: 1, tokens: 1, nodes: [code(1, 0.2, 'exception')] }),
  ];

  void it('by time: total node time; by failures: failures, then error rate', () => {
    // Time: LLM 8, Search API 1+1.5+0.5 = 3, Parse 0.2. Failures: Search API 2 of 3, Parse 1 of 1, LLM none.
    const { json, content } = render(runs);
    const top = json().topNodes as { byTime: { title: string; totalElapsedSeconds: number }[]; byFailures: { title: string; failures: number; errorRate: number }[] };
    assert.deepEqual(top.byTime.map((entry) => [entry.title, entry.totalElapsedSeconds]), [['LLM', 8], ['Search API', 3], ['Parse', 0.2]]);
    assert.deepEqual(top.byFailures.map((entry) => [entry.title, entry.failures, entry.errorRate]), [['Search API', 2, 0.6667], ['Parse', 1, 1]]);
    const md = content('report.md');
    // Shares: node time over run time of runs with nodes, 10+2+2+1 = 15: 8/15, 3/15, 0.2/15.
    assert.ok(md.includes('## Nodes by time spent\n\n| Node | Type | Executions | Failures | Error rate | p95 latency (s) | Total time (s) | Share of run time |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n| LLM | llm | 1 | 0 | 0% | 8 | 8 | 53.33% |\n| Search API | tool | 3 | 2 | 66.67% | 1.5 | 3 | 20% |\n| Parse | code | 1 | 1 | 100% | 0.2 | 0.2 | 1.33% |'));
    assert.ok(md.includes('## Nodes by failures\n\n| Node | Type | Executions | Failures | Error rate | p95 latency (s) | Total time (s) | Share of run time |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n| Search API | tool | 3 | 2 | 66.67% | 1.5 | 3 | 20% |\n| Parse | code | 1 | 1 | 100% | 0.2 | 0.2 | 1.33% |'));
  });
});

void describe('Q&A: several knowledge-retrieval nodes', () => {
  const kr = (index: number, id: string, result: unknown[]) => node({ index, id, title: id, type: 'knowledge-retrieval', elapsed: 0.1, outputs: { result } });
  const segment = (content: string, metadata: Record<string, unknown>) => ({ content, metadata });

  void it('merge in execution order, each node ranked by position; names de-duplicated in first-seen order; K = most segments', () => {
    const nodes = [
      // Listed out of order on purpose: execution order is `index`.
      kr(5, 'kr-b', [
        segment('C text', { position: 1, score: 0.8, dataset_name: 'DS2', document_name: 'a.pdf' }),
        // No position: its place in the list (2nd) is its rank.
        segment('D text', { score: 0.6, dataset_name: 'DS1', document_name: 'd.pdf' }),
      ]),
      kr(2, 'kr-a', [
        segment('B text', { position: 2, score: 0.5, dataset_name: 'DS1', document_name: 'b.pdf' }),
        segment('A text', { position: 1, score: 0.9, dataset_name: 'DS1...', document_name: 'a.pdf' }),
      ]),
      node({ index: 3, id: 'llm', title: 'LLM', type: 'llm', elapsed: 1 }),
      // The same retrieval node run again (inside an iteration) is one more execution, appended.
      kr(7, 'kr-a', [segment('E text', { position: 1, score: 0.7, dataset_name: 'DS3', document_name: 'e.pdf' })]),
    ];
    const { rows } = render([
      run({ n: '1', at: at('2025-03-01T10:00:00+08:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1, inputs: { query: 'q' }, outputs: { text: 'a' }, nodes }),
      run({ n: '2', at: at('2025-03-01T11:00:00+08:00'), who: SOMEONE, status: 'succeeded', elapsed: 1, tokens: 1, inputs: { query: 'q2' }, nodes: [kr(1, 'kr-a', [segment('F text', { position: 1, score: 0.4, dataset_name: 'DS1', document_name: 'f.pdf' })])] }),
    ]);
    const sheet = rows('qa-pairs.csv');
    assert.deepEqual(sheet[0]?.slice(7), ['knowledge_bases', 'documents', 'segment_1', 'segment_2', 'segment_3', 'segment_4', 'segment_5', 'created_at', 'run_id']);
    assert.deepEqual(sheet[1]?.slice(7, 14), ['DS1; DS2; DS3', 'a.pdf; b.pdf; d.pdf; e.pdf', '0.9000 A text', '0.5000 B text', '0.8000 C text', '0.6000 D text', '0.7000 E text']);
    assert.deepEqual(sheet[2]?.slice(7, 14), ['DS1', 'f.pdf', '0.4000 F text', '', '', '', '']);
  });
});
