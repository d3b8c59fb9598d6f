import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DetailCollection, LogCollection, ReportPlan } from '../common/contracts';
import type { CollectedRun } from '../common/dify-schemas';
import { loadSettings } from '../config/load';
import { renderReportFolder } from '../activities/render';
import { writeNdjsonGz } from '../activities/storage';
import type { ReportFigures } from '../reports';
import { costText } from '../reports/numbers';
import { dailyWindow, previousWindow, type ReportWindow } from '../common/window';
import { fixtureRuns } from './fixtures/report-runs';

/**
 * The trend of a report: three earlier daily reports (Tuesday to Thursday) rendered first,
 * then Monday's report with weekend runs off (Friday to Sunday). The trend lines the four up
 * from the earlier reports' report.json; the changes compare with the latest earlier report
 * (Thursday's, written on Friday), not with a Sunday that was never reported.
 */

const outputDir = mkdtempSync(path.join(tmpdir(), 'difyscope-trend-'));
after(() => rmSync(outputDir, { recursive: true, force: true }));

const settings = loadSettings({ DIFY_BASE_URL: 'http://dify.invalid', DIFY_API_TOKEN: 'app-test-token', APP_KEY: 'shop', APP_NAME: 'Shop', REPORT_TIMEZONE: 'Asia/Shanghai', OUTPUT_DIR: outputDir, DAILY_REPORT_WEEKENDS: 'false' });
const app = settings.apps[0];

async function render(window: ReportWindow, runs: CollectedRun[]): Promise<string> {
  assert.ok(app);
  const workDir = `.work/${window.label}`;
  await writeNdjsonGz(path.join(outputDir, workDir, 'runs.ndjson.gz'), runs);
  const plan: ReportPlan = { app: 'shop', appName: 'Shop', window, level: 'details', formats: ['md', 'json', 'html'], locale: 'en', folder: `shop/daily/${window.label}`, workDir, previousFolder: `shop/daily/${previousWindow(window).label}` };
  const logs: LogCollection = { expected: runs.length, fetched: runs.length, duplicates: 0, invalid: 0, pages: 1, file: `${workDir}/logs.ndjson.gz` };
  const details: DetailCollection = { runs: runs.length, detailsFetched: runs.length, detailFailures: 0, nodesFetched: 0, nodeFailures: 0, file: `${workDir}/runs.ndjson.gz` };
  const summary = await renderReportFolder(outputDir, app, plan, logs, details, '2025-03-10T08:00:00+08:00');
  return summary.folder;
}

interface ReportJson {
  window: ReportWindow;
  figures: ReportFigures;
  trend?: { label: string; runs: number; failed: number; failureRate: number | null; p95ElapsedSeconds: number | null; cost: Record<string, number> }[];
  changes?: { figure: string; current: number | null; previous: number | null }[];
}

const readJson = (folder: string): ReportJson => JSON.parse(readFileSync(path.join(folder, 'report.json'), 'utf8')) as ReportJson;

describe('trend over the last periods', () => {
  it('a first report has no trend; Monday (weekends off) shows three earlier reports and compares with Friday\'s', async () => {
    const all = fixtureRuns();
    // Reports written Wednesday to Friday mornings: Tuesday, Wednesday and Thursday.
    const earlierFolders: string[] = [];
    for (const [morning, count] of [['2025-03-05T08:00:00+08:00', 3], ['2025-03-06T08:00:00+08:00', 5], ['2025-03-07T08:00:00+08:00', 7]] as const) {
      earlierFolders.push(await render(dailyWindow(morning, 'Asia/Shanghai', { weekends: false }), all.slice(0, count)));
    }
    assert.equal(readJson(earlierFolders[0] ?? '').trend, undefined, 'the first report stands alone');
    assert.deepEqual(readJson(earlierFolders[1] ?? '').trend?.map((row) => row.label), ['2025-03-04', '2025-03-05']);

    const monday = dailyWindow('2025-03-10T08:00:00+08:00', 'Asia/Shanghai', { weekends: false });
    assert.equal(monday.label, '2025-03-07_2025-03-09');
    const folder = await render(monday, all);
    const report = readJson(folder);
    const earlier = earlierFolders.map(readJson);

    assert.deepEqual(report.trend?.map((row) => row.label), ['2025-03-04', '2025-03-05', '2025-03-06', '2025-03-07_2025-03-09']);
    for (const [at, source] of [...earlier, report].entries()) {
      const row: NonNullable<ReportJson['trend']>[number] | undefined = report.trend?.[at];
      assert.ok(row);
      assert.equal(row.runs, source.figures.runs);
      assert.equal(row.failed, source.figures.failed);
      assert.equal(row.failureRate, source.figures.runs === 0 ? null : Number((source.figures.failed / source.figures.runs).toFixed(4)));
      assert.equal(row.p95ElapsedSeconds, source.figures.p95ElapsedSeconds);
      assert.deepEqual(row.cost, source.figures.cost);
    }
    assert.deepEqual(report.trend?.map((row) => row.runs), [3, 5, 7, 10]);

    // Changes against Thursday's report (7 runs), the latest earlier one.
    const runs = report.changes?.find((change) => change.figure === 'runs');
    assert.deepEqual(runs && [runs.current, runs.previous], [10, 7]);

    const md = readFileSync(path.join(folder, 'report.md'), 'utf8');
    assert.ok(md.includes('## Trend over the last 4 periods\n\n| Period | Runs | Failure rate | p95 latency (s) | Cost |\n| --- | --- | --- | --- | --- |\n'), md);
    const thursday = earlier[2];
    assert.ok(thursday);
    const percent = `${Number(((thursday.figures.failed / thursday.figures.runs) * 100).toFixed(2))}%`;
    assert.ok(md.includes(`| 2025-03-06 | 7 | ${percent} | ${thursday.figures.p95ElapsedSeconds ?? ''} | ${costText(thursday.figures.cost)} |`), md);

    const html = readFileSync(path.join(folder, 'report.html'), 'utf8');
    const section = html.slice(html.indexOf('<h2>Trend over the last 4 periods</h2>'));
    assert.ok(section.length > 0 && section.indexOf('<svg') < section.indexOf('<table'), 'a chart above the table');
    const chart = section.slice(section.indexOf('<svg'), section.indexOf('</svg>'));
    assert.ok(chart.includes('aria-label="Runs per period"'));
    for (const label of ['03-04', '03-05', '03-06', '03-07–03-09']) assert.ok(chart.includes(`>${label}</text>`), label);
  });
});
