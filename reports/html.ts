import type { Aggregates } from './aggregate';
import { escapeHtml } from './escape';
import { buildSummary, type Section, type SectionId } from './summary';
import { barChart } from './svg';
import type { ReportContext } from './types';

/**
 * report.html: the e-mail body. Self-contained (inline CSS, inline SVG, no scripts, no links to
 * anything), and every Dify-provided string is escaped, since end users write the questions.
 */

const STYLE = `
body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",Arial,sans-serif;color:#222;max-width:760px;margin:16px auto;padding:0 12px;line-height:1.45}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;word-break:break-word}
th{background:#f3f5f8}.meta{margin:0;padding-left:18px;font-size:13px;color:#444}
.alert{background:#fdecea;border:2px solid #d93025;color:#a50e0e;padding:8px 12px;margin:12px 0;font-weight:bold}
.ok{color:#1e7e34}.alert-text{color:#a50e0e;font-weight:bold}.empty{color:#777;font-style:italic}figure{margin:12px 0}`.trim();

function table(section: Section): string {
  if (section.rows.length === 0) return `<p class="empty">${escapeHtml(section.empty)}</p>`;
  const head = `<tr>${section.headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('')}</tr>`;
  const body = section.rows.map((row) => `<tr>${row.map((value) => `<td>${escapeHtml(value)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function charts(aggregates: Aggregates, title: string): Partial<Record<SectionId, string>> {
  const { latency } = aggregates;
  const latencyBars = (['p50', 'p90', 'p95', 'p99', 'max'] as const)
    .filter((key) => latency[key] !== null)
    .map((key) => ({ label: key, value: latency[key] ?? 0 }));
  return {
    daily: barChart(title, aggregates.days.map((day) => ({ label: day.date.slice(5), value: day.runs }))),
    latency: latencyBars.length > 0 ? barChart('latency', latencyBars, ' s') : undefined,
  };
}

export function renderHtml(aggregates: Aggregates, ctx: ReportContext): string {
  const summary = buildSummary(aggregates, ctx);
  const words = summary.labels;
  const chartBySection = charts(aggregates, words.perDay);
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
