import type { Aggregates } from './aggregate';
import { changesAgainst } from './changes';
import { bucketLabel, type ChatAggregates } from './chat-aggregate';
import { seconds } from './numbers';
import { localIso } from './time';
import { trendRows } from './trend';
import type { ReportContext } from './types';

/**
 * report.json: the machine-readable summary, schema `difyscope.report/1`, every field
 * described in reports/SCHEMA.md. Figures are the same rounded numbers the sheets print;
 * times are ISO 8601 in the report zone. Fields are only ever added within /1.
 */
export const REPORT_SCHEMA = 'difyscope.report/1';
const TOP = 10;

/** Chat apps: ratings, conversations per day, conversation lengths, worst-rated answers (see SCHEMA.md). */
function chatJson(chat: ChatAggregates, ctx: ReportContext): Record<string, unknown> {
  const zone = ctx.window.timezone;
  const dropQaText = ctx.redaction?.dropQaText === true;
  return {
    ratings: chat.ratings,
    conversations: chat.conversations.length,
    daily: chat.days,
    lengthDistribution: chat.lengthDistribution.map((bucket) => ({ ...bucket, label: bucketLabel(bucket) })),
    worstRated: chat.worstRated.map(({ question, answer, createdAt, ...rest }) => ({ ...rest, createdAt: localIso(createdAt, zone), ...(dropQaText ? {} : { question, answer }) })),
  };
}

export function renderJson(aggregates: Aggregates, ctx: ReportContext): string {
  const zone = ctx.window.timezone;
  const { figures } = aggregates;
  const dropQaText = ctx.redaction?.dropQaText === true;
  const history = aggregates.userHistory;
  const trend = trendRows(ctx, figures);
  const report = {
    schema: REPORT_SCHEMA,
    app: { key: ctx.appKey, name: ctx.appName },
    window: ctx.window,
    generatedAt: ctx.generatedAt,
    completeness: ctx.completeness,
    redaction: {
      userIds: ctx.redaction?.hashUserId != null,
      text: ctx.redaction?.maskText === true,
      qaText: dropQaText ? 'drop' : 'keep',
    },
    figures,
    statusCounts: aggregates.statusCounts,
    successRate: aggregates.successRate,
    latency: aggregates.latency,
    latencyHistogram: aggregates.latencyHistogram.map(({ from, to, runs }) => ({ from, to, runs })),
    tokens: { total: figures.totalTokens, perSecond: figures.tokenSpeed },
    cost: figures.cost,
    users: {
      total: figures.users,
      new: history?.new ?? null,
      returning: history?.returning ?? null,
      comparedPeriods: history?.periods ?? null,
    },
    sessions: { total: figures.sessions, avgInteractions: aggregates.avgInteractions },
    // A list, not an object: JSON objects put integer-like keys ("10") before others ("09").
    busiestHours: aggregates.hours.map((runs, hour) => ({ hour, runs })),
    weekdayHours: aggregates.weekHours.map((hours, at) => ({ weekday: at + 1, hours })),
    topUsers: aggregates.users.slice(0, TOP),
    slowestRuns: aggregates.slowestRuns.map((run) => ({
      runId: run.runId,
      logId: run.logId,
      status: run.status,
      createdAt: localIso(run.createdAt, zone),
      elapsedSeconds: run.elapsedSeconds === null ? null : seconds(run.elapsedSeconds),
      totalTokens: run.totalTokens,
      userId: run.userId,
    })),
    latestFailures: aggregates.latestFailures.map((run) => ({
      runId: run.runId,
      logId: run.logId,
      createdAt: localIso(run.createdAt, zone),
      userId: run.userId,
      ...(dropQaText ? {} : { question: run.question }),
      error: run.error,
    })),
    nodes: aggregates.nodes,
    topNodes: {
      byTime: aggregates.nodes.slice(0, TOP),
      byFailures: aggregates.nodesByFailures.slice(0, TOP),
    },
    errors: aggregates.errors.map((error) => ({ ...error, firstSeen: localIso(error.firstSeen, zone), lastSeen: localIso(error.lastSeen, zone) })),
    daily: aggregates.days,
    ...(aggregates.chat ? { chat: chatJson(aggregates.chat, ctx) } : {}),
    ...(ctx.previous ? { changes: changesAgainst(figures, ctx.previous) } : {}),
    ...(trend ? { trend } : {}),
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
