import type { Sheet } from '../csv';
import { sheetLayouts, type QaKey, type QaLayout } from '../locale';
import { compareRuns } from '../aggregate';
import { answerOf, attachmentsOf, questionOf, retrievalOfRecord, segmentText } from '../qa';
import type { RunRecord } from '../records';
import { localIso } from '../time';
import type { ReportContext } from '../types';

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

  row(record: RunRecord): string[] {
    if (this.last !== null && compareRuns(this.last, record) > 0) throw new Error(`Q&A rows must come oldest first: ${record.logId} arrived after ${this.last.logId}`);
    this.last = { createdAt: record.createdAt, logId: record.logId };
    this.seq += 1;
    // A chat message knows its place in the whole conversation, earlier windows included.
    const order = record.chat?.position ?? (this.questionsPerSession.get(record.sessionId) ?? 0) + 1;
    this.questionsPerSession.set(record.sessionId, order);
    const drop = this.ctx.redaction?.dropQaText === true;
    const retrieval = retrievalOfRecord(record);
    const fields: Record<QaKey, string> = {
      seq: String(this.seq),
      user_id: record.userId,
      session_id: record.sessionId,
      question_order: String(order),
      question: drop ? '' : questionOf(record, this.ctx.questionFields),
      attachments: drop ? '' : attachmentsOf(record).join('; '),
      answer: drop ? '' : answerOf(record, this.ctx.answerFields, this.ctx.answerMaxLength),
      knowledge_bases: retrieval.knowledgeBases.join('; '),
      documents: retrieval.documents.join('; '),
      created_at: localIso(record.createdAt, this.ctx.window.timezone),
      run_id: record.chat?.messageId ?? record.runId,
    };
    const segments = drop ? [] : retrieval.segments.map(segmentText);
    return [
      ...this.layout.before.map(([key]) => fields[key]),
      ...Array.from({ length: this.segmentColumns }, (_, index) => segments[index] ?? ''),
      ...this.layout.after.map(([key]) => fields[key]),
    ];
  }
}

/** The whole sheet from records already in order (oldest first). */
export function qaPairsSheet(records: readonly RunRecord[], segmentColumns: number, ctx: ReportContext): Sheet {
  const rows = new QaRows(ctx, segmentColumns);
  return { name: rows.fileName, rows: [...rows.header(), ...records.map((record) => rows.row(record))] };
}
