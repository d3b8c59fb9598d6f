import type { ReportWindow } from '../common/window';
import type { ReportContext, ReportFigures } from './types';

/**
 * The last periods of the same kind side by side: runs, failure rate, p95 latency, cost and,
 * for chat apps, satisfaction. The earlier periods come from their reports' report.json (the
 * caller reads them); this module only lines them up with the current one, oldest first.
 */

/** How many periods a trend shows, the current one included. */
export const TREND_PERIODS = 8;

export interface EarlierReport {
  window: ReportWindow;
  figures: ReportFigures;
}

export interface TrendRow {
  label: string;
  from: string;
  to: string;
  runs: number;
  failed: number;
  /** failed ÷ runs, four decimals; null without runs. */
  failureRate: number | null;
  p95ElapsedSeconds: number | null;
  cost: Record<string, number>;
  /** Chat apps only. */
  satisfaction?: number | null;
}

function row(window: Pick<ReportWindow, 'label' | 'from' | 'to'>, figures: ReportFigures): TrendRow {
  return {
    label: window.label,
    from: window.from,
    to: window.to,
    runs: figures.runs,
    failed: figures.failed,
    failureRate: figures.runs === 0 ? null : Number((figures.failed / figures.runs).toFixed(4)),
    p95ElapsedSeconds: figures.p95ElapsedSeconds,
    cost: figures.cost,
    ...(figures.satisfaction !== undefined && { satisfaction: figures.satisfaction }),
  };
}

/** Null when no earlier report is known: a trend of one period says nothing. */
export function trendRows(ctx: Pick<ReportContext, 'window' | 'earlier'>, figures: ReportFigures): TrendRow[] | null {
  const earlier = ctx.earlier ?? [];
  if (earlier.length === 0) return null;
  const oldestFirst = [...earlier].sort((a, b) => a.window.from.localeCompare(b.window.from)).slice(-(TREND_PERIODS - 1));
  return [...oldestFirst.map((report) => row(report.window, report.figures)), row(ctx.window, figures)];
}

/** Short axis labels: `03-09`, `03-07–03-09`, `W10`. */
export function shortLabel(label: string): string {
  const week = /^\d{4}-(W\d{2})$/.exec(label);
  if (week) return week[1] ?? label;
  const range = /^\d{4}-(\d{2}-\d{2})_\d{4}-(\d{2}-\d{2})$/.exec(label);
  if (range) return `${range[1] ?? ''}–${range[2] ?? ''}`;
  const day = /^\d{4}-(\d{2}-\d{2})$/.exec(label);
  return day ? (day[1] ?? label) : label;
}
