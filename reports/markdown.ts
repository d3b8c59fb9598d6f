import type { Aggregates } from './aggregate';
import { buildSummary, type Section } from './summary';
import type { ReportContext } from './types';

/**
 * Dify-provided text (user ids, node titles, error messages) must not turn into markup or
 * break a table when the Markdown is rendered (DingTalk renders it): escape the characters
 * Markdown and inline HTML give meaning to, and flatten line breaks.
 */
export function escapeMarkdown(value: string): string {
  return value.replace(/\r?\n|\r/g, ' ').replace(/[\\`*_[\]<>|#]/g, (char) => `\\${char}`);
}

function table(section: Section): string {
  if (section.rows.length === 0) return section.empty;
  const line = (cells: readonly string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  return [line(section.headers), `|${section.headers.map(() => ' --- |').join('')}`, ...section.rows.map(line)].join('\n');
}

export function renderMarkdown(aggregates: Aggregates, ctx: ReportContext): string {
  const summary = buildSummary(aggregates, ctx);
  const words = summary.labels;
  const lines: string[] = [`# ${escapeMarkdown(summary.title)}`, ''];
  if (!summary.complete) {
    // Loud on purpose: an incomplete report read as complete understates failures and cost.
    lines.push(`> ⚠️ **${escapeMarkdown(words.incomplete)}**`, `> ${escapeMarkdown(summary.completenessLine)}`, '');
  }
  for (const [label, value] of summary.meta) lines.push(`- **${escapeMarkdown(label)}:** ${escapeMarkdown(value)}`);
  lines.push(`- **${escapeMarkdown(words.completeness)}:** ${escapeMarkdown(summary.completenessLine)}`, '');
  for (const section of summary.sections) lines.push(`## ${escapeMarkdown(section.title)}`, '', table(section), '');
  return `${lines.join('\n').trimEnd()}\n`;
}
