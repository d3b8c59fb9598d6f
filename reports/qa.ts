import type { NodeExecution } from '../common/dify-schemas';
import type { RunRecord } from './records';

/** What the Q&A sheet reads from one run: question, attachments, answer and what was retrieved. */

export interface RetrievedSegment {
  score: number | null;
  text: string;
}

export interface Retrieval {
  knowledgeBases: string[];
  documents: string[];
  segments: RetrievedSegment[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Non-string values (numbers, objects) are shown as JSON rather than dropped. */
function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Cells hold LF only, so CRLF in a file always means "next record" to naive readers too. */
export function cellText(value: string): string {
  return value.replace(/\r\n?/g, '\n');
}

function firstPresent(source: Record<string, unknown>, fields: readonly string[]): unknown {
  for (const field of fields) {
    const value = source[field];
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

/** The first configured question field present in the run's inputs (`query`, then `sys.query` by default). */
export function questionOf(record: RunRecord, questionFields: readonly string[]): string {
  // A chat message's question is its query, whatever the app's own input variables are called.
  if (record.chat) return cellText(asText(record.inputs['sys.query']));
  return cellText(asText(firstPresent(record.inputs, questionFields)));
}

export function attachmentsOf(record: RunRecord): string[] {
  const files = record.inputs['sys.files'];
  if (!Array.isArray(files)) return [];
  return files
    .map((file: unknown) => (isRecord(file) ? (file.filename ?? file.name) : undefined))
    .filter((name): name is string => typeof name === 'string' && name !== '');
}

/** Cut by code points so a truncated answer never ends in half an emoji or CJK surrogate pair. */
export function truncate(value: string, maxLength: number): string {
  const chars = Array.from(value);
  return chars.length > maxLength ? `${chars.slice(0, maxLength).join('')}…` : value;
}

/** The first configured answer field present in the run's outputs (`text`, `answer`, `result` by default). */
export function answerOf(record: RunRecord, answerFields: readonly string[], maxLength: number): string {
  if (record.chat) return truncate(cellText(asText(record.outputs.answer)), maxLength);
  return truncate(cellText(asText(firstPresent(record.outputs, answerFields))), maxLength);
}

/** Dify cuts long dataset names and marks the cut with `...`; the mark is noise in a sheet. */
function cleanName(name: string): string {
  return name.replace(/(\.\.\.|…)$/, '').trim();
}

function positionOf(item: Record<string, unknown>, fallback: number): number {
  const metadata = isRecord(item.metadata) ? item.metadata : {};
  return typeof metadata.position === 'number' ? metadata.position : fallback;
}

/**
 * Retrieval results of every knowledge-retrieval node, in execution order and, within a node,
 * in rank order (`metadata.position`), which is the order the LLM saw them.
 */
export function retrievalOf(nodes: readonly NodeExecution[] | null): Retrieval {
  const knowledgeBases: string[] = [];
  const documents: string[] = [];
  const segments: RetrievedSegment[] = [];
  const retrievalNodes = (nodes ?? []).filter((node) => node.node_type === 'knowledge-retrieval').sort((a, b) => a.index - b.index);
  for (const node of retrievalNodes) {
    const result = node.outputs?.result;
    if (!Array.isArray(result)) continue;
    const items = result
      .filter(isRecord)
      .map((item, at) => ({ item, rank: positionOf(item, at + 1) }))
      .sort((a, b) => a.rank - b.rank);
    for (const { item } of items) {
      const metadata = isRecord(item.metadata) ? item.metadata : {};
      const dataset = typeof metadata.dataset_name === 'string' ? cleanName(metadata.dataset_name) : '';
      const document = typeof metadata.document_name === 'string' ? cleanName(metadata.document_name) : '';
      if (dataset !== '' && !knowledgeBases.includes(dataset)) knowledgeBases.push(dataset);
      if (document !== '' && !documents.includes(document)) documents.push(document);
      segments.push({
        score: typeof metadata.score === 'number' ? metadata.score : null,
        text: cellText(asText(item.content)),
      });
    }
  }
  return { knowledgeBases, documents, segments };
}

/**
 * What the Q&A sheet shows as retrieved for one record: for a chat message the segments its
 * answer cites (`retriever_resources`, in citation order), else the knowledge-retrieval nodes.
 */
export function retrievalOfRecord(record: RunRecord): Retrieval {
  const cited = record.chat?.cited ?? [];
  if (cited.length === 0) return retrievalOf(record.nodes);
  const knowledgeBases: string[] = [];
  const documents: string[] = [];
  for (const segment of cited) {
    if (segment.dataset !== '' && !knowledgeBases.includes(segment.dataset)) knowledgeBases.push(segment.dataset);
    if (segment.document !== '' && !documents.includes(segment.document)) documents.push(segment.document);
  }
  return { knowledgeBases, documents, segments: cited.map((segment) => ({ score: segment.score, text: segment.content })) };
}

/** `0.8123 text…`: the score first so a reader can sort by eye; no score (keyword search) shows the text only. */
export function segmentText(segment: RetrievedSegment): string {
  return segment.score === null ? segment.text : `${segment.score.toFixed(4)} ${segment.text}`;
}
