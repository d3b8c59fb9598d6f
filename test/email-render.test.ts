import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleParser } from 'mailparser';
import type { Completeness, ReportSummary } from '../common/contracts';
import { loadSettings } from '../config/load';
import { deliverNotifications } from '../activities/notify';
import { renderReport } from './helpers/render-report';
import { rangeWindow } from '../common/window';
import { fixtureRuns } from './fixtures/report-runs';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp';

/**
 * The e-mail as a reader sees it: a real report sent through a real SMTP server, the received
 * message's HTML shown by headless Chromium with its cid: images resolved from the message's
 * own parts (as a mail client does). A script in the page reports, per image, whether it
 * loaded and how many of its pixels are not background: drawn charts, not broken icons.
 * The screenshot is kept in docs/ for a human to look at.
 */

const DOCS_SHOT = path.resolve(__dirname, '..', 'docs', 'email-rendered.png');
const COMPLETE: Completeness = { level: 'details', expected: 10, fetched: 10, duplicates: 0, invalid: 0, detailFailures: 0, nodeFailures: 0, complete: true, line: 'complete: 10 of 10 runs fetched, details for all' };

function chromium(): string {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = spawnSync('which', [name], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  }
  assert.fail('headless Chromium is needed for this test: run `apt-get update && apt-get install -y chromium`');
}

