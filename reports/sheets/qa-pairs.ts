import type { Aggregates } from '../aggregate';
import type { Sheet } from '../csv';
import { sheetLayouts, type QaKey } from '../locale';
import { answerOf, attachmentsOf, questionOf, retrievalOf, segmentText } from '../qa';
import { localIso } from '../time';
import type { ReportContext } from '../types';

/**
 * One row per run, oldest first. The segment columns are as many as the run with the most
 * retrieved segments needs (at least one, so the layout never loses its segment column).
 */
export function qaPairsSheet(aggregates: Aggregates, ctx: ReportContext): Sheet {
  const layout = sheetLayouts(ctx.locale).qaPairs;
  const zone = ctx.window.timezone;
  const questionsPerSession = new Map<string, number>();
  const rows = aggregates.records.map((record, at) => {
    const order = (questionsPerSession.get(record.sessionId) ?? 0) + 1;
    questionsPerSession.set(record.sessionId, order);
    const retrieval = retrievalOf(record.nodes);
    const fields: Record<QaKey, string> = {
      seq: String(at + 1),
      user_id: record.userId,
      session_id: record.sessionId,
      question_order: String(order),
      question: questionOf(record, ctx.questionFields),
      attachments: attachmentsOf(record).join('; '),
      answer: answerOf(record, ctx.answerFields, ctx.answerMaxLength),
      knowledge_bases: retrieval.knowledgeBases.join('; '),
      documents: retrieval.documents.join('; '),
      created_at: localIso(record.createdAt, zone),
      run_id: record.runId,
    };
    return { fields, segments: retrieval.segments.map(segmentText) };
  });

  const segmentColumns = Math.max(1, ...rows.map((row) => row.segments.length));
  const segmentIndexes = Array.from({ length: segmentColumns }, (_, index) => index);
  const header = [
    ...layout.before.map(([, name]) => name),
    ...segmentIndexes.map((index) => layout.segment(index + 1)),
    ...layout.after.map(([, name]) => name),
  ];
  const body = rows.map(({ fields, segments }) => [
    ...layout.before.map(([key]) => fields[key]),
    ...segmentIndexes.map((index) => segments[index] ?? ''),
    ...layout.after.map(([key]) => fields[key]),
  ]);
  const blank = layout.blankFirstRow ? [header.map(() => '')] : [];
  return { name: layout.file, rows: [...blank, header, ...body] };
}
