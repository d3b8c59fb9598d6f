import type { ReportSummary } from '../common/contracts';
import { ALERT_METRICS } from '../common/report-options';
import { round } from './numbers';

/**
 * Alert rules such as `failure_rate > 0.05` evaluated on a report's summary. Pure, so the
 * same summary always breaches the same rules whether it is evaluated on the first attempt or
 * on a retry.
 */

export type AlertMetric = (typeof ALERT_METRICS)[number];
export type AlertOperator = '>' | '>=' | '<' | '<=' | '==';

export interface AlertRule {
  metric: AlertMetric;
  op: AlertOperator;
  threshold: number;
  /** The rule as written, normalised to `metric op threshold`. */
  text: string;
}

export interface BreachedAlert extends AlertRule {
  actual: number;
  /** `failure_rate > 0.05 (actual 0.0833)`: what subjects and messages quote. */
  message: string;
}

export class AlertRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertRuleError';
  }
}

const RULE = new RegExp(`^(${ALERT_METRICS.join('|')})\\s*(>=|<=|>|<|==)\\s*(-?\\d+(?:\\.\\d+)?)$`);

/** Parses one rule; the config schema already validated the grammar, so a throw here means a caller bypassed it. */
export function parseAlertRule(rule: string): AlertRule {
  const match = RULE.exec(rule.trim());
  if (!match) throw new AlertRuleError(`ALERT_RULES: "${rule}" is not a rule; use "<metric> <op> <number>" with a metric of ${ALERT_METRICS.join(', ')}`);
  const [, metric, op, threshold] = match as unknown as [string, AlertMetric, AlertOperator, string];
  return { metric, op, threshold: Number(threshold), text: `${metric} ${op} ${Number(threshold)}` };
}

/**
 * The metric's value on the summary, rounded the way reports print it (rates to 4 decimals,
 * seconds to 3) so `(actual …)` matches what the reader sees in the report. Null when the
 * metric has no value: a failure rate of zero runs or the p95 of no timed runs is unknown,
 * and an unknown value breaches nothing (`runs < 10` is the rule that catches an empty period).
 */
export function alertMetricValue(metric: AlertMetric, summary: ReportSummary): number | null {
  switch (metric) {
    case 'runs':
      return summary.runs;
    case 'failed':
      return summary.failed;
    case 'failure_rate':
      return summary.runs === 0 ? null : round(summary.failed / summary.runs, 4);
    case 'p95_latency_s':
      return summary.p95ElapsedSeconds === null ? null : round(summary.p95ElapsedSeconds, 3);
    case 'users':
      return summary.users;
    case 'tokens':
      return summary.totalTokens;
    // Chat apps only; a workflow app (or a window nobody rated) has none, which breaches nothing.
    case 'satisfaction':
      return summary.satisfaction ?? null;
    case 'conversations':
      return summary.sessions ?? null;
  }
}

function breaches(actual: number, op: AlertOperator, threshold: number): boolean {
  switch (op) {
    case '>':
      return actual > threshold;
    case '>=':
      return actual >= threshold;
    case '<':
      return actual < threshold;
    case '<=':
      return actual <= threshold;
    case '==':
      return actual === threshold;
  }
}

/** The breached rules, in the order they were configured. */
export function evaluateAlerts(rules: readonly string[], summary: ReportSummary): BreachedAlert[] {
  const breached: BreachedAlert[] = [];
  for (const rule of rules.map(parseAlertRule)) {
    const actual = alertMetricValue(rule.metric, summary);
    if (actual === null || !breaches(actual, rule.op, rule.threshold)) continue;
    breached.push({ ...rule, actual, message: `${rule.text} (actual ${actual})` });
  }
  return breached;
}
