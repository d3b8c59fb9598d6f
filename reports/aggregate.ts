import { localDates } from '../workflows/window';
import { errorSignature } from './errors';
import { addCost, compareText, DECIMALS, money, percentile, round, seconds, sortedNumbers } from './numbers';
import { FAILED_NODE_STATUSES, nodePrice, type RunRecord } from './records';
import { localDate, localHour } from './time';
import type { ReportFigures } from './types';
import type { ReportWindow } from '../workflows/window';

/**
 * Records -> aggregates, in one pass over the runs (oldest first). Each figure is named after
 * what it counts; the sheets, summaries and charts only format what is computed here.
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
  exampleRunIds: string[];
  /** One original message, unmasked, so the reader sees a real instance. */
  example: string;
}

export interface Aggregates {
  /** All runs, oldest first. */
  records: RunRecord[];
  figures: ReportFigures;
  avgInteractions: number | null;
  successRate: number | null;
  statusCounts: Record<string, number>;
  latency: Latency;
  totalElapsedSeconds: number;
  /** True when at least one run has node executions: cost and node figures exist at all. */
  hasNodeData: boolean;
  /** Every currency seen in the window, alphabetical. */
  currencies: string[];
  days: DayAggregate[];
  /** By runs, most first, then user id. */
  users: UserAggregate[];
  /** Runs per local hour 0–23. */
  hours: number[];
  /** By total node time, most first. */
  nodes: NodeAggregate[];
  /** By count, most first. */
  errors: ErrorAggregate[];
  /** The ten slowest runs, slowest first. */
  slowestRuns: RunRecord[];
}

const EXAMPLE_RUN_IDS = 3;
const TOP = 10;

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
  firstSeen: string;
  lastSeen: string;
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