function runChromium(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const profile = mkdtempSync(path.join(tmpdir(), 'difyscope-chromium-'));
  try {
    const result = spawnSync(
      chromium(),
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return { stdout: result.stdout, stderr: result.stderr, status: result.status };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Counts, per image, loaded size and pixels darker than near-white, into #probe (read back with --dump-dom). */
const PROBE = `<script>
window.addEventListener('load', () => {
  const results = [...document.images].map((img) => {
    const box = img.getBoundingClientRect();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    let inked = 0;
    if (img.naturalWidth > 0) {
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235) inked += 1;
    }
    return { src: img.getAttribute('data-cid'), complete: img.complete, naturalWidth: img.naturalWidth, shownWidth: Math.round(box.width), shownHeight: Math.round(box.height), inked };
  });
  const probe = document.createElement('pre'); probe.id = 'probe'; probe.textContent = JSON.stringify(results); document.body.appendChild(probe);
});
</script>`;

describe('e-mail charts in a real mail, rendered by Chromium', { timeout: 300_000 }, () => {
  let smtp: TestSmtpServer;
  const dir = mkdtempSync(path.join(tmpdir(), 'difyscope-email-render-'));
  before(async () => {
    smtp = await startSmtpServer();
  });
  after(async () => {
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the charts as PNG parts by content id, keeps SVG in report.html, and Chromium shows them drawn', async () => {
    // A week: the busiest hours become a weekday × hour heat map with Chinese row labels.
    const window = rangeWindow('2025-02-26', '2025-03-04', 'Asia/Shanghai');
    const rendered = renderReport(fixtureRuns(), { appKey: 'support', appName: '客服机器人', window, generatedAt: '2025-03-05T08:00:00+08:00', locale: 'zh-CN', formats: ['md', 'html'], questionFields: ['query', 'sys.query'], answerFields: ['text'], answerMaxLength: 200, completeness: COMPLETE, previous: null });
    const folder = path.join(dir, 'support', 'range', window.label);
    mkdirSync(folder, { recursive: true });
    for (const file of rendered.files) if ('content' in file) writeFileSync(path.join(folder, file.name), file.content);
    const page = readFileSync(path.join(folder, 'report.html'), 'utf8');
    const svgCount = page.match(/<svg\b/g)?.length ?? 0;
    assert.ok(svgCount >= 2, `the report has charts (${svgCount})`);

    const settings = loadSettings({
      DIFY_BASE_URL: 'http://dify.local', DIFY_API_TOKEN: 'app-test-token-123', APP_KEY: 'support', APP_NAME: '客服机器人', REPORT_LOCALE: 'zh-CN', OUTPUT_DIR: dir,
      NOTIFY_CHANNELS: 'email', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_SECURITY: 'none', SMTP_FROM: 'Difyscope <difyscope@example.com>', SMTP_TO: 'ops@example.com', EMAIL_ATTACH: 'none',
    });
    const summary: ReportSummary = { app: 'support', window, folder, files: rendered.files.map((file) => file.name), runs: 10, succeeded: 7, failed: 2, users: 5, totalTokens: 510, cost: { USD: 0.0041 }, p95ElapsedSeconds: 6, completeness: COMPLETE };
    const [result] = await deliverNotifications(settings, { identity: `range/support/${window.label}`, kind: 'report', appKey: 'support', window, summary });
    assert.equal(result?.status, 'sent');
    assert.match(result?.detail ?? '', new RegExp(`${svgCount} charts as PNG`));

    // The message as sent: HTML with cid: images, each a PNG part of the message; no SVG left.
    assert.equal(smtp.messages.length, 1);
    const mail = await simpleParser(smtp.messages[0]?.raw ?? Buffer.alloc(0), { keepCidLinks: true });
    const html = typeof mail.html === 'string' ? mail.html : '';
    assert.ok(!/<svg\b/.test(html), 'no inline SVG in the mail');
    const cids = [...html.matchAll(/<img src="cid:([^"]+)"/g)].map((match) => match[1] ?? '');
    assert.equal(cids.length, svgCount);
    const parts = new Map(mail.attachments.filter((part) => part.cid).map((part) => [part.cid ?? '', part]));
    for (const cid of cids) {
      const part = parts.get(cid);
      assert.ok(part, `a part for cid ${cid}`);
      assert.equal(part.contentType, 'image/png');
      assert.equal(part.content.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
    }
    assert.ok(/<svg\b/.test(readFileSync(path.join(folder, 'report.html'), 'utf8')), 'report.html keeps its SVG');

    // What the client shows: cid: resolved to the parts' bytes.
    const shown = html.replace(/<img src="cid:([^"]+)"/g, (_match, cid: string) => `<img data-cid="${cid}" src="data:image/png;base64,${parts.get(cid)?.content.toString('base64') ?? ''}"`);
    const shot = path.join(dir, 'mail.html');
    writeFileSync(shot, shown);
    const probed = path.join(dir, 'probed.html');
    writeFileSync(probed, shown.replace('</body>', `${PROBE}</body>`));
    const dom = runChromium(['--virtual-time-budget=10000', '--dump-dom', pathToFileURL(probed).href]);
    assert.equal(dom.status, 0, dom.stderr);
    const probe = /<pre id="probe">([^<]*)<\/pre>/.exec(dom.stdout)?.[1];
    assert.ok(probe, 'the probe ran');
    const images = JSON.parse(probe.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { src: string; complete: boolean; naturalWidth: number; shownWidth: number; shownHeight: number; inked: number }[];
    assert.equal(images.length, svgCount);
    for (const image of images) {
      assert.ok(image.complete && image.naturalWidth > 0, `${image.src} loaded`);
      assert.ok(image.shownWidth > 100 && image.shownHeight > 50, `${image.src} is shown at ${image.shownWidth}×${image.shownHeight}`);
      assert.ok(image.inked > 500, `${image.src} has drawing on it (${image.inked} pixels)`);
    }

    const png = path.join(dir, 'mail.png');
    const capture = runChromium([`--screenshot=${png}`, '--window-size=900,2600', '--hide-scrollbars', pathToFileURL(shot).href]);
    assert.equal(capture.status, 0, capture.stderr);
    assert.ok(statSync(png).size > 40_000, 'a screenshot with content');
    mkdirSync(path.dirname(DOCS_SHOT), { recursive: true });
    copyFileSync(png, DOCS_SHOT);
  });
});
