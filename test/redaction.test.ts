import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Completeness, DetailCollection, LogCollection, ReportPlan } from '../common/contracts';
import { loadSettings } from '../config/load';
import { renderReportFolder } from '../activities/render';
import { writeNdjsonGz } from '../activities/storage';
import type { ReportContext } from '../reports';
import { renderReport } from './helpers/render-report';
import { maskText, redactionFrom, userIdHasher } from '../reports/redact';
import { previousWindow, rangeWindow } from '../common/window';
import { CAROL_EMAIL, PHONE_USER, redactionRuns, SECRETS } from './fixtures/report-redaction';

/**
 * Redaction (product §7). The masked strings are written out in full: a pattern that stops
 * matching, or starts eating more than it should, changes one of them.
 */

const KEY = 'test-redaction-key';
// `printf %s <id> | openssl dgst -sha256 -hmac test-redaction-key`, first 12 hex digits.
const HASHED_PHONE_USER = 'u_637e988943b6';
const HASHED_CAROL = 'u_0536b8a4dee3';
const HASHED_ANON = 'u_a98ac52a24f3';

const WINDOW = rangeWindow('2025-03-01', '2025-03-03', 'Asia/Shanghai');
const COMPLETE: Completeness = { level: 'nodes', expected: 3, fetched: 3, duplicates: 0, invalid: 0, detailFailures: 0, nodeFailures: 0, complete: true, line: 'complete: 3 of 3 runs fetched' };

function context(redaction: { userIds: boolean; text: boolean; qaText: 'keep' | 'drop' }, overrides: Partial<ReportContext> = {}): ReportContext {
  return {
    appKey: 'shop',
    appName: 'Shop',
    window: WINDOW,
    generatedAt: '2025-03-04T08:00:00+08:00',
    locale: 'en',
    formats: ['csv', 'md', 'json', 'html'],
    questionFields: ['query'],
    answerFields: ['text'],
    answerMaxLength: 500,
    completeness: COMPLETE,
    redaction: redactionFrom(redaction, KEY),
    ...overrides,
  };
}

function sheet(files: readonly { name: string; content: string }[], name: string): string[][] {
  const file = files.find((candidate) => candidate.name === name);
  assert.ok(file, `${name} missing`);
  return parse(file.content, { bom: true }) as string[][];
}

void describe('redaction: text masks', () => {
  void it('e-mail addresses', () => {
    assert.equal(maskText('mail zhang.san+cn@mail.example.com.cn or a_b@x.io.'), 'mail [email] or [email].');
  });

  void it('Chinese mobile numbers, with and without +86 / 0086, spaces or dashes', () => {
    assert.equal(maskText('电话13812345678或+86 138 1234 5678或+86-139-1234-5678，008615912345678，+8618612345678'), '电话[phone]或[phone]或[phone]，[phone]，[phone]');
    // 12 is no mobile prefix, and 11 digits inside a longer number are not a phone.
    assert.equal(maskText('12812345678'), '[number]');
  });

  void it('international and landline phone numbers', () => {
    assert.equal(maskText('call +1 (415) 555-2671, +44 20 7946 0958 or +49 30 1234567'), 'call [phone], [phone] or [phone]');
    assert.equal(maskText('US (415) 555-2671 / 415-555-2671, 北京 010-12345678'), 'US [phone] / [phone], 北京 [phone]');
  });

  void it('Chinese ID card numbers, check character X or digit', () => {
    assert.equal(maskText('身份证11010519491231002X和110105194912310021；小写x：11010519491231002x'), '身份证[id-card]和[id-card]；小写x：[id-card]');
  });

  void it('digit runs of 8 or more; shorter numbers, dates, UUIDs and hex ids stay', () => {
    assert.equal(maskText('订单12345678 金额 1234567 于 2025-03-01 10:00'), '订单[number] 金额 1234567 于 2025-03-01 10:00');
    assert.equal(maskText('run 3f2a9c1e-0000-4000-8000-000000000001 trace 0a1b2c3d4e5f60718293a4b5'), 'run 3f2a9c1e-0000-4000-8000-000000000001 trace 0a1b2c3d4e5f60718293a4b5');
    assert.equal(maskText('no personal data here'), 'no personal data here');
  });

  void it('user id hash: HMAC-SHA256 with the deployment key, u_ + 12 hex, stable, keyed', () => {
    const hash = userIdHasher(KEY);
    assert.equal(hash(PHONE_USER), HASHED_PHONE_USER);
    assert.equal(hash(CAROL_EMAIL), HASHED_CAROL);
    assert.equal(hash(CAROL_EMAIL), HASHED_CAROL);
    assert.equal(hash(''), '');
    assert.notEqual(userIdHasher('another-key')(CAROL_EMAIL), HASHED_CAROL);
  });

  void it('redacting user ids without a key is refused', () => {
    assert.throws(() => redactionFrom({ userIds: true, text: false, qaText: 'keep' }, undefined), /REDACTION_KEY/);
  });
});

