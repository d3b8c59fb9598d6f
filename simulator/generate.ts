import { DateTime } from 'luxon';
import type { DifyStore, SimulatedAccount, SimulatedConsoleUser, SimulatedEndUser, SimulatedLog, SimulatedNodeExecution, SimulatedRunRecord } from './store';
import { Rng, hashSeed } from './prng';
import { ATTACHMENTS, QUESTIONS, type QuestionEntry } from './demo-content';
import {
  MODELS, NO_ITEMS, brokenLlmNode, codeNode, elapsed, endNode, httpNode, indexSegments, llmNode, retrievalNode, startNode,
  type GraphIds, type IndexedSegment, type NodeDraft,
} from './generate-nodes';

/**
 * Realistic generated Dify data for `difyscope demo` and the benchmark: one workflow app
 * (start -> knowledge-retrieval -> llm -> end, sometimes with code / http-request nodes),
 * a stable population of end users, a diurnal load curve, a latency tail and a few percent
 * of failures with the error messages real providers produce. Deterministic: everything
 * comes from the seed, nothing from the clock.
 */

export interface GenerateOptions {
  /** Local calendar day `YYYY-MM-DD` (the first day for `generateRuns` with `days`). */
  date: string;
  timezone: string;
  /** Runs in total (spread over `days` for generateRuns). Default 240 per day. */
  runs?: number;
  seed?: number;
  appId?: string;
  apiToken?: string;
  appName?: string;
  consoleUser?: { email: string; password: string };
  /** Whether users attach files (about one run in eight); default yes. Without, the app's upload feature is off. */
  attachments?: boolean;
}

export const DEFAULT_RUNS_PER_DAY = 240;
const DEFAULT_SEED = 42;

/** Relative load per local hour: busy 9-12 and 14-18, lunch dip, quiet at night. */
const HOURLY_LOAD = [0.3, 0.2, 0.12, 0.1, 0.1, 0.15, 0.4, 1.1, 3, 6, 7, 6.5, 3.2, 3.4, 6.2, 6.8, 6.3, 5.6, 3, 2.1, 1.6, 1.2, 0.8, 0.5];

interface World {
  appId: string;
  appName: string;
  apiToken: string;
  workflowId: string;
  version: string;
  tenantId: string;
  graph: GraphIds;
  account: SimulatedAccount;
  consoleUser: SimulatedConsoleUser;
  users: { user: SimulatedEndUser; lang: 'zh' | 'en' }[];
  /** Cumulative activity weights (a few users ask most of the questions). */
  userCdf: number[];
  segments: IndexedSegment[];
  attachments: boolean;
}

export function generateDemoStore(options: GenerateOptions): DifyStore {
  const world = buildWorld(options, userCountFor(options.runs ?? DEFAULT_RUNS_PER_DAY));
  const logs = [...iterateWorldRuns(world, options, 1)];
  return {
    apps: [{ id: world.appId, name: world.appName, mode: 'workflow', apiToken: world.apiToken, status: 'normal', enableApi: true, logs }],
    consoleUsers: [world.consoleUser],
  };
}

/** Runs for a large benchmark store; `runs` is the total over all `days`. */
export function generateRuns(options: GenerateOptions & { days?: number }): SimulatedLog[] {
  return [...iterateRuns(options)];
}

/** The same runs one at a time, so a caller can stream them: only the current run and one timestamp per run of the current day are held. */
export function* iterateRuns(options: GenerateOptions & { days?: number }): Generator<SimulatedLog> {
  const days = Math.max(1, Math.floor(options.days ?? 1));
  const total = options.runs ?? DEFAULT_RUNS_PER_DAY * days;
  yield* iterateWorldRuns(buildWorld(options, userCountFor(total / days)), options, days);
}

/** Bounds of a local calendar day in Unix seconds: [start, end), 23 or 25 hours on DST days. */
export function localDayBounds(date: string, timezone: string): { start: number; end: number } {
  const start = DateTime.fromISO(date, { zone: timezone }).startOf('day');
  if (!start.isValid) throw new Error(`invalid date "${date}" or time zone "${timezone}"`);
  return { start: Math.floor(start.toSeconds()), end: Math.floor(start.plus({ days: 1 }).startOf('day').toSeconds()) };
}

