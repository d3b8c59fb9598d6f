import type { SimulatedNodeExecution } from './store';
import type { Rng } from './prng';
import { DATASETS, SEGMENTS, SYSTEM_PROMPT, type QuestionEntry, type SegmentEntry } from './demo-content';

/**
 * Builders for the node executions of one generated run (start -> [http-request] ->
 * knowledge-retrieval -> llm -> [code] -> end), shaped like Dify's console node-execution
 * records (dify-api.md 4.2 / 4.3a). Ids, indexes and timestamps are filled in by the caller.
 */

export type NodeDraft = Omit<SimulatedNodeExecution, 'id' | 'index' | 'predecessor_node_id' | 'created_at' | 'finished_at'>;

export interface GraphIds {
  start: string;
  http: string;
  retrieval: string;
  llm: string;
  code: string;
  end: string;
}

export interface ModelProfile {
  provider: string;
  name: string;
  currency: 'USD' | 'RMB';
  /** Dify usage fields: price = tokens * unit_price * price_unit. */
  promptUnitPrice: number;
  completionUnitPrice: number;
  priceUnit: number;
  secondsPerToken: number;
}

export const MODELS: readonly ModelProfile[] = [
  { provider: 'openai', name: 'gpt-4o-mini', currency: 'USD', promptUnitPrice: 0.15, completionUnitPrice: 0.6, priceUnit: 0.000001, secondsPerToken: 0.011 },
  { provider: 'tongyi', name: 'qwen-plus', currency: 'RMB', promptUnitPrice: 0.0008, completionUnitPrice: 0.002, priceUnit: 0.001, secondsPerToken: 0.017 },
];

/** A knowledge segment with the ids it keeps across runs (Dify's ids are stable per segment). */
export interface IndexedSegment {
  entry: SegmentEntry;
  datasetId: string;
  documentId: string;
  segmentId: string;
  indexNodeHash: string;
  segmentPosition: number;
  hitBase: number;
  /** Rough prompt tokens the segment adds (CJK text is about one token per character). */
  tokens: number;
}

