import type { Aggregates } from './aggregate';
import { toCsv } from './csv';
import { renderHtml } from './html';
import { renderJson } from './json';
import { sheetLayouts } from './locale';
import { renderMarkdown } from './markdown';
import { dailySheet } from './sheets/daily';
import { chatSheets, MESSAGES_FILE } from './sheets/chat';
import { errorsSheet } from './sheets/errors';
import { nodesSheet } from './sheets/nodes';
import { overviewSheet } from './sheets/overview';
import { usersSheet } from './sheets/users';
import type { ReportContext } from './types';

/**
 * The files of a report in their fixed order. Files made from the aggregates carry their
 * content; the two sheets with one row per run (`runs`, `qa-pairs`) are only named, because a
 * caller with many runs writes them row by row (see sheets/runs.ts, sheets/qa-pairs.ts).
 */
export type ReportFile = { name: string; content: string } | { name: string; rowsOf: 'qa-pairs' | 'runs' };

export function reportFiles(aggregates: Aggregates, ctx: ReportContext): ReportFile[] {
  const files: ReportFile[] = [];
  if (ctx.formats.includes('csv')) {
    const layouts = sheetLayouts(ctx.locale);
    files.push(
      ...[overviewSheet(aggregates, ctx), dailySheet(aggregates, ctx), usersSheet(aggregates, ctx)].map((sheet) => ({ name: sheet.name, content: toCsv(sheet) })),
      { name: layouts.qaPairs.file, rowsOf: 'qa-pairs' },
      { name: ctx.chatApp === true ? MESSAGES_FILE : layouts.runs.file, rowsOf: 'runs' },
      ...[nodesSheet(aggregates, ctx), errorsSheet(aggregates, ctx), ...chatSheets(aggregates, ctx)].map((sheet) => ({ name: sheet.name, content: toCsv(sheet) })),
    );
  }
  if (ctx.formats.includes('md')) files.push({ name: 'report.md', content: renderMarkdown(aggregates, ctx) });
  if (ctx.formats.includes('json')) files.push({ name: 'report.json', content: renderJson(aggregates, ctx) });
  if (ctx.formats.includes('html')) files.push({ name: 'report.html', content: renderHtml(aggregates, ctx) });
  return files;
}
