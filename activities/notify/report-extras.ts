import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { reportJsonSchema, type Change, type ReportError } from '../../common/report-files';

/**
 * The parts of report.json a message quotes beyond ReportSummary: the changes against the
 * previous period and the most frequent errors. Read leniently: a report rendered without
 * the json format, or an older schema, just gives a message without those lines.
 */

const extrasSchema = reportJsonSchema.pick({ changes: true, errors: true });

export interface ReportExtras {
  changes: Change[];
  errors: ReportError[];
}

export const NO_EXTRAS: ReportExtras = { changes: [], errors: [] };

export async function readReportExtras(folder: string): Promise<ReportExtras> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path.join(folder, 'report.json'), 'utf8'));
  } catch {
    return NO_EXTRAS;
  }
  const parsed = extrasSchema.safeParse(json);
  if (!parsed.success) return NO_EXTRAS;
  return { changes: parsed.data.changes ?? [], errors: parsed.data.errors ?? [] };
}