void describe('redaction: rendered reports', () => {
  const report = renderReport(redactionRuns(), context({ userIds: true, text: true, qaText: 'keep' }));

  void it('no raw id, e-mail or phone in any file', () => {
    for (const file of report.files) {
      for (const secret of SECRETS) assert.ok(!file.content.includes(secret), `${file.name} contains ${secret}`);
    }
  });

  void it('qa-pairs: hashed ids; the asker\'s own id in a question becomes their pseudonym; masks in every text', () => {
    assert.deepEqual(sheet(report.files, 'qa-pairs.csv').slice(1), [
      ['1', HASHED_PHONE_USER, HASHED_PHONE_USER, '1', `我的手机是${HASHED_PHONE_USER}，邮箱 [email]`, '合同-[phone].pdf', '已发送到 [email]，身份证 [id-card] 已核验', 'Orders', 'orders.csv', '0.9000 客户 [phone] 的订单 [number]', '2025-03-01T09:00:00+08:00', 'run-r1'],
      ['2', HASHED_CAROL, HASHED_CAROL, '1', `${HASHED_CAROL} asks: call me at [phone]`, '', '', '', '', '', '2025-03-02T10:00:00+08:00', 'run-r2'],
      ['3', HASHED_ANON, HASHED_ANON, '1', 'hello', '', 'hi', '', '', '', '2025-03-03T11:00:00+08:00', 'run-r3'],
    ]);
  });

  void it('errors: the signature and the example are masked', () => {
    const masked = `Failed to notify ${HASHED_CAROL} at [phone] (order [number])`;
    assert.deepEqual(sheet(report.files, 'errors.csv')[1]?.slice(0, 3), [masked, '', '1']);
    assert.equal(sheet(report.files, 'errors.csv')[1]?.[6], masked);
    assert.equal(sheet(report.files, 'runs.csv')[2]?.[10], masked);
  });

  void it('users: one pseudonym per user, so per-user counts still work', () => {
    assert.deepEqual(sheet(report.files, 'users.csv').slice(1).map((row) => row.slice(0, 2)), [
      [HASHED_CAROL, '1'],
      [HASHED_PHONE_USER, '1'],
      [HASHED_ANON, '1'],
    ]);
  });

  void it('report.json says what was redacted', () => {
    const json = JSON.parse(report.files.find((file) => file.name === 'report.json')?.content ?? '{}') as { redaction: unknown };
    assert.deepEqual(json.redaction, { userIds: true, text: true, qaText: 'keep' });
  });

  void it('text masking alone keeps user ids', () => {
    const textOnly = renderReport(redactionRuns(), context({ userIds: false, text: true, qaText: 'keep' }));
    // One run each: ordered by id, and '1' sorts before 'c' and 'e'.
    assert.deepEqual(sheet(textOnly.files, 'users.csv').slice(1).map((row) => row[0]), [PHONE_USER, CAROL_EMAIL, 'eu-anon-7']);
    // The phone-number user id is masked in texts, but not as the id itself.
    assert.equal(sheet(textOnly.files, 'qa-pairs.csv')[1]?.[4], '我的手机是[phone]，邮箱 [email]');
  });
});

