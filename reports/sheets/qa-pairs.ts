import { csvCell } from '../csv';
import { sheetLayouts, type QaKey, type QaLayout } from '../locale';
import { compareRuns } from '../aggregate';
import { answerOf, attachmentsOf, questionOf, retrievalOfRecord, segmentText } from '../qa';
import type { RunRecord } from '../records';
import { localIso } from '../time';
import type { ReportContext } from '../types';

/**
 * A run's Q&A row before it is numbered: its cells as CSV text, `seq` and `question_order`
 * left empty. It does not depend on the order runs come in, so it can be built while the raw
 * file is read and numbered once the runs are sorted.
 */
export interface QaPiece {
  sessionId: string;
  /** A chat message's place in its whole conversation; null for workflow runs. */
  position: number | null;
  /** Escaped cells of the columns before and after the segment columns. */
  before: string[];
  segments: string[];
  after: string[];
}

interface QaCells {
  before: string[];
  segments: string[];
  after: string[];
}

/** Every cell of a record's row but the numbering, unescaped; `seq` and `question_order` empty. */
function qaCells(record: RunRecord, ctx: ReportContext): QaCells {
  const layout = sheetLayouts(ctx.locale).qaPairs;
  const drop = ctx.redaction?.dropQaText === true;
  const retrieval = retrievalOfRecord(record);
  const fields: Record<QaKey, string> = {
    seq: '',
    user_id: record.userId,
    session_id: record.sessionId,
    question_order: '',
    question: drop ? '' : questionOf(record, ctx.questionFields),
    attachments: drop ? '' : attachmentsOf(record).join('; '),
    answer: drop ? '' : answerOf(record, ctx.answerFields, ctx.answerMaxLength),
    knowledge_bases: retrieval.knowledgeBases.join('; '),
    documents: retrieval.documents.join('; '),
    created_at: localIso(record.createdAt, ctx.window.timezone),
    run_id: record.chat?.messageId ?? record.runId,
  };
  return {
    before: layout.before.map(([key]) => fields[key]),
    segments: drop ? [] : retrieval.segments.map(segmentText),
    after: layout.after.map(([key]) => fields[key]),
  };
}

/** A record's Q&A row as CSV text, to be numbered by `QaRows.line` once the records are in order. */
export function qaPiece(record: RunRecord, ctx: ReportContext): QaPiece {
  const cells = qaCells(record, ctx);
  return { sessionId: record.sessionId, position: record.chat?.position ?? null, before: cells.before.map(csvCell), segments: cells.segments.map(csvCell), after: cells.after.map(csvCell) };
}

/**
 * The Q&A sheet, one row per run, oldest first. `seq` and `question_order` count in time
 * order, so rows must be fed oldest first; the builder refuses anything else rather than
 * number a conversation's questions wrongly. K (`segmentColumns`) comes from the aggregates
 * (the most segments any run retrieved, at least 1), so rows can be written before the end.
 * With Q&A text dropped, question, attachments, answer and segments stay as empty columns:
 * the predecessor's layout, and the headers of spreadsheets built on it, must still match.
 */
export class QaRows {
  private readonly layout: QaLayout;
  private readonly questionsPerSession = new Map<string, number>();
  private seq = 0;
  private last: { createdAt: number; logId: string } | null = null;

  constructor(
    private readonly ctx: ReportContext,
    private readonly segmentColumns: number,
  ) {
    this.layout = sheetLayouts(ctx.locale).qaPairs;
  }

  get fileName(): string {
    return this.layout.file;
  }

  /** The predecessor's blank first row (zh-CN), then the header. */
  header(): string[][] {
    const header = [
      ...this.layout.before.map(([, name]) => name),
      ...Array.from({ length: this.segmentColumns }, (_, index) => this.layout.segment(index + 1)),
      ...this.layout.after.map(([, name]) => name),
    ];
    return this.layout.blankFirstRow ? [header.map(() => ''), header] : [header];
  }

  /** The record's row, numbered in the order rows are asked for, which must be oldest first. */
  private numbered(record: { createdAt: number; logId: string }, sessionId: string, position: number | null): { seq: string; order: string } {
    if (this.last !== null && compareRuns(this.last, record) > 0) throw new Error(`Q&A rows must come oldest first: ${record.logId} arrived after ${this.last.logId}`);
    this.last = { createdAt: record.createdAt, logId: record.logId };
    this.seq += 1;
    // A chat message knows its place in the whole conversation, earlier windows included.
    const order = position ?? (this.questionsPerSession.get(sessionId) ?? 0) + 1;
    this.questionsPerSession.set(sessionId, order);
    return { seq: String(this.seq), order: String(order) };
  }

  private fill(cells: QaCells, numbers: { seq: string; order: string }): string[] {
    const numberOf = (key: QaKey, value: string): string => (key === 'seq' ? numbers.seq : key === 'question_order' ? numbers.order : value);
    return [
      ...this.layout.before.map(([key], index) => numberOf(key, cells.before[index] ?? '')),
      ...Array.from({ length: this.segmentColumns }, (_, index) => cells.segments[index] ?? ''),
      ...this.layout.after.map(([key], index) => numberOf(key, cells.after[index] ?? '')),
    ];
  }

  row(record: RunRecord): string[] {
    const numbers = this.numbered(record, record.sessionId, record.chat?.position ?? null);
    return this.fill(qaCells(record, this.ctx), numbers);
  }

  /** A piece numbered as the next row: the CSV line `csvRow(row(record))` gives. Oldest first, like `row`. */
  line(piece: QaPiece, record: { createdAt: number; logId: string }): string {
    // Numbers are digits: as CSV text they are themselves.
    return `${this.fill(piece, this.numbered(record, piece.sessionId, piece.position)).join(',')}\r\n`;
  }
}