export function aggregate(records: readonly RunRecord[], window: ReportWindow): Aggregates {
  const zone = window.timezone;
  // Zero-filled: every local day of the requested window has a row, runs or not.
  const days = new Map<string, DayAcc>(localDates(window).map((date) => [date, newDay()]));
  const users = new Map<string, UserAcc>();
  const nodes = new Map<string, NodeAcc>();
  const errors = new Map<string, ErrorAggregate>();
  const statusCounts: Record<string, number> = {};
  const conversations = new Set<string>();
  const hours = Array.from({ length: 24 }, () => 0);
  const cost: Record<string, number> = {};
  const elapsedAll: number[] = [];
  let runsWithoutConversation = 0;
  let succeeded = 0;
  let failed = 0;
  let totalTokens = 0;
  let totalElapsed = 0;
  let elapsedOfRunsWithNodes = 0;
  let hasNodeData = false;

  for (const record of records) {
    const date = localDate(record.createdAt, zone);
    const isSucceeded = record.status === 'succeeded';
    const isFailed = record.status === 'failed';
    const elapsed = record.elapsedSeconds;

    statusCounts[record.status] = (statusCounts[record.status] ?? 0) + 1;
    if (isSucceeded) succeeded += 1;
    if (isFailed) failed += 1;
    totalTokens += record.totalTokens;
    addCost(cost, record.cost);
    const hour = localHour(record.createdAt, zone);
    hours[hour] = (hours[hour] ?? 0) + 1;
    // A run outside a chat conversation is a session of its own (workflow apps have no conversations).
    if (record.conversationId === null) runsWithoutConversation += 1;
    else conversations.add(record.conversationId);
    if (elapsed !== null) {
      elapsedAll.push(elapsed);
      totalElapsed += elapsed;
    }

    // Upstream keeps runs inside the window; a day outside it would have no row to land in.
    const day = days.get(date);
    if (day) {
      day.runs += 1;
      if (isSucceeded) day.succeeded += 1;
      if (isFailed) day.failed += 1;
      day.users.add(record.userId);
      day.tokens += record.totalTokens;
      addCost(day.cost, record.cost);
      if (elapsed !== null) day.elapsed.push(elapsed);
    }

    const user = users.get(record.userId) ?? { runs: 0, days: new Set<string>(), firstSeen: date, lastSeen: date, failedRuns: 0, tokens: 0, cost: {} };
    user.runs += 1;
    user.days.add(date);
    user.lastSeen = date; // records arrive oldest first
    if (isFailed) user.failedRuns += 1;
    user.tokens += record.totalTokens;
    addCost(user.cost, record.cost);
    users.set(record.userId, user);

    if (record.nodes !== null) {
      hasNodeData = true;
      elapsedOfRunsWithNodes += elapsed ?? 0;
      for (const node of record.nodes) {
        const title = node.title ?? '';
        const key = JSON.stringify([node.node_id, title, node.node_type]);
        const acc = nodes.get(key) ?? { nodeId: node.node_id, title, nodeType: node.node_type, executions: 0, failures: 0, elapsed: [], tokens: 0, cost: {} };
        acc.executions += 1;
        if (FAILED_NODE_STATUSES.has(node.status)) acc.failures += 1;
        if (node.elapsed_time !== null && node.elapsed_time !== undefined) acc.elapsed.push(node.elapsed_time);
        acc.tokens += node.execution_metadata?.total_tokens ?? 0;
        const price = nodePrice(node);
        if (price !== null) acc.cost[price.currency] = (acc.cost[price.currency] ?? 0) + price.amount;
        nodes.set(key, acc);
      }
    }

    if (record.error !== null) {
      const signature = errorSignature(record.error);
      const node = record.failedNode ?? '';
      const key = JSON.stringify([signature, node]);
      const entry = errors.get(key) ?? { signature, node, count: 0, firstSeen: record.createdAt, lastSeen: record.createdAt, exampleRunIds: [], example: record.error };
      entry.count += 1;
      entry.lastSeen = record.createdAt;
      if (entry.exampleRunIds.length < EXAMPLE_RUN_IDS && record.runId !== '') entry.exampleRunIds.push(record.runId);
      errors.set(key, entry);
    }
  }

  const sortedElapsed = sortedNumbers(elapsedAll);
  const latency = latencyOf(sortedElapsed);
  const sessions = conversations.size + runsWithoutConversation;
  const figures: ReportFigures = {
    runs: records.length,
    succeeded,
    failed,
    users: users.size,
    sessions,
    totalTokens,
    cost: roundedCost(cost),
    p50ElapsedSeconds: latency.p50,
    p95ElapsedSeconds: latency.p95,
    tokenSpeed: totalElapsed > 0 ? round(totalTokens / totalElapsed, DECIMALS.ratio) : null,
  };

  const dayRows: DayAggregate[] = [...days].map(([date, day]) => {
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

  const userRows: UserAggregate[] = [...users]
    .map(([userId, user]) => ({
      userId,
      runs: user.runs,
      activeDays: user.days.size,
      firstSeen: user.firstSeen,
      lastSeen: user.lastSeen,
      failedRuns: user.failedRuns,
      tokens: user.tokens,
      cost: roundedCost(user.cost),
    }))
    .sort((a, b) => b.runs - a.runs || compareText(a.userId, b.userId));

  const nodeRows: NodeAggregate[] = [...nodes.values()]
    .map((node) => {
      const sorted = sortedNumbers(node.elapsed);
      const nodeLatency = latencyOf(sorted);
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
        shareOfRunTime: elapsedOfRunsWithNodes > 0 ? round(totalNodeElapsed / elapsedOfRunsWithNodes, DECIMALS.share) : null,
      };
    })
    .sort((a, b) => b.totalElapsedSeconds - a.totalElapsedSeconds || compareText(a.nodeId, b.nodeId) || compareText(a.title, b.title));

  const errorRows = [...errors.values()].sort((a, b) => b.count - a.count || a.firstSeen - b.firstSeen || compareText(a.signature, b.signature));

  const slowestRuns = records
    .filter((record) => record.elapsedSeconds !== null)
    .sort((a, b) => (b.elapsedSeconds ?? 0) - (a.elapsedSeconds ?? 0) || a.createdAt - b.createdAt)
    .slice(0, TOP);

  return {
    records: [...records],
    figures,
    avgInteractions: sessions > 0 ? round(records.length / sessions, DECIMALS.ratio) : null,
    successRate: records.length > 0 ? round(succeeded / records.length, DECIMALS.share) : null,
    statusCounts: Object.fromEntries(Object.keys(statusCounts).sort().map((status) => [status, statusCounts[status] ?? 0])),
    latency,
    totalElapsedSeconds: seconds(totalElapsed),
    hasNodeData,
    currencies: Object.keys(cost).sort(),
    days: dayRows,
    users: userRows,
    hours,
    nodes: nodeRows,
    errors: errorRows,
    slowestRuns,
  };
}
