import { localDates } from '../common/window';
import { ChatAccumulator, type ChatAggregates } from './chat-aggregate';
import { errorSignature } from './errors';
import { bucketIndex, emptyLatencyHistogram, type HistogramBucket } from './histogram';
import { addCost, compareText, DECIMALS, money, percentile, round, seconds, sortedNumbers } from './numbers';
import { questionOf, retrievalOfRecord, truncate } from './qa';
import { FAILED_NODE_STATUSES, nodePrice, type RunRecord } from './records';
import { localParts } from './time';
import { TopK } from './top';
import type { ReportContext, ReportFigures } from './types';
import { userKey } from './user-history';

/**
 * Records -> aggregates in one streaming pass: `add` each record once, `finish` at the end.
 * Nothing keeps a whole record. What grows with the window is one number per run (exact
 * percentiles), one per node execution, and one entry per user, session, day, node and error
 * signature; everything listed ("slowest runs", "latest failures") is a bounded top-K.
 * The result does not depend on the order records arrive in.
 */

export interface Latency {
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface DayAggregate {
  date: string;
  runs: number;
  succeeded: number;
  failed: number;
  users: number;
  tokens: number;
  cost: Record<string, number>;
  p50ElapsedSeconds: number | null;
  p95ElapsedSeconds: number | null;
}

export interface UserAggregate {
  userId: string;
  runs: number;
  activeDays: number;
  firstSeen: string;
  lastSeen: string;
  failedRuns: number;
  tokens: number;
  cost: Record<string, number>;
}

export interface NodeAggregate {
  nodeId: string;
  title: string;
  nodeType: string;
  executions: number;
  failures: number;
  errorRate: number;
  p50ElapsedSeconds: number | null;
  p95ElapsedSeconds: number | null;
  maxElapsedSeconds: number | null;
  totalElapsedSeconds: number;
  tokens: number;
  cost: Record<string, number>;
  /** This node's time over the time of all runs that have node data (parallel branches can sum above 1). */
  shareOfRunTime: number | null;
}

export interface ErrorAggregate {
  signature: string;
  /** Title of the node that failed first in those runs, when node data exist. */
  node: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** The earliest runs with this error, oldest first. */
  exampleRunIds: string[];
  /** The earliest run's message, unmasked by the signature, so the reader sees a real instance. */
  example: string;
  /** Absent from the previous period's report; null when that report is unknown. */
  isNew: boolean | null;
}

/** What the summaries list about one run: no inputs, outputs or nodes. */
export interface RunBrief {
  logId: string;
  runId: string;
  status: string;
  createdAt: number;
  elapsedSeconds: number | null;
  totalTokens: number;
  userId: string;
}

export interface FailureBrief extends RunBrief {
  /** Preview, already cut; empty when Q&A text is dropped. */
  question: string;
  /** Preview, already cut. */
  error: string;
}

export interface UserHistory {
  /** Users of this period not seen in any of the earlier periods read. */
  new: number;
  returning: number;
  /** Earlier reports read (0: none existed, every user counts as new). */
  periods: number;
}

export interface Aggregates {
  figures: ReportFigures;
  avgInteractions: number | null;
  successRate: number | null;
  statusCounts: Record<string, number>;
  latency: Latency;
  latencyHistogram: HistogramBucket[];
  totalElapsedSeconds: number;
  /** True when at least one run has node executions: cost and node figures exist at all. */
  hasNodeData: boolean;
  /** Every currency seen in the window, alphabetical. */
  currencies: string[];
  days: DayAggregate[];
  /** By runs, most first, then user id. */
  users: UserAggregate[];
  /** Null when no earlier period is known. */
  userHistory: UserHistory | null;
  /** Runs per local hour 0–23. */
  hours: number[];
  /** Runs per local weekday (0 = Monday … 6 = Sunday) and hour 0–23. */
  weekHours: number[][];
  /** By total node time, most first. */
  nodes: NodeAggregate[];
  /** Nodes with failures, most failures first (then error rate, then time). */
  nodesByFailures: NodeAggregate[];
  /** By count, most first. */
  errors: ErrorAggregate[];
  /** The ten slowest runs, slowest first. */
  slowestRuns: RunBrief[];
  /** The ten latest failed runs, latest first. */
  latestFailures: FailureBrief[];
  /** K of the Q&A sheet: the most segments any run retrieved, at least 1. */
  segmentColumns: number;
  /** Conversations and feedback of a chat app; null for workflow apps. */
  chat: ChatAggregates | null;
}

const EXAMPLE_RUN_IDS = 3;
const TOP = 10;
const QUESTION_PREVIEW = 120;
const ERROR_PREVIEW = 200;

interface DayAcc {
  runs: number;
  succeeded: number;
  failed: number;
  users: Set<string>;
  tokens: number;
  cost: Record<string, number>;
  elapsed: number[];
}

interface UserAcc {
  runs: number;
  days: Set<string>;
  firstAt: number;
  lastAt: number;
  failedRuns: number;
  tokens: number;
  cost: Record<string, number>;
}

interface NodeAcc {
  nodeId: string;
  title: string;
  nodeType: string;
  executions: number;
  failures: number;
  elapsed: number[];
  tokens: number;
  cost: Record<string, number>;
}

interface Example {
  createdAt: number;
  logId: string;
  runId: string;
  error: string;
}

interface ErrorAcc {
  signature: string;
  node: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  examples: TopK<Example>;
}

/** Oldest first; the log id breaks ties so the order never depends on how Dify paged. */
export function compareRuns(a: { createdAt: number; logId: string }, b: { createdAt: number; logId: string }): number {
  return a.createdAt - b.createdAt || compareText(a.logId, b.logId);
}

function newDay(): DayAcc {
  return { runs: 0, succeeded: 0, failed: 0, users: new Set(), tokens: 0, cost: {}, elapsed: [] };
}

function latencyOf(sorted: readonly number[]): Latency {
  const at = (p: number): number | null => {
    const value = percentile(sorted, p);
    return value === null ? null : seconds(value);
  };
  return { p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: at(100) };
}

function roundedCost(cost: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.keys(cost).sort().map((currency) => [currency, money(cost[currency] ?? 0)]));
}