function userCountFor(runsPerDay: number): number {
  return Math.min(2000, Math.max(25, Math.round(Math.sqrt(runsPerDay) * 1.6)));
}

function buildWorld(options: GenerateOptions, userCount: number): World {
  const seed = options.seed ?? DEFAULT_SEED;
  const rng = new Rng(hashSeed(seed, 'world'));
  const appId = rng.uuid();
  const apiToken = `app-${rng.base62(24)}`;
  const email = options.consoleUser?.email ?? 'admin@acme.example';
  const accountId = rng.uuid();
  const name = email.split('@')[0]?.replace(/[._-]+/g, ' ') ?? 'admin';
  const account = { id: accountId, name, email };
  const nodeBase = 1_730_000_000_000 + rng.int(0, 99_999_999);
  const graph: GraphIds = {
    start: String(nodeBase),
    http: String(nodeBase + 8_112),
    retrieval: String(nodeBase + 19_751),
    llm: String(nodeBase + 31_406),
    code: String(nodeBase + 52_870),
    end: String(nodeBase + 60_033),
  };
  const published = DateTime.fromISO(options.date, { zone: 'utc' }).minus({ days: rng.int(3, 20), milliseconds: rng.int(0, 86_399_999) });
  const users = buildUsers(rng, userCount);
  let cumulative = 0;
  const userCdf = users.map((_, i) => (cumulative += 1 / Math.pow(i + 1, 0.85)));
  return {
    appId: options.appId ?? appId,
    appName: options.appName ?? '客服知识库助手 Support KB',
    apiToken: options.apiToken ?? apiToken,
    workflowId: rng.uuid(),
    version: `${published.toFormat('yyyy-MM-dd HH:mm:ss.SSS')}${rng.int(100, 999)}`,
    tenantId: rng.uuid(),
    graph,
    account,
    consoleUser: { ...account, password: options.consoleUser?.password ?? 'difyscope-demo' },
    users,
    userCdf,
    segments: indexSegments(rng),
    attachments: options.attachments !== false,
  };
}

const SURNAMES = ['zhang.wei', 'li.na', 'wang.fang', 'liu.yang', 'chen.jing', 'yang.lei', 'zhao.min', 'huang.tao', 'anna.schmidt', 'james.lee', 'maria.garcia', 'tom.becker'];

function buildUsers(rng: Rng, count: number): { user: SimulatedEndUser; lang: 'zh' | 'en' }[] {
  const users: { user: SimulatedEndUser; lang: 'zh' | 'en' }[] = [];
  for (let i = 0; i < count; i++) {
    const lang = rng.chance(0.62) ? 'zh' : 'en';
    if (i === 3) {
      // The Service API files runs without a `user` under one anonymous end user.
      users.push({ user: { id: rng.uuid(), type: 'service_api', is_anonymous: true, session_id: 'DEFAULT-USER' }, lang });
      continue;
    }
    const browser = rng.chance(0.4);
    let session: string;
    if (browser) session = rng.uuid();
    else if (i % 3 === 0) session = `customer-${10_000 + i * 37 + rng.int(0, 36)}`;
    else if (i % 3 === 1) session = `${SURNAMES[i % SURNAMES.length] ?? 'user'}${i >= SURNAMES.length ? i : ''}@acme-retail.cn`;
    else session = `wx_o${rng.base62(27)}`;
    users.push({ user: { id: rng.uuid(), type: browser ? 'browser' : 'service_api', is_anonymous: false, session_id: session }, lang });
  }
  return users;
}

