import type { CollectedRun } from '../activities/dify/schemas';
import { aggregate } from './aggregate';
import { toCsv, type Sheet } from './csv';
import { renderHtml } from './html';
import { renderJson } from './json';
import { renderMarkdown } from './markdown';
import { toOrderedRecords } from './records';
import { dailySheet } from './sheets/daily';
import { errorsSheet } from './sheets/errors';
import { nodesSheet } from './sheets/nodes';
import { overviewSheet } from './sheets/overview';
import { qaPairsSheet } from './sheets/qa-pairs';
import { runsSheet } from './sheets/runs';
import { usersSheet } from './sheets/users';
import type { RenderedReport, ReportContext } from './types';

export type { ReportContext, ReportFigures, RenderedReport } from './types';

/**
 * Collected runs -> report files. Pure: no I/O and no clock, so the same runs and context
 * always give the same bytes (re-rendering from the raw records reproduces a report).
 */
export function renderReport(runs: readonly CollectedRun[], ctx: ReportContext): RenderedReport {
  const aggregates = aggregate(toOrderedRecords(runs), ctx.window);
  const files: RenderedReport['files'] = [];
  if (ctx.formats.includes('csv')) {
    const sheets: Sheet[] = [
      overviewSheet(aggregates, ctx),
      dailySheet(aggregates, ctx),
      usersSheet(aggregates, ctx),
      qaPairsSheet(aggregates, ctx),
      runsSheet(aggregates, ctx),
      nodesSheet(aggregates, ctx),
      errorsSheet(aggregates, ctx),
    ];
    for (const sheet of sheets) files.push({ name: sheet.name, content: toCsv(sheet) });
  }
  if (ctx.formats.includes('md')) files.push({ name: 'report.md', content: renderMarkdown(aggregates, ctx) });
  if (ctx.formats.includes('json')) files.push({ name: 'report.json', content: renderJson(aggregates, ctx) });
  if (ctx.formats.includes('html')) files.push({ name: 'report.html', content: renderHtml(aggregates, ctx) });
  return { files, figures: aggregates.figures };
}
