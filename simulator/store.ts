/**
 * The data a simulated Dify serves. Records are kept in the newest wire shape (integer
 * timestamps, objects for inputs/outputs); the server converts them per era profile.
 */
export interface SimulatedEndUser {
  id: string;
  type: 'service_api' | 'browser';
  is_anonymous: boolean;
  session_id: string;
}

export interface SimulatedAccount {
  id: string;
  name: string;
  email: string;
}

export interface SimulatedRunRecord {
  id: string;
  version: string;
  status: 'running' | 'succeeded' | 'failed' | 'stopped' | 'partial-succeeded';
  triggered_from: string;
  error: string | null;
  elapsed_time: number;
  total_tokens: number;
  total_steps: number;
  created_at: number;
  finished_at: number | null;
  exceptions_count: number;
  workflow_id: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
}

export interface SimulatedNodeExecution {
  id: string;
  index: number;
  predecessor_node_id: string | null;
  node_id: string;
  node_type: string;
  title: string;
  inputs: Record<string, unknown> | null;
  process_data: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
  status: string;
  error: string | null;
  elapsed_time: number;
  execution_metadata: { total_tokens?: number; total_price?: number | string; currency?: string } | null;
  created_at: number;
  finished_at: number | null;
}

export interface SimulatedLog {
  /** Log id (`workflow_app_logs.id`). */
  id: string;
  created_from: 'service-api' | 'web-app' | 'installed-app';
  created_by_role: 'end_user' | 'account';
  created_by_account: SimulatedAccount | null;
  created_by_end_user: SimulatedEndUser | null;
  created_at: number;
  run: SimulatedRunRecord;
  /** Node executions in execution order (the server returns them by `index` descending). */
  nodes: SimulatedNodeExecution[];
}

export interface SimulatedApp {
  /** Console app id (UUID). */
  id: string;
  name: string;
  mode: 'workflow' | 'advanced-chat' | 'chat' | 'completion' | 'agent-chat';
  /** Service API key (`app-…`). */
  apiToken: string;
  status: 'normal' | 'abnormal';
  enableApi: boolean;
  /**
   * Whether the app's published features let users attach files (`/v1/parameters`
   * `file_upload`); absent: yes, as most demo apps do.
   */
  fileUpload?: boolean;
  /** Workflow runs; for an advanced-chat app, the runs behind its messages (found by `workflow_run_id`). */
  logs: SimulatedLog[];
  /** Chat apps (advanced-chat, chat, agent-chat): their conversations, served by the console's chat routes. */
  conversations?: SimulatedConversation[];
}

/** A rating as the console's `chat-messages` lists it. */
export interface SimulatedFeedback {
  rating: 'like' | 'dislike';
  content: string | null;
  from_source: 'user' | 'admin';
  from_end_user_id: string | null;
  from_account: { id: string; name: string; email: string } | null;
}

/** A knowledge segment an answer cites (`metadata.retriever_resources[]`). */
export interface SimulatedRetrieverResource {
  position: number;
  dataset_id: string;
  dataset_name: string;
  document_id: string;
  document_name: string;
  segment_id: string;
  score: number;
  content: string;
}

export interface SimulatedMessage {
  id: string;
  query: string;
  answer: string;
  inputs: Record<string, unknown>;
  created_at: number;
  /** Seconds (`provider_response_latency`). */
  latency: number;
  message_tokens: number;
  answer_tokens: number;
  /** Dify's decimal string, e.g. "0.0012300". */
  total_price: string;
  currency: string;
  status: 'normal' | 'error';
  error: string | null;
  feedbacks: SimulatedFeedback[];
  retriever_resources: SimulatedRetrieverResource[];
  files: { filename: string; type: string }[];
  /** advanced-chat only: the run in the app's `logs`. */
  workflow_run_id: string | null;
}

export interface SimulatedConversation {
  id: string;
  name: string;
  end_user: SimulatedEndUser;
  created_at: number;
  /** The last message's time, or later (Dify bumps it when it renames the conversation). */
  updated_at: number;
  /** Oldest first. */
  messages: SimulatedMessage[];
}

export interface SimulatedConsoleUser {
  id: string;
  name: string;
  email: string;
  password: string;
  /** The account's time zone (profile), in which Dify reads conversation filters; default UTC. */
  timezone?: string;
}

export interface DifyStore {
  apps: SimulatedApp[];
  consoleUsers: SimulatedConsoleUser[];
}

/** Run id (lower case) → log, rebuilt when an app's log list grows (tests append runs). */
const runIndexes = new WeakMap<SimulatedLog[], { length: number; byRunId: Map<string, SimulatedLog> }>();

/**
 * The log of a run, by id, case-insensitively. Indexed, so a benchmark store of 200,000 runs
 * answers each run's request without scanning every run.
 */
export function findRun(app: SimulatedApp, runId: string): SimulatedLog | undefined {
  let index = runIndexes.get(app.logs);
  if (!index || index.length !== app.logs.length) {
    index = { length: app.logs.length, byRunId: new Map(app.logs.map((log) => [log.run.id.toLowerCase(), log])) };
    runIndexes.set(app.logs, index);
  }
  return index.byRunId.get(runId.toLowerCase());
}
