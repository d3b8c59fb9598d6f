import type { Aggregates, NodeAggregate } from './aggregate';
import { changesAgainst } from './changes';
import type { Change } from '../common/report-files';
import { bucketLabel } from './chat-aggregate';
import { completenessIn } from './completeness';
import { labels, type Labels } from './locale';
import { cell, costText, seconds } from './numbers';
import { localIso, windowBoundIso } from './time';
import { trendRows } from './trend';
import type { ReportContext } from './types';

/**
 * The summary's content, once, as plain tables of text: report.md and report.html only
 * differ in markup (and the HTML's charts), so they can never disagree on a figure.
 * Cells are raw text; each renderer escapes them for its own markup.
 */

export type SectionId =
  | 'headline' | 'status' | 'latency' | 'cost' | 'daily' | 'hours' | 'users' | 'slowest' | 'nodes' | 'nodeFailures' | 'errors' | 'failures' | 'changes'
  | 'feedback' | 'conversationLengths' | 'worstRated' | 'trend';

export interface Section {
  id: SectionId;
  title: string;
  headers: string[];
  rows: string[][];
  /** Shown instead of an empty table. */
  empty: string;
}

export interface Summary {
  labels: Labels;
  title: string;
  meta: [label: string, value: string][];
  complete: boolean;
  completenessLine: string;
  sections: Section[];
}

const TOP = 10;
const BUSIEST_HOURS = 3;

function percent(ratio: number | null): string {
  return ratio === null ? '' : `${Number((ratio * 100).toFixed(2))}%`;
}

function signed(value: number | null): string {
  if (value === null) return '';
  return value > 0 ? `+${value}` : String(value);
}

function changeText(change: Change): string {
  if (change.delta === null) return '';
  return change.deltaPercent === null ? signed(change.delta) : `${signed(change.delta)} (${signed(change.deltaPercent)}%)`;
}

function changeLabel(change: Change, words: Labels): string {
  const names: Record<Change['figure'], string> = {
    runs: words.runs,
    succeeded: words.succeeded,
    failed: words.failed,
    users: words.users,
    sessions: words.sessions,
    totalTokens: words.tokens,
    p50ElapsedSeconds: words.p50,
    p95ElapsedSeconds: words.p95,
    tokenSpeed: words.tokenSpeed,
    satisfaction: words.satisfaction,
    cost: words.cost,
  };
  return change.currency === undefined ? names[change.figure] : `${names[change.figure]} (${change.currency})`;
}

function nodeRow(node: NodeAggregate): string[] {
  return [node.title || node.nodeId, node.nodeType, String(node.executions), String(node.failures), percent(node.errorRate), cell(node.p95ElapsedSeconds), cell(node.totalElapsedSeconds), percent(node.shareOfRunTime)];
}

/** "New" only means something against a known earlier period; without one the rows say nothing. */
function userHistoryRows(aggregates: Aggregates, words: Labels): string[][] {
  const history = aggregates.userHistory;
  if (history === null) return [];
  const note = ` (${words.usersHistoryNote.replace('{n}', String(history.periods))})`;
  return [
    [`${words.newUsers}${note}`, String(history.new)],
    [words.returningUsers, String(history.returning)],
  ];
}

/** Feedback, conversation lengths and the worst-rated answers: chat apps only. */
function chatSections(aggregates: Aggregates, ctx: ReportContext, words: Labels): Section[] {
  const chat = aggregates.chat;
  if (chat === null) return [];
  const zone = ctx.window.timezone;
  const dropQaText = ctx.redaction?.dropQaText === true;
  const { ratings } = chat;
  return [
    {
      id: 'feedback',
      title: words.feedback,
      headers: [words.figure, words.current],
      rows: [
        [words.likes, String(ratings.likes)],
        [words.dislikes, String(ratings.dislikes)],
        [words.satisfaction, percent(ratings.satisfaction)],
        [words.adminRatings, `${ratings.adminLikes} / ${ratings.adminDislikes}`],
        [words.adminSatisfaction, percent(ratings.adminSatisfaction)],
      ],
      empty: words.none,
    },
    {
      id: 'conversationLengths',
      title: words.conversationLengths,
      headers: [words.messagesInConversation, words.conversations],
      rows: chat.conversations.length === 0 ? [] : chat.lengthDistribution.map((bucket) => [bucketLabel(bucket), String(bucket.conversations)]),
      empty: words.none,
    },
    {
      id: 'worstRated',
      title: words.worstRated,
      headers: [words.created, words.user, words.dislikes, words.likes, words.comment, ...(dropQaText ? [] : [words.question, words.answer])],
      rows: chat.worstRated.map((answer) => [
        localIso(answer.createdAt, zone),
        answer.userId,
        answer.adminDislikes > 0 ? `${answer.dislikes} (+${answer.adminDislikes})` : String(answer.dislikes),
        String(answer.likes),
        answer.comment,
        ...(dropQaText ? [] : [answer.question, answer.answer]),
      ]),
      empty: words.none,
    },
  ];
}

