import type { Aggregates } from './aggregate';
import { escapeHtml } from './escape';
import { buildSummary, type Section, type SectionId } from './summary';
import type { Labels } from './locale';
import { barChart, heatMap } from './svg';
import { shortLabel, trendRows } from './trend';
import type { ReportContext } from './types';

/**
 * report.html: the e-mail body. Self-contained (inline CSS, inline SVG, no scripts, no links to
 * anything), and every Dify-provided string is escaped, since end users write the questions.
 */

const STYLE = `
body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",Arial,sans-serif;color:#222;max-width:760px;margin:16px auto;padding:0 12px;line-height:1.45}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f3f5f8}td.num{text-align:right;white-space:nowrap}td.time{white-space:nowrap}.meta{margin:0;padding-left:18px;font-size:13px;color:#444}
.alert{background:#fdecea;border:2px solid #d93025;color:#a50e0e;padding:8px 12px;margin:12px 0;font-weight:bold}
.ok{color:#1e7e34}.alert-text{color:#a50e0e;font-weight:bold}.empty{color:#777;font-style:italic}figure{margin:12px 0}`.trim();

/** Plain numbers, percentages, signed changes and durations line up right, like in a spreadsheet. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T[\d:]+([+-]\d{2}:\d{2}|Z))?$/;
const NUMERIC = /^[+-]?\d[\d.,]*(%| \(\+?-?[\d.]+%\))?$/;

/**
 * Mail clients that strip <style> (some webmail, Outlook's Word engine) still honour the old
 * presentational attributes, so the table keeps its borders, padding and alignment there.
 */
function table(section: Section): string {
  if (section.rows.length === 0) return `<p class="empty"><i>${escapeHtml(section.empty)}</i></p>`;
  const head = `<tr>${section.headers.map((header) => `<th align="left" bgcolor="#f3f5f8">${escapeHtml(header)}</th>`).join('')}</tr>`;
  const cellHtml = (value: string): string => {
    if (NUMERIC.test(value)) return `<td class="num" align="right">${escapeHtml(value)}</td>`;
    // A timestamp broken at its dashes reads as three values.
    if (TIMESTAMP.test(value)) return `<td class="time" nowrap>${escapeHtml(value)}</td>`;
    return `<td>${escapeHtml(value)}</td>`;
  };
  const body = section.rows.map((row) => `<tr>${row.map(cellHtml).join('')}</tr>`).join('\n');
  // Two-column tables (figure, value) read best narrow: the value stays next to its name.
  const width = section.headers.length <= 2 ? '' : ' width="100%"';
  const style = section.headers.length <= 2 ? ' style="width:auto;min-width:50%"' : '';
  return `<table border="1" cellpadding="4" cellspacing="0"${width}${style}>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** A week or longer shows its busy hours per weekday; a shorter window has too few days for that. */
const HEAT_MAP_MIN_DAYS = 7;

function charts(aggregates: Aggregates, words: Labels, ctx: ReportContext): Partial<Record<SectionId, string>> {
  const trend = trendRows(ctx, aggregates.figures);
  const hours =
    aggregates.days.length >= HEAT_MAP_MIN_DAYS
      ? heatMap(
          words.hourByWeekday,
          words.weekdays.split(',').map((label, at) => ({ label, values: aggregates.weekHours[at] ?? [] })),
        )
      : barChart(words.runsPerHour, aggregates.hours.map((runs, hour) => ({ label: String(hour).padStart(2, '0'), value: runs })));
  return {
    daily: barChart(words.perDay, aggregates.days.map((day) => ({ label: day.date.slice(5), value: day.runs }))),
    latency: aggregates.figures.runs > 0 ? barChart(words.latencyDistribution, aggregates.latencyHistogram.map((bucket) => ({ label: bucket.label, value: bucket.runs }))) : undefined,
    hours: aggregates.figures.runs > 0 ? hours : undefined,
    trend: trend ? barChart(words.trendRuns, trend.map((entry) => ({ label: shortLabel(entry.label), value: entry.runs }))) : undefined,
  };
}

export function renderHtml(aggregates: Aggregates, ctx: ReportContext): string {
  const summary = buildSummary(aggregates, ctx);
  const words = summary.labels;
  const chartBySection = charts(aggregates, words, ctx);
  const parts: string[] = [
    '<!DOCTYPE html>',
    `<html lang="${ctx.locale}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(summary.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(summary.title)}</h1>`,
  ];
  if (!summary.complete) {
    parts.push(`<div class="alert">⚠ ${escapeHtml(words.incomplete)}<br>${escapeHtml(summary.completenessLine)}</div>`);
  }
  parts.push('<ul class="meta">');
  for (const [label, value] of summary.meta) parts.push(`<li><b>${escapeHtml(label)}:</b> ${escapeHtml(value)}</li>`);
  const completenessClass = summary.complete ? 'ok' : 'alert-text';
  parts.push(`<li><b>${escapeHtml(words.completeness)}:</b> <span class="${completenessClass}">${escapeHtml(summary.completenessLine)}</span></li>`, '</ul>');
  for (const section of summary.sections) {
    parts.push(`<h2>${escapeHtml(section.title)}</h2>`);
    const chart = chartBySection[section.id];
    if (chart !== undefined) parts.push(`<figure>${chart}</figure>`);
    parts.push(table(section));
  }
  parts.push('</body>', '</html>');
  return `${parts.join('\n')}\n`;
}