/** Runs per local day: weekdays are busier than weekends; the total is exact. */
function runsPerDay(startDate: string, timezone: string, days: number, total: number): number[] {
  const weights = Array.from({ length: days }, (_, d) => {
    const weekday = DateTime.fromISO(startDate, { zone: timezone }).plus({ days: d }).weekday;
    return weekday >= 6 ? 0.4 : 1;
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  const remainder = total - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < remainder; k++) {
    const slot = order[k % order.length];
    if (slot) counts[slot.i] = (counts[slot.i] ?? 0) + 1;
  }
  return counts;
}

/** Creation times for one day, following the hourly curve in local time, sorted. */
function sampleTimes(rng: Rng, start: number, end: number, timezone: string, count: number): number[] {
  const slots: { from: number; to: number }[] = [];
  const cdf: number[] = [];
  let total = 0;
  for (let t = start; t < end; t += 3600) {
    const to = Math.min(t + 3600, end);
    const hour = DateTime.fromSeconds(t, { zone: timezone }).hour;
    total += (HOURLY_LOAD[hour] ?? 1) * ((to - t) / 3600);
    slots.push({ from: t, to });
    cdf.push(total);
  }
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const slot = slots[lowerBound(cdf, rng.next() * total)] ?? slots[slots.length - 1];
    if (slot) times.push(slot.from + Math.floor(rng.next() * (slot.to - slot.from)));
  }
  return times.sort((a, b) => a - b);
}

function lowerBound(cdf: readonly number[], value: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cdf[mid] ?? 0) > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

type Outcome = 'succeeded' | 'failed' | 'stopped' | 'partial-succeeded';

function* iterateWorldRuns(world: World, options: GenerateOptions, days: number): Generator<SimulatedLog> {
  const seed = options.seed ?? DEFAULT_SEED;
  const total = options.runs ?? DEFAULT_RUNS_PER_DAY * days;
  const counts = runsPerDay(options.date, options.timezone, days, total);
  const first = DateTime.fromISO(options.date, { zone: options.timezone });
  for (let d = 0; d < days; d++) {
    const date = first.plus({ days: d }).toISODate() ?? options.date;
    const rng = new Rng(hashSeed(seed, 'runs', date));
    const count = counts[d] ?? 0;
    const { start, end } = localDayBounds(date, options.timezone);
    const times = sampleTimes(rng, start, end, options.timezone, count);
    const plan = planDay(rng, count);
    for (let i = 0; i < count; i++) {
      const outcome = plan.outcomes.get(i) ?? randomOutcome(rng, plan.failuresPlanned);
      yield buildRun(rng, world, times[i] ?? start, outcome, plan.accountRuns.has(i));
    }
  }
}

interface DayPlan {
  outcomes: Map<number, Outcome>;
  accountRuns: Set<number>;
  failuresPlanned: boolean;
}

/**
 * Days with real traffic get their failures, one stopped and one partial run, and a couple of
 * console-account runs at fixed counts, so every demo report shows them and the failure share
 * stays near 5% whatever the seed. Tiny days just roll the dice per run.
 */
function planDay(rng: Rng, count: number): DayPlan {
  const outcomes = new Map<number, Outcome>();
  const accountRuns = new Set<number>();
  if (count < 20) return { outcomes, accountRuns, failuresPlanned: false };
  const failures = Math.round(count * 0.05 * (0.8 + rng.next() * 0.4));
  const accounts = Math.max(2, Math.round(count * 0.01));
  const picked = pickDistinct(rng, count, 2 + failures + accounts);
  picked.forEach((index, k) => {
    if (k === 0) outcomes.set(index, 'stopped');
    else if (k === 1) outcomes.set(index, 'partial-succeeded');
    else if (k < 2 + failures) outcomes.set(index, 'failed');
    else accountRuns.add(index);
  });
  return { outcomes, accountRuns, failuresPlanned: true };
}

function pickDistinct(rng: Rng, range: number, count: number): number[] {
  const picked = new Set<number>();
  while (picked.size < Math.min(count, range)) picked.add(rng.int(0, range - 1));
  return [...picked];
}

function randomOutcome(rng: Rng, failuresPlanned: boolean): Outcome {
  const u = rng.next();
  if (u < 0.006) return 'partial-succeeded';
  if (u < 0.008) return 'stopped';
  if (!failuresPlanned && u < 0.058) return 'failed';
  return 'succeeded';
}

type Failure = 'llm-timeout' | 'rate-limit' | 'context-length' | 'http-502' | 'sandbox';