void describe('redaction: qaText drop', () => {
  const dropped = renderReport(redactionRuns(), context({ userIds: false, text: false, qaText: 'drop' }));
  const dropped_zh = renderReport(redactionRuns(), context({ userIds: false, text: false, qaText: 'drop' }, { locale: 'zh-CN' }));
  const kept_zh = renderReport(redactionRuns(), context({ userIds: false, text: false, qaText: 'keep' }, { locale: 'zh-CN' }));
  const qaTexts = ['我的手机是', '合同-', '已发送到', '客户 +86', 'Carol asks', 'hello', 'hi\n'];

  void it('qa-pairs keeps every column, empty; knowledge bases and documents stay', () => {
    assert.deepEqual(sheet(dropped.files, 'qa-pairs.csv'), [
      ['seq', 'user_id', 'session_id', 'question_order', 'question', 'attachments', 'answer', 'knowledge_bases', 'documents', 'segment_1', 'created_at', 'run_id'],
      ['1', PHONE_USER, PHONE_USER, '1', '', '', '', 'Orders', 'orders.csv', '', '2025-03-01T09:00:00+08:00', 'run-r1'],
      ['2', CAROL_EMAIL, CAROL_EMAIL, '1', '', '', '', '', '', '', '2025-03-02T10:00:00+08:00', 'run-r2'],
      ['3', 'eu-anon-7', 'eu-anon-7', '1', '', '', '', '', '', '', '2025-03-03T11:00:00+08:00', 'run-r3'],
    ]);
  });

  void it('the zh-CN seed sheet keeps the template header byte for byte', () => {
    const header = (files: readonly { name: string; content: string }[]) => files.find((file) => file.name === '问答类应用数-用户问答对.csv')?.content.split('\r\n').slice(0, 2);
    assert.deepEqual(header(dropped_zh.files), header(kept_zh.files));
  });

  void it('no question, answer, attachment or segment text in any file', () => {
    for (const file of [...dropped.files, ...dropped_zh.files]) {
      for (const text of qaTexts) assert.ok(!file.content.includes(text), `${file.name} contains ${JSON.stringify(text)}`);
    }
  });

  void it('the failed-runs table has no question column', () => {
    const md = dropped.files.find((file) => file.name === 'report.md')?.content ?? '';
    assert.ok(md.includes('| Created | User | Error |'));
    const json = JSON.parse(dropped.files.find((file) => file.name === 'report.json')?.content ?? '{}') as { latestFailures: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(json.latestFailures[0] ?? {}), ['runId', 'logId', 'createdAt', 'userId', 'error']);
  });
});

void describe('redaction: the render activity', () => {
  void it('report folder, users.json and the summary carry no raw id', async () => {
    const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-redaction-'));
    try {
      const settings = loadSettings({
        DIFY_BASE_URL: 'http://dify.invalid',
        DIFY_API_TOKEN: 'app-test',
        APP_KEY: 'shop',
        REPORT_TIMEZONE: 'Asia/Shanghai',
        OUTPUT_DIR: outputDir,
        REDACT_USER_IDS: 'true',
        REDACT_TEXT: 'true',
        REDACTION_KEY: KEY,
      });
      const app = settings.apps[0];
      assert.ok(app);
      await writeNdjsonGz(path.join(outputDir, '.work', 'x', 'runs.ndjson.gz'), redactionRuns());
      const plan: ReportPlan = {
        app: 'shop',
        appName: 'Shop',
        window: WINDOW,
        level: 'nodes',
        formats: ['csv', 'md', 'json', 'html'],
        locale: 'en',
        folder: `shop/range/${WINDOW.label}`,
        workDir: '.work/x',
        previousFolder: `shop/range/${previousWindow(WINDOW).label}`,
      };
      const logs: LogCollection = { expected: 3, fetched: 3, duplicates: 0, invalid: 0, pages: 1, file: '.work/x/logs.ndjson.gz' };
      const details: DetailCollection = { runs: 3, detailsFetched: 3, detailFailures: 0, nodesFetched: 3, nodeFailures: 0, file: '.work/x/runs.ndjson.gz' };
      const summary = await renderReportFolder(outputDir, app, plan, logs, details, '2025-03-04T08:00:00+08:00', { redactionKey: settings.redactionKey });
      const serialised = JSON.stringify(summary);
      for (const secret of SECRETS) assert.ok(!serialised.includes(secret), `summary contains ${secret}`);
      const names = await readdir(summary.folder);
      assert.ok(names.includes('users.json'));
      // The unredacted records are kept apart from the shareable report folder, owner-only.
      assert.ok(!names.includes('raw'), 'no raw records inside a redacted report folder');
      const kept = await stat(path.join(outputDir, '.raw', 'shop', 'range', WINDOW.label, 'runs.ndjson.gz'));
      assert.equal(kept.mode & 0o777, 0o600);
      for (const name of names) {
        const content = await readFile(path.join(summary.folder, name), 'utf8');
        for (const secret of SECRETS) assert.ok(!content.includes(secret), `${name} contains ${secret}`);
        assert.ok(!content.includes(HASHED_PHONE_USER) || name !== 'users.json', 'users.json holds hashes of ids, not the ids');
      }
      const users = await readFile(path.join(summary.folder, 'users.csv'), 'utf8');
      assert.ok(users.includes(HASHED_PHONE_USER));
    } finally {
      await rm(outputDir, { recursive: true, force: true });
    }
  });
});