export function buildSummary(aggregates: Aggregates, ctx: ReportContext): Summary {
  const chat = aggregates.chat;
  const words = labels(ctx.locale, chat !== null);
  const zone = ctx.window.timezone;
  const { figures } = aggregates;
  const costLine = aggregates.currencies.length > 0 ? costText(figures.cost) : '';
  const dropQaText = ctx.redaction?.dropQaText === true;
  const errorsKnownAgainstPrevious = aggregates.errors.some((error) => error.isNew !== null);

  const sections: Section[] = [
    {
      id: 'headline',
      title: words.headline,
      headers: [words.figure, words.current],
      rows: [
        [words.runs, String(figures.runs)],
        [words.succeeded, String(figures.succeeded)],
        [words.failed, String(figures.failed)],
        [words.successRate, percent(aggregates.successRate)],
        [words.users, String(figures.users)],
        ...userHistoryRows(aggregates, words),
        [words.sessions, String(figures.sessions)],
        [words.avgInteractions, cell(aggregates.avgInteractions)],
        [words.tokens, String(figures.totalTokens)],
        [words.tokenSpeed, cell(figures.tokenSpeed)],
        [words.p50, cell(figures.p50ElapsedSeconds)],
        [words.p95, cell(figures.p95ElapsedSeconds)],
        [words.cost, costLine],
        ...(chat ? [[words.satisfaction, percent(chat.ratings.satisfaction)], [words.adminSatisfaction, percent(chat.ratings.adminSatisfaction)]] : []),
      ],
      empty: words.none,
    },
    ...chatSections(aggregates, ctx, words),
    {
      id: 'status',
      title: words.statusCounts,
      headers: [words.status, words.count],
      rows: Object.entries(aggregates.statusCounts).map(([status, count]) => [status, String(count)]),
      empty: words.none,
    },
    {
      id: 'latency',
      title: words.latency,
      headers: ['p50', 'p90', 'p95', 'p99', 'max'],
      rows: figures.runs === 0 || aggregates.latency.max === null ? [] : [[aggregates.latency.p50, aggregates.latency.p90, aggregates.latency.p95, aggregates.latency.p99, aggregates.latency.max].map(cell)],
      empty: words.none,
    },
    {
      id: 'cost',
      title: words.costByCurrency,
      headers: [words.currency, words.cost],
      rows: aggregates.currencies.map((currency) => [currency, cell(figures.cost[currency])]),
      empty: aggregates.hasNodeData ? words.none : words.noCostData,
    },
    {
      id: 'daily',
      title: words.perDay,
      headers: [words.date, words.runs, words.succeeded, words.failed, words.users, ...(chat ? [words.conversations, words.satisfaction] : []), words.p95],
      rows: aggregates.days.map((day, at) => {
        const chatDay = chat?.days[at];
        const chatCells = chat ? [String(chatDay?.conversations ?? 0), percent(chatDay?.ratings.satisfaction ?? null)] : [];
        return [day.date, String(day.runs), String(day.succeeded), String(day.failed), String(day.users), ...chatCells, cell(day.p95ElapsedSeconds)];
      }),
      empty: words.none,
    },
    {
      id: 'hours',
      title: words.busiestHours,
      headers: [words.hour, words.runs],
      rows: aggregates.hours
        .map((runs, hour) => ({ runs, hour }))
        .filter((entry) => entry.runs > 0)
        .sort((a, b) => b.runs - a.runs || a.hour - b.hour)
        .slice(0, BUSIEST_HOURS)
        .map(({ runs, hour }) => [`${String(hour).padStart(2, '0')}:00–${String(hour + 1).padStart(2, '0')}:00`, String(runs)]),
      empty: words.none,
    },
    {
      id: 'users',
      title: words.topUsers,
      headers: [words.user, words.runs, words.failedRuns, words.activeDays, words.tokens],
      rows: aggregates.users.slice(0, TOP).map((user) => [user.userId, String(user.runs), String(user.failedRuns), String(user.activeDays), String(user.tokens)]),
      empty: words.none,
    },
    {
      id: 'slowest',
      title: words.slowestRuns,
      headers: [words.run, words.status, words.created, words.elapsed, words.user],
      rows: aggregates.slowestRuns.map((record) => [
        record.runId || record.logId,
        record.status,
        localIso(record.createdAt, zone),
        cell(record.elapsedSeconds === null ? null : seconds(record.elapsedSeconds)),
        record.userId,
      ]),
      empty: words.none,
    },
    {
      id: 'nodes',
      title: words.nodesByTime,
      headers: [words.node, words.type, words.executions, words.failures, words.errorRate, words.p95, words.totalTime, words.share],
      rows: aggregates.nodes.slice(0, TOP).map(nodeRow),
      empty: aggregates.hasNodeData ? words.none : words.noNodeData,
    },
    {
      id: 'nodeFailures',
      title: words.nodesByFailures,
      headers: [words.node, words.type, words.executions, words.failures, words.errorRate, words.p95, words.totalTime, words.share],
      rows: aggregates.nodesByFailures.slice(0, TOP).map(nodeRow),
      empty: aggregates.hasNodeData ? words.none : words.noNodeData,
    },
    {
      id: 'errors',
      title: words.errors,
      headers: [words.signature, words.node, words.count, words.examples, ...(errorsKnownAgainstPrevious ? [words.newSignature] : [])],
      rows: aggregates.errors
        .slice(0, TOP)
        .map((error) => [error.signature, error.node, String(error.count), error.exampleRunIds.join(', '), ...(errorsKnownAgainstPrevious ? [error.isNew ? words.yes : ''] : [])]),
      empty: words.none,
    },
    {
      id: 'failures',
      title: words.failedRunsList,
      // Without Q&A text the question column would be empty in every row: leave it out.
      headers: [words.created, words.user, ...(dropQaText ? [] : [words.question]), words.error],
      rows: aggregates.latestFailures.map((failure) => [localIso(failure.createdAt, zone), failure.userId, ...(dropQaText ? [] : [failure.question]), failure.error]),
      empty: words.none,
    },
  ];

  const trend = trendRows(ctx, figures);
  if (trend) {
    const rated = trend.some((entry) => entry.satisfaction !== undefined);
    sections.push({
      id: 'trend',
      title: words.trend.replace('{n}', String(trend.length)),
      headers: [words.period, words.runs, words.failureRate, words.p95, words.cost, ...(rated ? [words.satisfaction] : [])],
      rows: trend.map((entry) => [
        entry.label,
        String(entry.runs),
        percent(entry.failureRate),
        cell(entry.p95ElapsedSeconds),
        costText(entry.cost),
        ...(rated ? [percent(entry.satisfaction ?? null)] : []),
      ]),
      empty: words.none,
    });
  }

  if (ctx.previous) {
    sections.push({
      id: 'changes',
      title: words.changes,
      headers: [words.figure, words.current, words.previous, words.change],
      rows: changesAgainst(figures, ctx.previous).map((change) => [changeLabel(change, words), cell(change.current), cell(change.previous), changeText(change)]),
      empty: words.none,
    });
  }

  const from = windowBoundIso(ctx.window.from, zone);
  const to = windowBoundIso(ctx.window.to, zone);
  return {
    labels: words,
    title: `${words.title}: ${ctx.appName} — ${ctx.window.label}`,
    meta: [
      [words.window, `${from} → ${to}`],
      [words.timezone, zone],
      [words.generated, ctx.generatedAt],
    ],
    complete: ctx.completeness.complete,
    completenessLine: completenessIn(ctx.completeness, ctx.locale),
    sections,
  };
}
