import { DateTime } from 'luxon';
import { reportPlanSchema, reportRequestSchema, type ActivityTimeouts, type ReportPlan } from '../common/contracts';
import { ConfigError, findApp, formatIssues, type Settings } from '../config/load';
import { boundsWindow, previousWindow, rangeWindow } from '../common/window';

const MINUTE = 60_000;

/**
 * Start-to-close timeouts that grow with the window (a week holds seven times a day's runs),
 * generous because the heartbeat timeout is what notices a dead worker; these only bound an
 * attempt that is alive but stuck.
 */
export function activityTimeouts(window: Pick<ReportPlan['window'], 'from' | 'to'>, heartbeatMs: number): ActivityTimeouts {
  const hours = DateTime.fromISO(window.to).diff(DateTime.fromISO(window.from), 'hours').hours;
  const days = Math.max(1, Math.ceil(hours / 24));
  return {
    heartbeatMs,
    collectMs: (6 * 60 + 60 * days) * MINUTE,
    mergeMs: (5 + 2 * days) * MINUTE,
    renderMs: (15 + 5 * days) * MINUTE,
    notifyMs: 5 * MINUTE,
    notifyHeartbeatMs: Math.max(heartbeatMs, MINUTE / 2),
  };
}

/**
 * Resolves a report request (from our CLI or plain JSON from `temporal workflow start`)
 * against the worker's configuration: which app, which window, which level and formats.
 */
export function planReport(settings: Settings, input: unknown, workflowId: string): ReportPlan {
  const parsed = reportRequestSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`workflow input: ${formatIssues(parsed.error).replace(/\n/g, '; ')}`);
  const request = parsed.data;
  const app = findApp(settings, request.app);
  // Validated as an ad-hoc range (dates or timestamps with offset), then labelled for its kind.
  const range = rangeWindow(request.from, request.to, app.report.timezone);
  const window = boundsWindow(request.kind ?? 'range', range.from, range.to, app.report.timezone);
  const level = request.level ?? app.collectLevel;
  if (level === 'nodes' && !app.dify.console) {
    throw new ConfigError('level: "nodes" needs console credentials; set DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD (or DIFY_CONSOLE_TOKEN) and DIFY_APP_ID');
  }
  return reportPlanSchema.parse({
    app: app.key,
    appName: app.name,
    window,
    level,
    formats: request.formats ?? app.report.formats,
    locale: request.locale ?? app.report.locale,
    folder: `${app.key}/${window.kind}/${window.label}`,
    workDir: `.work/${workflowId.replace(/[^A-Za-z0-9._-]+/g, '_')}`,
    previousFolder: `${app.key}/${window.kind}/${previousWindow(window).label}`,
    timeouts: activityTimeouts(window, settings.temporal.heartbeatTimeoutMs),
  });
}
