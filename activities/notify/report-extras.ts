import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * The parts of report.json a message quotes beyond ReportSummary: the changes against the
 * previous period and the most frequent errors. Read leniently: a report rendered without
 * the json format, or an older schema, just gives a message without those lines.
 */

const changeSchema = z.object({
  figure: z.string(),
  currency: z.string().optional(),
  current: z.number().nullable(),
  delta: z.number().nullable(),
  deltaPercent: z.number().nullable(),
});

const errorSchema = z.object({ signature: z.string(), node: z.string().optional().default(''), count: z.number() });

const extrasSchema = z.object({
  changes: z.array(changeSchema).optional(),
  errors: z.array(errorSchema).optional(),
});

export type ReportChange = z.infer<typeof changeSchema>;
export type ReportError = z.infer<typeof errorSchema>;

export interface ReportExtras {
  changes: ReportChange[];
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
