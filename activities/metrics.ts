import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReportSummary } from '../common/contracts';

/**
 * Difyscope's own Prometheus metrics, per worker process (Prometheus sums the workers). The
 * worker serves them with the Temporal SDK's runtime metrics on METRICS_ADDRESS (see
 * worker/metrics-server.ts); without that setting they are counted and never read.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'difyscope_' });

const difyRequests = new Counter({
  name: 'difyscope_dify_requests_total',
  help: 'HTTP requests to Dify by endpoint (ids replaced by :id) and status (HTTP code, or timeout/network/cancelled)',
  labelNames: ['endpoint', 'status'] as const,
  registers: [registry],
});

const runsCollected = new Counter({
  name: 'difyscope_runs_collected_total',
  help: 'Workflow runs in finished reports, by app and report kind',
  labelNames: ['app', 'kind'] as const,
  registers: [registry],
});

const messagesCollected = new Counter({
  name: 'difyscope_messages_collected_total',
  help: 'Chat messages in finished reports, by app and report kind',
  labelNames: ['app', 'kind'] as const,
  registers: [registry],
});

const reports = new Counter({
  name: 'difyscope_reports_total',
  help: 'Finished reports by app, kind and completeness (complete=true|false)',
  labelNames: ['app', 'kind', 'complete'] as const,
  registers: [registry],
});

const reportDuration = new Histogram({
  name: 'difyscope_report_duration_seconds',
  help: 'From the start of the report workflow to its rendered folder',
  labelNames: ['app', 'kind'] as const,
  buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  registers: [registry],
});

const reportCompleteness = new Gauge({
  name: 'difyscope_report_completeness_ratio',
  help: 'Runs fetched over runs Dify reported, of the latest report of each app and kind (1 = complete)',
  labelNames: ['app', 'kind'] as const,
  registers: [registry],
});

const notifications = new Counter({
  name: 'difyscope_notifications_total',
  help: 'Notifications by channel and result (sent, already-sent, skipped, failed)',
  labelNames: ['channel', 'result'] as const,
  registers: [registry],
});

const ID_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|[0-9a-f]{24,})$/i;

/** `/v1/workflows/run/6a1…` → `/v1/workflows/run/:id`: bounded label values. */
export function endpointOf(path: string): string {
  return (path.split('?')[0] ?? '')
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? ':id' : segment))
    .join('/');
}

export function countDifyRequest(path: string, status: number | string): void {
  difyRequests.inc({ endpoint: endpointOf(path), status: String(status) });
}

export function countReport(summary: ReportSummary, startedAt: string): void {
  const labels = { app: summary.app, kind: summary.window.kind };
  (summary.mode ? messagesCollected : runsCollected).inc(labels, summary.runs);
  reports.inc({ ...labels, complete: String(summary.completeness.complete) });
  const seconds = (Date.now() - Date.parse(startedAt)) / 1000;
  if (Number.isFinite(seconds) && seconds >= 0) reportDuration.observe(labels, seconds);
  const { expected, fetched } = summary.completeness;
  reportCompleteness.set(labels, expected > 0 ? Math.min(fetched / expected, 1) : 1);
}

export function countNotification(channel: string, result: 'sent' | 'already-sent' | 'skipped' | 'failed'): void {
  notifications.inc({ channel, result });
}