function brief(record: RunRecord): RunBrief {
  const { logId, runId, status, createdAt, elapsedSeconds, totalTokens, userId } = record;
  return { logId, runId, status, createdAt, elapsedSeconds, totalTokens, userId };
}

export class Accumulator {
  private readonly zone: string;
  // Zero-filled: every local day of the requested window has a row, runs or not.
  private readonly days: Map<string, DayAcc>;
  private readonly users = new Map<string, UserAcc>();
  private readonly nodes = new Map<string, NodeAcc>();
  private readonly errors = new Map<string, ErrorAcc>();
  private readonly statusCounts: Record<string, number> = {};
  private readonly conversations = new Set<string>();
  private readonly hours = Array.from({ length: 24 }, () => 0);
  private readonly weekHours = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  private readonly histogram = emptyLatencyHistogram();
  private readonly cost: Record<string, number> = {};
  private readonly elapsedAll: number[] = [];
  private readonly slowest = new TopK<RunBrief>(TOP, (a, b) => (b.elapsedSeconds ?? 0) - (a.elapsedSeconds ?? 0) || compareRuns(a, b));
  private readonly failures = new TopK<FailureBrief>(TOP, (a, b) => compareRuns(b, a));
  private runs = 0;
  private runsWithoutConversation = 0;
  private succeeded = 0;
  private failed = 0;
  private totalTokens = 0;
  private totalElapsed = 0;
  private elapsedOfRunsWithNodes = 0;
  private hasNodeData = false;
  private segmentColumns = 1;
  private chat: ChatAccumulator | null = null;

  constructor(private readonly ctx: ReportContext) {
    this.zone = ctx.window.timezone;
    this.days = new Map(localDates(ctx.window).map((date) => [date, newDay()]));
    // A chat app's report has its chat figures even for a window without messages.
    if (ctx.chatApp === true) this.chat = new ChatAccumulator(ctx, [...this.days.keys()]);
  }

