import type { Aggregates } from '../aggregate';
import { project, type Sheet } from '../csv';
import { sheetLayouts, type OverviewKey } from '../locale';
import { cell, costText } from '../numbers';
import { windowBoundIso } from '../time';
import type { ReportContext } from '../types';

function satisfactionCell(ratio: number | null, ctx: ReportContext): string {
  if (ratio === null) return '';
  return ctx.locale === 'zh-CN' ? `${Number((ratio * 100).toFixed(2))}%` : cell(ratio);
}

/**
 * One row for the window. Where the layout has a `currency` column (English) there is one row
 * per currency, so `cost` stays a number a spreadsheet can sum; where it has none (the
 * predecessor's zh-CN sheet) every currency shares the one cost cell: `0.123456 USD; 0.5 RMB`.
 */
export function overviewSheet(aggregates: Aggregates, ctx: ReportContext): Sheet {
  const layout = sheetLayouts(ctx.locale).overview;
  const { figures } = aggregates;
  const zone = ctx.window.timezone;
  const base: Record<OverviewKey, string> = {
    window_start: windowBoundIso(ctx.window.from, zone),
    window_end: windowBoundIso(ctx.window.to, zone),
    timezone: zone,
    runs: String(figures.runs),
    users: String(figures.users),
    sessions: String(figures.sessions),
    avg_interactions: cell(aggregates.avgInteractions),
    token_speed: cell(figures.tokenSpeed),
    // Workflow apps have no feedback in Dify's API, and a chat app nobody rated has no ratio:
    // an empty cell says "unknown", not "0 %". The business sheet (zh-CN) shows a percentage.
    satisfaction: satisfactionCell(figures.satisfaction ?? null, ctx),
    cost: '',
    currency: '',
  };
  const onePerCurrency = layout.columns.some(([key]) => key === 'currency');
  let rows: Record<OverviewKey, string>[];
  if (!onePerCurrency) rows = [{ ...base, cost: costText(figures.cost) }];
  else if (aggregates.currencies.length === 0) rows = [base];
  else rows = aggregates.currencies.map((currency) => ({ ...base, cost: cell(figures.cost[currency]), currency }));
  return { name: layout.file, rows: project(layout.columns, rows) };
}
