/**
 * The pure report pipeline activities/render.ts streams records through: prepareRecord ->
 * Accumulator -> reportFiles, plus the row sheets (runs, Q&A pairs) written row by row.
 */
export type { ReportContext, ReportFigures, EarlierUsers } from './types';
export { Accumulator, compareRuns, type Aggregates } from './aggregate';
export { reportFiles, type ReportFile } from './files';
export { prepareRecord, type CollectedRecord } from './prepare';
export { QaRows } from './sheets/qa-pairs';
export { runsHeader, runsRow } from './sheets/runs';
export { csvText } from './csv';