  add(record: RunRecord): void {
    const { date, hour, weekday } = localParts(record.createdAt, this.zone);
    const isSucceeded = record.status === 'succeeded';
    const isFailed = record.status === 'failed';
    const elapsed = record.elapsedSeconds;

    this.runs += 1;
    this.statusCounts[record.status] = (this.statusCounts[record.status] ?? 0) + 1;
    if (isSucceeded) this.succeeded += 1;
    if (isFailed) this.failed += 1;
    this.totalTokens += record.totalTokens;
    addCost(this.cost, record.cost);
    this.hours[hour] = (this.hours[hour] ?? 0) + 1;
    const weekRow = this.weekHours[weekday - 1];
    if (weekRow) weekRow[hour] = (weekRow[hour] ?? 0) + 1;
    // A run outside a chat conversation is a session of its own (workflow apps have no conversations).
    if (record.conversationId === null) this.runsWithoutConversation += 1;
    else this.conversations.add(record.conversationId);
    if (elapsed !== null) {
      this.elapsedAll.push(elapsed);
      this.totalElapsed += elapsed;
      const bucket = this.histogram[bucketIndex(elapsed)];
      if (bucket) bucket.runs += 1;
      this.slowest.offer(brief(record));
    }
    if (isFailed) {
      const question = this.ctx.redaction?.dropQaText ? '' : truncate(questionOf(record, this.ctx.questionFields), QUESTION_PREVIEW);
      this.failures.offer({ ...brief(record), question, error: truncate(record.error ?? '', ERROR_PREVIEW) });
    }
    if (!this.ctx.redaction?.dropQaText) this.segmentColumns = Math.max(this.segmentColumns, retrievalOfRecord(record).segments.length);

    // Upstream keeps runs inside the window; a day outside it would have no row to land in.
    const day = this.days.get(date);
    if (day) {
      day.runs += 1;
      if (isSucceeded) day.succeeded += 1;
      if (isFailed) day.failed += 1;
      day.users.add(record.userId);
      day.tokens += record.totalTokens;
      addCost(day.cost, record.cost);
      if (elapsed !== null) day.elapsed.push(elapsed);
    }

    const user = this.users.get(record.userId) ?? { runs: 0, days: new Set<string>(), firstAt: record.createdAt, lastAt: record.createdAt, failedRuns: 0, tokens: 0, cost: {} };
    user.runs += 1;
    user.days.add(date);
    user.firstAt = Math.min(user.firstAt, record.createdAt);
    user.lastAt = Math.max(user.lastAt, record.createdAt);
    if (isFailed) user.failedRuns += 1;
    user.tokens += record.totalTokens;
    addCost(user.cost, record.cost);
    this.users.set(record.userId, user);

    if (record.nodes !== null) this.addNodes(record);
    if (record.error !== null) this.addError(record, record.error);
    if (record.chat) {
      this.chat ??= new ChatAccumulator(this.ctx, [...this.days.keys()]);
      this.chat.add(record);
    }
  }

  private addNodes(record: RunRecord): void {
    this.hasNodeData = true;
    this.elapsedOfRunsWithNodes += record.elapsedSeconds ?? 0;
    for (const node of record.nodes ?? []) {
      const title = node.title ?? '';
      const key = JSON.stringify([node.node_id, title, node.node_type]);
      const acc = this.nodes.get(key) ?? { nodeId: node.node_id, title, nodeType: node.node_type, executions: 0, failures: 0, elapsed: [], tokens: 0, cost: {} };
      acc.executions += 1;
      if (FAILED_NODE_STATUSES.has(node.status)) acc.failures += 1;
      if (node.elapsed_time !== null && node.elapsed_time !== undefined) acc.elapsed.push(node.elapsed_time);
      acc.tokens += node.execution_metadata?.total_tokens ?? 0;
      const price = nodePrice(node);
      if (price !== null) acc.cost[price.currency] = (acc.cost[price.currency] ?? 0) + price.amount;
      this.nodes.set(key, acc);
    }
  }

  private addError(record: RunRecord, error: string): void {
    const signature = errorSignature(error);
    const node = record.failedNode ?? '';
    const key = JSON.stringify([signature, node]);
    const entry = this.errors.get(key) ?? { signature, node, count: 0, firstSeen: record.createdAt, lastSeen: record.createdAt, examples: new TopK<Example>(EXAMPLE_RUN_IDS + 1, compareRuns) };
    entry.count += 1;
    entry.firstSeen = Math.min(entry.firstSeen, record.createdAt);
    entry.lastSeen = Math.max(entry.lastSeen, record.createdAt);
    entry.examples.offer({ createdAt: record.createdAt, logId: record.logId, runId: record.runId, error });
    this.errors.set(key, entry);
  }

