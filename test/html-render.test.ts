import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Completeness } from '../common/contracts';
import type { ReportContext } from '../reports';
import { renderReport } from './helpers/render-report';
import { rangeWindow } from '../common/window';
import { fixtureRuns } from './fixtures/report-runs';

/**
 * report.html as a person sees it: rendered by headless Chromium into a PNG. The screenshots
 * stay in SCREENSHOTS for a human to look at. A missing browser is a failure, not a skip: the
 * test exists to be run.
 */
export const SCREENSHOTS = path.join(tmpdir(), 'difyscope-html-render');

const COMPLETENESS: Completeness = { level: 'nodes', expected: 10, fetched: 10, duplicates: 0, invalid: 0, detailFailures: 1, nodeFailures: 1, complete: false, line: 'INCOMPLETE: 10 of 10 runs fetched, 1 details missing, 1 node lists missing' };

function chromiumBinary(): string {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = spawnSync('which', [name], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  }
  assert.fail('headless Chromium is needed for this test: run `apt-get update && apt-get install -y chromium`');
}

function context(overrides: Partial<ReportContext>): ReportContext {
  return {
    appKey: 'shop',
    appName: 'Shop <Bot>',
    window: rangeWindow('2025-03-01', '2025-03-03', 'Asia/Shanghai'),
    generatedAt: '2025-03-04T08:00:05+08:00',
    locale: 'en',
    formats: ['html'],
    questionFields: ['query', 'sys.query'],
    answerFields: ['text'],
    answerMaxLength: 12,
    completeness: COMPLETENESS,
    previous: { runs: 8, succeeded: 8, failed: 0, users: 4, sessions: 8, totalTokens: 400, cost: { USD: 0.003 }, p50ElapsedSeconds: 1.5, p95ElapsedSeconds: 5, tokenSpeed: 20 },
    ...overrides,
  };
}

function screenshot(name: string, html: string): { png: string; status: number | null; stderr: string } {
  const browser = chromiumBinary();
  mkdirSync(SCREENSHOTS, { recursive: true });
  const page = path.join(SCREENSHOTS, `${name}.html`);
  const png = path.join(SCREENSHOTS, `${name}.png`);
  writeFileSync(page, html);
  rmSync(png, { force: true });
  const profile = mkdtempSync(path.join(tmpdir(), 'difyscope-chromium-'));
  try {
    const result = spawnSync(
      browser,
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `--screenshot=${png}`, '--window-size=1200,2000',
        pathToFileURL(page).href,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    return { png, status: result.status, stderr: result.stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

function assertPng(file: string): void {
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'not a PNG');
  // IHDR: width and height of the page.
  assert.equal(bytes.readUInt32BE(16), 1200);
  assert.equal(bytes.readUInt32BE(20), 2000);
  // A blank 1200×2000 page compresses to a few kB; text, tables and charts take far more.
  assert.ok(statSync(file).size > 40_000, `${file} is only ${statSync(file).size} bytes: an empty page?`);
}

void describe('report.html in a real browser', { timeout: 120_000 }, () => {
  for (const [name, overrides] of [
    ['range-en', {}],
    // Seven days or more: the busiest hours become a weekday × hour heat map.
    ['week-zh', { locale: 'zh-CN', window: rangeWindow('2025-02-26', '2025-03-04', 'Asia/Shanghai') }],
  ] as const) {
    void it(`renders ${name}`, () => {
      const html = renderReport(fixtureRuns(), context(overrides)).files.find((file) => file.name === 'report.html')?.content;
      assert.ok(html);
      const { png, status, stderr } = screenshot(name, html);
      assert.equal(status, 0, `chromium failed: ${stderr}`);
      assertPng(png);
    });
  }
});
