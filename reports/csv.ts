import { stringify } from 'csv-stringify/sync';

/** A sheet: its file name and every row, header included, as ready-formatted cells. */
export interface Sheet {
  name: string;
  rows: string[][];
}

/**
 * UTF-8 with BOM and CRLF: the form of the predecessor's templates, which Excel opens as
 * UTF-8 without an import dialog. Formula-looking cells (`=`, `+`, `-`, `@`) get a leading
 * `'` because questions and answers come from end users and must never run as formulas.
 */
export function toCsv(sheet: Sheet): string {
  return csvText(sheet.rows, true);
}

/**
 * Rows as CSV text; without the BOM for the later chunks of a sheet written piece by piece,
 * which then concatenate to exactly the bytes `toCsv` gives for the whole sheet.
 */
export function csvText(rows: readonly (readonly string[])[], bom: boolean): string {
  if (rows.length === 0) return bom ? '\uFEFF' : '';
  // With a CRLF record delimiter csv-stringify only quotes fields holding the full `\r\n`;
  // a lone LF inside a cell must be quoted too, or every spreadsheet splits the record.
  return stringify(rows as string[][], { bom, record_delimiter: 'windows', quoted_match: /[\r\n]/, escape_formulas: true });
}

/** Rows keyed by column id, projected onto a layout's column order. */
export function project<K extends string>(columns: readonly (readonly [K, string])[], rows: readonly Readonly<Record<K, string>>[]): string[][] {
  return [columns.map(([, header]) => header), ...rows.map((row) => columns.map(([key]) => row[key]))];
}
