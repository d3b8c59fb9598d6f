import { paramError, parseIsoMillis, UUID, type Reply } from './http-kit';
import type { Rng } from './prng';
import type { DifyStore, SimulatedApp, SimulatedLog } from './store';

/**
 * `get_paginate_workflow_app_logs` (contract 2.3 / 4.1): parameter validation, filters,
 * `created_at DESC` order and offset pagination, shared by the service and console routes.
 */

/** How one request orders the logs Dify's ORDER BY leaves tied, and which filters it knows. */
export interface LogOrdering {
  /**
   * Present: tied seconds come back in a fresh random order on every request, as PostgreSQL
   * returns rows an ORDER BY leaves tied in whatever order each LIMIT/OFFSET plan yields.
   * Absent: store order (deterministic pages).
   */
  shuffleTies?: Rng;
  /** 0.x before ~0.15 had no `created_at__before/__after`: unknown parameters are ignored. */
  dateFilters: boolean;
}

/** Sorts newest first; runs of one second in random order when `rng` is given. */
function orderNewestFirst(logs: SimulatedLog[], rng: Rng | undefined): SimulatedLog[] {
  // Stable sort: equal timestamps keep store order unless shuffled below.
  const ordered = [...logs].sort((a, b) => b.created_at - a.created_at);
  if (!rng) return ordered;
  for (let start = 0; start < ordered.length; ) {
    let end = start + 1;
    while (end < ordered.length && ordered[end]?.created_at === ordered[start]?.created_at) end += 1;
    for (let i = end - 1; i > start; i -= 1) {
      const j = start + Math.floor(rng.next() * (i - start + 1));
      [ordered[i], ordered[j]] = [ordered[j] as SimulatedLog, ordered[i] as SimulatedLog];
    }
    start = end;
  }
  return ordered;
}

export interface LogQueryResult {
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
  logs: SimulatedLog[];
}

const SERVICE_STATUSES = ['succeeded', 'failed', 'stopped'];
const CONSOLE_STATUSES = ['running', 'succeeded', 'failed', 'stopped', 'partial-succeeded', 'paused', 'scheduled'];

/** flask-restful `inputs.int_range` message, what reqparse returned for out-of-range page/limit. */
function intArg(query: URLSearchParams, name: string, fallback: number, low: number, high: number, withStatus: boolean): number | Reply {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) return paramError(name, `${raw} is not a valid integer`, withStatus);
  const value = Number(raw);
  if (value < low || value > high) return paramError(name, `Invalid argument: ${value}. argument must be within the range ${low} - ${high}`, withStatus);
  return value;
}

/** A pydantic ValidationError as Dify 1.14 words it for `WorkflowLogQuery` (service API). */
function pydanticError(field: string, detail: string, type: string, input: string): Reply {
  const message = `1 validation error for WorkflowLogQuery\n${field}\n  ${detail} [type=${type}, input_value='${input}', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.12/v/${type}`;
  return { status: 400, body: { code: 'invalid_param', message, status: 400 } };
}

function pydanticInt(query: URLSearchParams, name: string, fallback: number, low: number, high: number): number | Reply {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) return pydanticError(name, 'Input should be a valid integer, unable to parse string as an integer', 'int_parsing', raw);
  const value = Number(raw);
  if (value < low) return pydanticError(name, `Input should be greater than or equal to ${low}`, 'greater_than_equal', raw);
  if (value > high) return pydanticError(name, `Input should be less than or equal to ${high}`, 'less_than_equal', raw);
  return value;
}

const isReply = (value: unknown): value is Reply => typeof value === 'object' && value !== null && 'status' in value;

function keywordMatches(log: SimulatedLog, keyword: string): boolean {
  const needle = keyword.slice(0, 30).toLowerCase();
  const haystacks = [JSON.stringify(log.run.inputs), JSON.stringify(log.run.outputs ?? null)];
  if (log.created_by_role === 'end_user' && log.created_by_end_user) haystacks.push(log.created_by_end_user.session_id);
  if (haystacks.some((text) => text.toLowerCase().includes(needle))) return true;
  return keyword.length >= 32 && UUID.test(keyword) && log.run.id.toLowerCase() === keyword.toLowerCase();
}

export function queryLogs(
  store: DifyStore,
  app: SimulatedApp,
  query: URLSearchParams,
  options: { surface: 'service' | 'console'; withStatus: boolean; pydantic?: boolean; ordering: LogOrdering },
): LogQueryResult | Reply {
  const pydantic = options.pydantic === true && options.surface === 'service';
  const page = pydantic ? pydanticInt(query, 'page', 1, 1, 99999) : intArg(query, 'page', 1, 1, 99999, options.withStatus);
  if (isReply(page)) return page;
  const limit = pydantic ? pydanticInt(query, 'limit', 20, 1, 100) : intArg(query, 'limit', 20, 1, 100, options.withStatus);
  if (isReply(limit)) return limit;

  const status = query.get('status') || undefined;
  const allowed = options.surface === 'service' ? SERVICE_STATUSES : CONSOLE_STATUSES;
  if (status !== undefined && !allowed.includes(status)) {
    if (pydantic) return pydanticError('status', "Input should be 'succeeded', 'failed' or 'stopped'", 'literal_error', status);
    return paramError('status', `${status} is not a valid choice`, options.withStatus);
  }

  const bounds: { after?: number; before?: number } = {};
  for (const [name, key] of [['created_at__after', 'after'], ['created_at__before', 'before']] as const) {
    if (!options.ordering.dateFilters) continue;
    const raw = query.get(name);
    if (raw === null || raw === '') continue;
    // dateutil.isoparse reads a bare epoch as a too-short date.
    if (pydantic && /^\d+$/.test(raw)) return { status: 400, body: { code: 'invalid_param', message: 'ISO time too short', status: 400 } };
    const millis = parseIsoMillis(raw);
    // dateutil's ValueError goes through the generic handler: invalid_param with status, no params.
    if (millis === undefined) return { status: 400, body: { code: 'invalid_param', message: `Invalid isoformat string: '${raw}'`, status: 400 } };
    bounds[key] = millis;
  }

  const accountEmail = query.get('created_by_account') || undefined;
  let accountId: string | undefined;
  if (accountEmail !== undefined) {
    const known = [...store.consoleUsers, ...app.logs.flatMap((log) => (log.created_by_account ? [log.created_by_account] : []))];
    const account = known.find((candidate) => candidate.email === accountEmail);
    if (!account) return { status: 400, body: { code: 'invalid_param', message: `Account not found: ${accountEmail}`, status: 400 } };
    accountId = account.id;
  }
  const sessionId = query.get('created_by_end_user_session_id') || undefined;
  const keyword = query.get('keyword') || undefined;

  const matching = app.logs.filter((log) => {
    const millis = log.created_at * 1000;
    if (bounds.after !== undefined && millis < bounds.after) return false;
    if (bounds.before !== undefined && millis > bounds.before) return false;
    if (status !== undefined && log.run.status !== status) return false;
    if (keyword !== undefined && !keywordMatches(log, keyword)) return false;
    if (sessionId !== undefined && !(log.created_by_role === 'end_user' && log.created_by_end_user?.session_id === sessionId)) return false;
    if (accountId !== undefined && !(log.created_by_role === 'account' && log.created_by_account?.id === accountId)) return false;
    return true;
  });
  const ordered = orderNewestFirst(matching, options.ordering.shuffleTies);
  const total = ordered.length;
  return { page, limit, total, hasMore: total > page * limit, logs: ordered.slice((page - 1) * limit, page * limit) };
}
