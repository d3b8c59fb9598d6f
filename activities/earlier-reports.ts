import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { ReportPlan } from '../common/contracts';
import { reportJsonSchema } from '../common/report-files';
import { TREND_PERIODS, type EarlierReport } from '../reports/trend';
import type { ReportWindow } from '../common/window';
import { resolveInside } from './storage';

/**
 * Earlier reports of the same app and kind, newest first, from the report.json each left in
 * its folder: the trend, and the previous period the changes compare with. "Previous" is the
 * latest earlier report rather than the calendar's previous window, so with weekend runs off
 * Monday's report (Friday to Sunday) compares with Friday's, and Tuesday's with Monday's.
 */

export interface EarlierReportFile extends EarlierReport {
  /** Null when the report.json lists no errors field (an older schema). */
  errorSignatures: ReadonlySet<string> | null;
}

/** Folder names are labels starting with the window's first date, so they sort by time. */
const LABEL = /^\d{4}-(\d{2}-\d{2}(_\d{4}-\d{2}-\d{2})?|W\d{2})$/;
/** What the next periods read of a report.json: its window, figures and error signatures. */
const earlierSchema = reportJsonSchema.pick({ window: true, figures: true, errors: true });

/** Bounds the files read when many folders are unreadable or of another length. */
const MAX_READS = TREND_PERIODS * 4;

function hours(window: Pick<ReportWindow, 'from' | 'to'>): number {
  return Math.round(DateTime.fromISO(window.to).diff(DateTime.fromISO(window.from), 'hours').hours);
}

export async function earlierReports(outputDir: string, plan: Pick<ReportPlan, 'app' | 'window'>, count = TREND_PERIODS - 1): Promise<EarlierReportFile[]> {
  const kindDir = resolveInside(outputDir, `${plan.app}/${plan.window.kind}`);
  let names: string[];
  try {
    names = (await readdir(kindDir, { withFileTypes: true })).filter((entry) => entry.isDirectory() && LABEL.test(entry.name)).map((entry) => entry.name);
  } catch {
    return [];
  }
  const start = DateTime.fromISO(plan.window.from).toMillis();
  const candidates = names.filter((name) => name < plan.window.label).sort().reverse().slice(0, MAX_READS);
  const found: EarlierReportFile[] = [];
  for (const name of candidates) {
    if (found.length >= count) break;
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path.join(kindDir, name, 'report.json'), 'utf8'));
    } catch {
      continue;
    }
    const parsed = earlierSchema.safeParse(json);
    if (!parsed.success) continue;
    const { window, figures, errors } = parsed.data;
    if (DateTime.fromISO(window.to).toMillis() > start) continue;
    // Ranges of other lengths are other questions; days and weeks are compared as they come.
    if (plan.window.kind === 'range' && hours(window) !== hours(plan.window)) continue;
    const errorSignatures = errors ? new Set(errors.map((error) => error.signature)) : null;
    found.push({ window, figures, errorSignatures });
  }
  return found;
}