function buildRun(rng: Rng, world: World, createdAt: number, outcome: Outcome, byAccount: boolean): SimulatedLog {
  const enduser = byAccount ? null : pickUser(rng, world);
  const question = pickQuestion(rng, enduser?.lang ?? 'zh');
  const model = rng.chance(0.8) ? MODELS[0] : MODELS[1];
  if (!model) throw new Error('no model profiles');
  const failure: Failure | null = outcome === 'failed' ? pickFailure(rng, model.provider) : null;
  const withHttp = outcome === 'partial-succeeded' || failure === 'http-502' || rng.chance(0.15);
  const withCode = failure === 'sandbox' || (!withHttp && rng.chance(0.2));
  const runId = rng.uuid();
  const userKey = enduser?.user.session_id ?? world.account.id;
  const inputs: Record<string, unknown> = {
    query: question.question,
    'sys.files': rng.chance(0.12) && world.attachments ? attachments(rng, world) : NO_ITEMS,
    'sys.user_id': userKey,
    'sys.app_id': world.appId,
    'sys.workflow_id': world.workflowId,
    'sys.workflow_run_id': runId,
  };

  const g = world.graph;
  const drafts: NodeDraft[] = [startNode(rng, g, inputs)];
  // Walks the graph and returns the answer, or null where the run ends without one.
  const walk = (): string | null => {
    if (withHttp) {
      const mode = failure === 'http-502' ? 'failed' : outcome === 'partial-succeeded' ? 'exception' : 'ok';
      const error = mode === 'failed' ? BAD_GATEWAY : mode === 'exception' ? 'Request failed with status code 504, Gateway Time-out' : null;
      drafts.push(httpNode(rng, g, userKey, mode, error));
      if (mode === 'failed') return null;
    }
    const retrieval = retrievalNode(rng, g, world.segments, question);
    drafts.push(retrieval.node);
    if (failure && failure !== 'http-502' && failure !== 'sandbox') {
      const [error, seconds] = providerError(rng, failure, model.provider, model.name);
      drafts.push(brokenLlmNode(g, 'failed', error, seconds));
      return null;
    }
    if (outcome === 'stopped') {
      drafts.push(brokenLlmNode(g, 'stopped', null, 1 + rng.next() * 4));
      return null;
    }
    drafts.push(llmNode(rng, g, { model, question, segments: retrieval.segments, pricesAsStrings: rng.chance(0.25) }));
    let answer = question.answer;
    if (withCode) {
      const code = codeNode(rng, g, retrieval.segments, question.answer, failure === 'sandbox' ? SANDBOX_ERROR : null);
      drafts.push(code);
      if (failure === 'sandbox') return null;
      if (typeof code.outputs?.result === 'string') answer = code.outputs.result;
    }
    drafts.push(endNode(g, answer));
    return answer;
  };
  const answer = walk();

  const failedNode = drafts.find((n) => n.status === 'failed');
  const nodes = finalizeNodes(rng, drafts, createdAt);
  const nodeSeconds = drafts.reduce((sum, n) => sum + n.elapsed_time, 0);
  const runSeconds = elapsed(nodeSeconds + 0.01 + rng.next() * 0.12);
  const run: SimulatedRunRecord = {
    id: runId,
    version: world.version,
    status: outcome,
    triggered_from: 'app-run',
    error: failedNode?.error ?? null,
    elapsed_time: runSeconds,
    total_tokens: drafts.reduce((sum, n) => sum + (n.execution_metadata?.total_tokens ?? 0), 0),
    total_steps: drafts.length,
    created_at: createdAt,
    finished_at: createdAt + Math.ceil(runSeconds),
    exceptions_count: drafts.filter((n) => n.status === 'exception').length,
    workflow_id: world.workflowId,
    inputs,
    outputs: answer === null ? null : { text: answer },
  };
  return {
    id: rng.uuid(),
    created_from: byAccount ? 'installed-app' : enduser?.user.type === 'browser' ? 'web-app' : 'service-api',
    created_by_role: byAccount ? 'account' : 'end_user',
    created_by_account: byAccount ? world.account : null,
    created_by_end_user: enduser?.user ?? null,
    created_at: createdAt,
    run,
    nodes,
  };
}

function finalizeNodes(rng: Rng, drafts: readonly NodeDraft[], createdAt: number): SimulatedNodeExecution[] {
  let offset = 0;
  let previous: string | null = null;
  return drafts.map((d, i) => {
    const node: SimulatedNodeExecution = {
      id: rng.uuid(),
      index: i + 1,
      predecessor_node_id: previous,
      ...d,
      created_at: createdAt + Math.floor(offset),
      finished_at: createdAt + Math.ceil(offset + d.elapsed_time),
    };
    offset += d.elapsed_time;
    previous = d.node_id;
    return node;
  });
}

