import { reportPlanSchema, reportRequestSchema, type ReportPlan } from '../common/contracts';
import { ConfigError, findApp, formatIssues, type Settings } from '../config/load';
import { boundsWindow, previousWindow, rangeWindow } from '../workflows/window';

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
  });
}