export function indexSegments(rng: Rng): IndexedSegment[] {
  const datasetIds = DATASETS.map(() => rng.uuid());
  const documentIds = new Map<string, string>();
  return SEGMENTS.map((entry, i) => {
    const documentKey = `${entry.dataset}/${entry.documentName}`;
    const documentId = documentIds.get(documentKey) ?? rng.uuid();
    documentIds.set(documentKey, documentId);
    return {
      entry,
      datasetId: datasetIds[entry.dataset] ?? rng.uuid(),
      documentId,
      segmentId: rng.uuid(),
      indexNodeHash: rng.hex(64),
      segmentPosition: (i % 7) + 1,
      hitBase: rng.int(3, 400),
      tokens: Math.round(entry.content.length * (/[\u4e00-\u9fff]/.test(entry.content) ? 1.1 : 0.3)),
    };
  });
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/*
 * Values that are identical in every run are shared, not copied: a benchmark store holds
 * 100k runs, and per-run copies of constant lists and prompts would dominate its memory.
 * Frozen so a consumer that mutates one run cannot change them all.
 */
export const NO_ITEMS: readonly never[] = Object.freeze([]);
const SYSTEM_MESSAGE = Object.freeze({ role: 'system', text: SYSTEM_PROMPT, files: NO_ITEMS });
const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json' });
const NO_HEADERS = Object.freeze({});

export function elapsed(value: number): number {
  return round(Math.max(0.001, value), 6);
}

/**
 * As Dify 1.14 records it: the start node's inputs are the request's own inputs, its outputs
 * the whole variable pool (those inputs and every `sys.*` value). The run's inputs object is
 * shared as the outputs, which keeps big stores small.
 */
export function startNode(rng: Rng, ids: GraphIds, runInputs: Record<string, unknown>): NodeDraft {
  const own = Object.fromEntries(Object.entries(runInputs).filter(([key]) => !key.startsWith('sys.')));
  return draft(ids.start, 'start', 'Start', own, null, runInputs, elapsed(0.002 + 0.006 * rng.next()), null);
}

export interface Retrieval {
  node: NodeDraft;
  segments: IndexedSegment[];
}

export function retrievalNode(rng: Rng, ids: GraphIds, segments: readonly IndexedSegment[], question: QuestionEntry): Retrieval {
  const count = rng.int(1, 4);
  const onTopic = segments.filter((s) => s.entry.topic === question.topic);
  const chosen: IndexedSegment[] = [];
  while (chosen.length < count) {
    const candidate = rng.chance(0.7) && onTopic.length > 0 ? rng.pick(onTopic) : rng.pick(segments);
    if (!chosen.includes(candidate)) chosen.push(candidate);
  }
  // On-topic segments score higher, so the top hit is usually the relevant one.
  const scored = chosen
    .map((segment) => ({ segment, score: round(segment.entry.topic === question.topic ? 0.55 + rng.next() * 0.4 : 0.3 + rng.next() * 0.35, 4) }))
    .sort((a, b) => b.score - a.score);
  const result = scored.map(({ segment, score }, i) => {
    const dataset = DATASETS[segment.entry.dataset];
    return {
      title: segment.entry.documentName,
      content: segment.entry.content,
      metadata: {
        _source: 'knowledge',
        dataset_id: segment.datasetId,
        dataset_name: dataset?.name ?? '',
        document_id: segment.documentId,
        document_name: segment.entry.documentName,
        data_source_type: 'upload_file',
        segment_id: segment.segmentId,
        retriever_from: 'workflow',
        score,
        child_chunks: NO_ITEMS,
        segment_hit_count: segment.hitBase + rng.int(0, 50),
        segment_word_count: segment.entry.content.length,
        segment_position: segment.segmentPosition,
        segment_index_node_hash: segment.indexNodeHash,
        doc_metadata: null,
        position: i + 1,
      },
    };
  });
  const seconds = elapsed(rng.logNormal(0.35, 0.45));
  const node = draft(ids.retrieval, 'knowledge-retrieval', '知识检索', { query: question.question }, null, { result }, seconds, null);
  return { node, segments: scored.map((s) => s.segment) };
}

export interface LlmPlan {
  model: ModelProfile;
  question: QuestionEntry;
  segments: readonly IndexedSegment[];
  /** Some Dify builds serialise Decimal prices as strings ("0.0012340"). */
  pricesAsStrings: boolean;
}

export function llmNode(rng: Rng, ids: GraphIds, plan: LlmPlan): NodeDraft {
  const { model, question } = plan;
  const tokensPerChar = question.lang === 'zh' ? 1.1 : 0.3;
  const context = plan.segments.reduce((sum, s) => sum + s.tokens, 0);
  const promptTokens = Math.round(310 + context + question.question.length * tokensPerChar + rng.int(0, 40));
  const completionTokens = Math.max(12, Math.round(question.answer.length * tokensPerChar * (1 + rng.next() * 0.8)));
  let seconds = 0.5 + completionTokens * model.secondsPerToken * rng.logNormal(1, 0.45);
  // Providers have slow moments: a few calls take several times as long (the latency tail).
  if (rng.chance(0.12)) seconds *= 3 + rng.next() * 5;
  const usage = llmUsage(model, promptTokens, completionTokens, plan.pricesAsStrings, round(seconds * 0.97, 3));
  const processData = {
    model_mode: 'chat',
    prompts: [
      SYSTEM_MESSAGE,
      { role: 'user', text: question.question, files: NO_ITEMS },
    ],
    usage,
    finish_reason: 'stop',
    model_provider: `langgenius/${model.provider}/${model.provider}`,
    model_name: model.name,
  };
  const outputs = { text: question.answer, usage, finish_reason: 'stop' };
  const metadata = { total_tokens: usage.total_tokens, total_price: usage.total_price, currency: model.currency };
  return draft(ids.llm, 'llm', 'LLM', {}, processData, outputs, elapsed(seconds), metadata);
}

function llmUsage(model: ModelProfile, promptTokens: number, completionTokens: number, asStrings: boolean, latency: number) {
  const money = (value: number): number | string => (asStrings ? value.toFixed(7) : round(value, 7));
  const promptPrice = promptTokens * model.promptUnitPrice * model.priceUnit;
  const completionPrice = completionTokens * model.completionUnitPrice * model.priceUnit;
  return {
    prompt_tokens: promptTokens,
    prompt_unit_price: money(model.promptUnitPrice),
    prompt_price_unit: money(model.priceUnit),
    prompt_price: money(promptPrice),
    completion_tokens: completionTokens,
    completion_unit_price: money(model.completionUnitPrice),
    completion_price_unit: money(model.priceUnit),
    completion_price: money(completionPrice),
    total_tokens: promptTokens + completionTokens,
    total_price: money(promptPrice + completionPrice),
    currency: model.currency,
    latency,
  };
}

/** An llm node that did not produce an answer (provider error or user stop). */
export function brokenLlmNode(ids: GraphIds, status: 'failed' | 'stopped', error: string | null, seconds: number): NodeDraft {
  return draft(ids.llm, 'llm', 'LLM', {}, null, null, elapsed(seconds), null, status, error);
}

export function codeNode(rng: Rng, ids: GraphIds, segments: readonly IndexedSegment[], answer: string, error: string | null): NodeDraft {
  const seconds = error ? 10 + rng.next() * 0.2 : rng.logNormal(0.08, 0.4);
  if (error) return draft(ids.code, 'code', '格式化引用', null, null, null, elapsed(seconds), null, 'failed', error);
  const sources = segments.map((s) => s.entry.documentName).join(', ');
  return draft(ids.code, 'code', '格式化引用', { answer, sources }, null, { result: `${answer}\n\n参考来源 / Sources: ${sources}` }, elapsed(seconds), null);
}

export type HttpOutcome = 'ok' | 'failed' | 'exception';

export function httpNode(rng: Rng, ids: GraphIds, userId: string, outcome: HttpOutcome, error: string | null): NodeDraft {
  const request = `GET /api/v2/tickets?user=${encodeURIComponent(userId)}&status=open HTTP/1.1\r\nHost: crm.internal.example\r\nAuthorization: Bearer ***\r\n\r\n`;
  if (outcome === 'failed') {
    return draft(ids.http, 'http-request', '查询工单系统', null, { request }, null, elapsed(rng.logNormal(1.2, 0.5)), null, 'failed', error);
  }
  if (outcome === 'exception') {
    // Error strategy "default value": the node fails but the workflow goes on.
    const outputs = { status_code: 504, body: '', headers: NO_HEADERS, files: NO_ITEMS };
    return draft(ids.http, 'http-request', '查询工单系统', null, { request }, outputs, elapsed(15 + rng.next()), null, 'exception', error);
  }
  const open = rng.int(0, 2);
  const outputs = { status_code: 200, body: `{"open_tickets":${open},"tier":"standard"}`, headers: JSON_HEADERS, files: NO_ITEMS };
  return draft(ids.http, 'http-request', '查询工单系统', null, { request }, outputs, elapsed(rng.logNormal(0.25, 0.5)), null);
}

export function endNode(ids: GraphIds, text: string): NodeDraft {
  const value = { text };
  return draft(ids.end, 'end', 'End', value, null, value, 0.001, null);
}

function draft(
  nodeId: string,
  nodeType: string,
  title: string,
  inputs: Record<string, unknown> | null,
  processData: Record<string, unknown> | null,
  outputs: Record<string, unknown> | null,
  seconds: number,
  metadata: NodeDraft['execution_metadata'],
  status = 'succeeded',
  error: string | null = null,
): NodeDraft {
  return { node_id: nodeId, node_type: nodeType, title, inputs, process_data: processData, outputs, status, error, elapsed_time: seconds, execution_metadata: metadata };
}