  finish(): Aggregates {
    const zone = this.zone;
    const sortedElapsed = sortedNumbers(this.elapsedAll);
    const latency = latencyOf(sortedElapsed);
    const sessions = this.conversations.size + this.runsWithoutConversation;
    const chat = this.chat?.finish() ?? null;
    const figures: ReportFigures = {
      runs: this.runs,
      succeeded: this.succeeded,
      failed: this.failed,
      users: this.users.size,
      sessions,
      totalTokens: this.totalTokens,
      cost: roundedCost(this.cost),
      p50ElapsedSeconds: latency.p50,
      p95ElapsedSeconds: latency.p95,
      tokenSpeed: this.totalElapsed > 0 ? round(this.totalTokens / this.totalElapsed, DECIMALS.ratio) : null,
      ...(chat && { satisfaction: chat.ratings.satisfaction }),
    };

    const days: DayAggregate[] = [...this.days].map(([date, day]) => {
      const sorted = sortedNumbers(day.elapsed);
      const p50 = percentile(sorted, 50);
      const p95 = percentile(sorted, 95);
      return {
        date,
        runs: day.runs,
        succeeded: day.succeeded,
        failed: day.failed,
        users: day.users.size,
        tokens: day.tokens,
        cost: roundedCost(day.cost),
        p50ElapsedSeconds: p50 === null ? null : seconds(p50),
        p95ElapsedSeconds: p95 === null ? null : seconds(p95),
      };
    });

    const users: UserAggregate[] = [...this.users]
      .map(([userId, user]) => ({
        userId,
        runs: user.runs,
        activeDays: user.days.size,
        firstSeen: localParts(user.firstAt, zone).date,
        lastSeen: localParts(user.lastAt, zone).date,
        failedRuns: user.failedRuns,
        tokens: user.tokens,
        cost: roundedCost(user.cost),
      }))
      .sort((a, b) => b.runs - a.runs || compareText(a.userId, b.userId));

    const nodes = [...this.nodes.values()]
      .map((node): NodeAggregate => {
        const nodeLatency = latencyOf(sortedNumbers(node.elapsed));
        const totalNodeElapsed = node.elapsed.reduce((sum, value) => sum + value, 0);
        return {
          nodeId: node.nodeId,
          title: node.title,
          nodeType: node.nodeType,
          executions: node.executions,
          failures: node.failures,
          errorRate: round(node.failures / node.executions, DECIMALS.share),
          p50ElapsedSeconds: nodeLatency.p50,
          p95ElapsedSeconds: nodeLatency.p95,
          maxElapsedSeconds: nodeLatency.max,
          totalElapsedSeconds: seconds(totalNodeElapsed),
          tokens: node.tokens,
          cost: roundedCost(node.cost),
          shareOfRunTime: this.elapsedOfRunsWithNodes > 0 ? round(totalNodeElapsed / this.elapsedOfRunsWithNodes, DECIMALS.share) : null,
        };
      })
      .sort((a, b) => b.totalElapsedSeconds - a.totalElapsedSeconds || compareText(a.nodeId, b.nodeId) || compareText(a.title, b.title));
    const nodesByFailures = nodes
      .filter((node) => node.failures > 0)
      .sort((a, b) => b.failures - a.failures || b.errorRate - a.errorRate || b.totalElapsedSeconds - a.totalElapsedSeconds || compareText(a.nodeId, b.nodeId));

    const previousSignatures = this.ctx.previousErrorSignatures ?? null;
    const errors = [...this.errors.values()]
      .map((entry): ErrorAggregate => {
        const examples = entry.examples.values();
        return {
          signature: entry.signature,
          node: entry.node,
          count: entry.count,
          firstSeen: entry.firstSeen,
          lastSeen: entry.lastSeen,
          exampleRunIds: examples.map((example) => example.runId).filter((id) => id !== '').slice(0, EXAMPLE_RUN_IDS),
          example: examples[0]?.error ?? '',
          isNew: previousSignatures === null ? null : !previousSignatures.has(entry.signature),
        };
      })
      .sort((a, b) => b.count - a.count || a.firstSeen - b.firstSeen || compareText(a.signature, b.signature) || compareText(a.node, b.node));

    const earlier = this.ctx.earlierUsers ?? null;
    let userHistory: UserHistory | null = null;
    if (earlier !== null) {
      const returning = users.filter((user) => earlier.keys.has(userKey(user.userId))).length;
      userHistory = { new: users.length - returning, returning, periods: earlier.periods };
    }

    return {
      figures,
      avgInteractions: sessions > 0 ? round(this.runs / sessions, DECIMALS.ratio) : null,
      successRate: this.runs > 0 ? round(this.succeeded / this.runs, DECIMALS.share) : null,
      statusCounts: Object.fromEntries(Object.keys(this.statusCounts).sort().map((status) => [status, this.statusCounts[status] ?? 0])),
      latency,
      latencyHistogram: this.histogram.map((bucket) => ({ ...bucket })),
      totalElapsedSeconds: seconds(this.totalElapsed),
      hasNodeData: this.hasNodeData,
      currencies: Object.keys(this.cost).sort(),
      days,
      users,
      userHistory,
      hours: [...this.hours],
      weekHours: this.weekHours.map((row) => [...row]),
      nodes,
      nodesByFailures,
      errors,
      slowestRuns: this.slowest.values(),
      latestFailures: this.failures.values(),
      segmentColumns: this.segmentColumns,
      chat,
    };
  }
}
