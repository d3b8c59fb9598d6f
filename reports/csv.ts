/** A sheet: its file name and every row, header included, as ready-formatted cells. */
export interface Sheet {
  name: string;
  rows: string[][];
}

/** Characters that make a spreadsheet read a cell as a formula (csv-stringify's `escape_formulas` set). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One cell as CSV text. Formula-looking cells (`=`, `+`, `-`, `@`, their full-width forms, a
 * leading tab or CR) get a leading `'` because questions and answers come from end users and
 * must never run as formulas; cells holding a quote, a comma or a line break are quoted, LF
 * alone included (or every spreadsheet splits the record). The same bytes csv-stringify gives
 * with `escape_formulas` and `quoted_match: /[\r\n]/` (test/report-depth.test.ts compares
 * them), written out because the per-run sheets call it for every cell of every run.
 */
export function csvCell(value: string): string {
  if (value === '') return '';
  const text = FORMULA_START.has(value[0] ?? '') ? `'${value}` : value;
  if (!NEEDS_QUOTES.test(text)) return text;
  return `"${text.includes('"') ? text.replaceAll('"', '""') : text}"`;
}

/** One record: its cells escaped, comma-separated, ended by CRLF. */
export function csvRow(cells: readonly string[]): string {
  let line = '';
  for (let at = 0; at < cells.length; at += 1) line += at === 0 ? csvCell(cells[at] ?? '') : `,${csvCell(cells[at] ?? '')}`;
  return `${line}\r\n`;
}

/**
 * UTF-8 with BOM and CRLF: the form of the predecessor's templates, which Excel opens as
 * UTF-8 without an import dialog.
 */
export function toCsv(sheet: Sheet): string {
  return csvText(sheet.rows, true);
}

/**
 * Rows as CSV text; without the BOM for the later chunks of a sheet written piece by piece,
 * which then concatenate to exactly the bytes `toCsv` gives for the whole sheet.
 */
export function csvText(rows: readonly (readonly string[])[], bom: boolean): string {
  let text = bom ? '\uFEFF' : '';
  for (const row of rows) text += csvRow(row);
  return text;
}

/** Rows keyed by column id, projected onto a layout's column order. */
export function project<K extends string>(columns: readonly (readonly [K, string])[], rows: readonly Readonly<Record<K, string>>[]): string[][] {
  return [columns.map(([, header]) => header), ...rows.map((row) => columns.map(([key]) => row[key]))];
}