function pickUser(rng: Rng, world: World): World['users'][number] {
  const cdf = world.userCdf;
  const index = lowerBound(cdf, rng.next() * (cdf[cdf.length - 1] ?? 1));
  const user = world.users[index] ?? world.users[0];
  if (!user) throw new Error('no users');
  return user;
}

const QUESTIONS_BY_LANG = {
  zh: QUESTIONS.filter((q) => q.lang === 'zh'),
  en: QUESTIONS.filter((q) => q.lang === 'en'),
};

function pickQuestion(rng: Rng, lang: 'zh' | 'en'): QuestionEntry {
  const preferred = rng.chance(0.85) ? lang : lang === 'zh' ? 'en' : 'zh';
  return rng.pick(QUESTIONS_BY_LANG[preferred]);
}

function attachments(rng: Rng, world: World): Record<string, unknown>[] {
  return Array.from({ length: rng.chance(0.8) ? 1 : 2 }, () => {
    const file = rng.pick(ATTACHMENTS);
    const relatedId = rng.uuid();
    return {
      dify_model_identity: '__dify__file__',
      id: null,
      tenant_id: world.tenantId,
      type: file.type,
      transfer_method: 'local_file',
      remote_url: null,
      related_id: relatedId,
      filename: file.filename,
      extension: file.extension,
      mime_type: file.mimeType,
      size: rng.int(8_000, 4_000_000),
      url: `/files/${relatedId}/file-preview?timestamp=1741571000&nonce=${rng.hex(32)}&sign=${rng.base62(43)}`,
    };
  });
}

function pickFailure(rng: Rng, provider: string): Failure {
  const u = rng.next();
  if (u < 0.32) return 'llm-timeout';
  if (u < 0.62) return 'rate-limit';
  if (u < 0.72) return provider === 'openai' ? 'context-length' : 'rate-limit';
  if (u < 0.9) return 'http-502';
  return 'sandbox';
}

const BAD_GATEWAY =
  'Request failed with status code 502: <html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>';
const SANDBOX_ERROR = 'Failed to execute code, which is likely a network issue, please check if the sandbox service is running. ( Error: timed out )';

/** Provider errors as Dify records them; the varying numbers are what error signatures must normalise away. */
function providerError(rng: Rng, failure: Failure, provider: string, model: string): [string, number] {
  if (failure === 'llm-timeout') {
    const timeout = rng.pick([60, 60, 120, 300]);
    if (provider === 'tongyi') {
      return [`[tongyi] Server Unavailable Error, HTTPSConnectionPool(host='dashscope.aliyuncs.com', port=443): Read timed out. (read timeout=${timeout})`, timeout + rng.next() * 0.5];
    }
    return [`[openai] Connection Error, Request timed out after ${timeout}.0 seconds (attempt ${rng.int(2, 3)} of 3)`, timeout + rng.next() * 0.5];
  }
  if (failure === 'context-length') {
    return [
      `[openai] Bad Request Error, Error code: 400 - {'error': {'message': "This model's maximum context length is 128000 tokens. However, your messages resulted in ${rng.int(128_100, 140_000)} tokens. Please reduce the length of the messages.", 'type': 'invalid_request_error', 'param': 'messages', 'code': 'context_length_exceeded'}}`,
      0.3 + rng.next() * 0.6,
    ];
  }
  if (provider === 'tongyi') {
    return [`[tongyi] Rate Limit Error, Requests rate limit exceeded, please try again later. (request_id: ${rng.uuid()})`, 0.2 + rng.next()];
  }
  const used = rng.int(190_000, 199_990);
  return [
    `[openai] Rate Limit Error, Error code: 429 - {'error': {'message': 'Rate limit reached for ${model} in organization org-Qf3kZ8vTn2 on tokens per min (TPM): Limit 200000, Used ${used}, Requested ${rng.int(900, 4000)}. Please try again in ${rng.int(120, 2400)}ms. Visit https://platform.openai.com/account/rate-limits to learn more.', 'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}`,
    0.4 + rng.next() * 2.5,
  ];
}
