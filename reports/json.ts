import type { Aggregates } from './aggregate';
import { changesAgainst } from './changes';
import { seconds } from './numbers';
import { localIso } from './time';
import type { ReportContext } from './types';

/**
 * report.json: the machine-readable summary (schema `difyscope.report/1`). Figures are the
 * same rounded numbers the sheets print; times are ISO 8601 in the report zone.
 */
export function renderJson(aggregates: Aggregates, ctx: ReportContext): string {
  const zone = ctx.window.timezone;
  const { figures } = aggregates;
  const report = {
    schema: 'difyscope.report/1',
    app: { key: ctx.appKey, name: ctx.appName },
    window: ctx.window,
    generatedAt: ctx.generatedAt,
    completeness: ctx.completeness,
    figures,
    statusCounts: aggregates.statusCounts,
    successRate: aggregates.successRate,
    latency: aggregates.latency,
    tokens: { total: figures.totalTokens, perSecond: figures.tokenSpeed },
    cost: figures.cost,
    // "New vs returning" needs the users of earlier periods, which a report does not receive.
    users: { total: figures.users },
    sessions: { total: figures.sessions, avgInteractions: aggregates.avgInteractions },
    // A list, not an object: JSON objects put integer-like keys ("10") before others ("09").
    busiestHours: aggregates.hours.map((runs, hour) => ({ hour, runs })),
    topUsers: aggregates.users.slice(0, 10),
    slowestRuns: aggregates.slowestRuns.map((record) => ({
      runId: record.runId,
      logId: record.logId,
      status: record.status,
      createdAt: localIso(record.createdAt, zone),
      elapsedSeconds: record.elapsedSeconds === null ? null : seconds(record.elapsedSeconds),
      totalTokens: record.totalTokens,
      userId: record.userId,
    })),
    nodes: aggregates.nodes,
    errors: aggregates.errors.map((error) => ({ ...error, firstSeen: localIso(error.firstSeen, zone), lastSeen: localIso(error.lastSeen, zone) })),
    daily: aggregates.days,
    ...(ctx.previous ? { changes: changesAgainst(figures, ctx.previous) } : {}),
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
