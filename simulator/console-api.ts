import type { ConsoleAuthState, ConsoleRequestAuth, CredentialForm } from './console-auth-state';
import { accountProfile, consoleUser, handleChatRoute } from './chat-console';
import { errorReply, notFound, reply, UUID, type Reply } from './http-kit';
import { queryLogs, type LogOrdering } from './log-query';
import { isCookieEra, type DifyProfile } from './profiles';
import { findRun, type DifyStore } from './store';
import { consoleNode, consoleRunDetail, logItem } from './wire-shapes';

/**
 * The console API (`/console/api`) of the simulated Dify: auth routes and the read-only
 * app routes Difyscope uses (contract 3 and 4.1–4.2).
 */

export interface ConsoleRequest extends ConsoleRequestAuth {
  path: string;
  query: URLSearchParams;
  body: string;
  logOrdering: LogOrdering;
}

export interface ConsoleReply {
  reply: Reply;
  credential?: CredentialForm;
}

const CHAT_ROUTE = /^\/console\/api\/apps\/([^/]+)\/(chat-conversations|chat-messages)$/;
const APP_ROUTE = /^\/console\/api\/apps\/([^/]+)\/(workflow-app-logs|workflow-runs\/([^/]+)(\/node-executions)?)$/;

export function handleConsole(store: DifyStore, profile: DifyProfile, auth: ConsoleAuthState, request: ConsoleRequest): ConsoleReply {
  const { path, method } = request;
  if (path === '/console/api/login') {
    if (method !== 'POST') return { reply: errorReply(405, 'method_not_allowed', 'The method is not allowed for the requested URL.') };
    const result = auth.login(request.body);
    return { reply: result.reply, credential: result.credential };
  }
  if (path === '/console/api/refresh-token') {
    // Era A had no refresh endpoint at all.
    if (profile.era === 'legacy') return { reply: notFound() };
    if (method !== 'POST') return { reply: errorReply(405, 'method_not_allowed', 'The method is not allowed for the requested URL.') };
    return { reply: auth.refreshToken(request.body, request.cookie) };
  }
  if (path === '/console/api/logout') {
    const expected = isCookieEra(profile) ? 'POST' : 'GET';
    if (method !== expected) return { reply: errorReply(405, 'method_not_allowed', 'The method is not allowed for the requested URL.') };
    return { reply: auth.logout(request) };
  }

  if (path === '/console/api/account/profile') {
    const checked = auth.authenticate(request);
    if ('refused' in checked) return { reply: checked.refused };
    const user = consoleUser(store, checked.userId);
    return { reply: user ? reply(200, accountProfile(user)) : errorReply(401, 'unauthorized', 'Unauthorized.') };
  }
  const chat = CHAT_ROUTE.exec(path);
  if (chat) {
    const [, chatAppId = '', route] = chat;
    if (!UUID.test(chatAppId)) return { reply: notFound() };
    if (method !== 'GET') return { reply: errorReply(405, 'method_not_allowed', 'The method is not allowed for the requested URL.') };
    const checked = auth.authenticate(request);
    if ('refused' in checked) return { reply: checked.refused };
    const user = consoleUser(store, checked.userId);
    const app = store.apps.find((candidate) => candidate.id.toLowerCase() === chatAppId.toLowerCase() && candidate.status === 'normal');
    if (!app || !user) return { reply: errorReply(404, 'app_not_found', 'App not found.') };
    return { reply: handleChatRoute(app, user, route as 'chat-conversations' | 'chat-messages', request.query) };
  }

  const match = APP_ROUTE.exec(path);
  if (!match) return { reply: notFound() };
  const [, appId = '', , runId, nodeSuffix] = match;
  // Flask's <uuid:…> converters reject the URL before any auth runs.
  if (!UUID.test(appId) || (runId !== undefined && !UUID.test(runId))) return { reply: notFound() };
  if (method !== 'GET') return { reply: errorReply(405, 'method_not_allowed', 'The method is not allowed for the requested URL.') };

  const checked = auth.authenticate(request);
  if ('refused' in checked) return { reply: checked.refused };

  const app = store.apps.find((candidate) => candidate.id.toLowerCase() === appId.toLowerCase() && candidate.status === 'normal');
  if (!app) return { reply: errorReply(404, 'app_not_found', 'App not found.') };

  if (runId === undefined) {
    if (app.mode !== 'workflow') return { reply: errorReply(404, 'app_not_found', "App mode is not in the supported list: ['workflow']") };
    const result = queryLogs(store, app, request.query, { surface: 'console', withStatus: profile.era !== 'legacy', ordering: request.logOrdering });
    if (!('logs' in result)) return { reply: result };
    const withDetails = /^(1|true|yes|on)$/i.test(request.query.get('detail') ?? '');
    const data = result.logs.map((log) => {
      const item = logItem(log, profile);
      if (withDetails && 'details' in item) item.details = { trigger_metadata: {} };
      return item;
    });
    return { reply: reply(200, { page: result.page, limit: result.limit, total: result.total, has_more: result.hasMore, data }) };
  }

  if (app.mode !== 'workflow' && app.mode !== 'advanced-chat') {
    return { reply: errorReply(404, 'app_not_found', "App mode is not in the supported list: ['advanced-chat', 'workflow']") };
  }
  const log = findRun(app, runId);
  if (nodeSuffix) {
    if (!log) return { reply: reply(200, { data: [] }) };
    // Trace view order, latest execution first; 1.14 lists them by index.
    const nodes = [...log.nodes].sort((a, b) => (profile.release114 ? a.index - b.index : b.index - a.index)).map((node) => consoleNode(node, log, profile));
    return { reply: reply(200, { data: nodes }) };
  }
  if (!log) {
    if (profile.unknownRun === '404') return { reply: errorReply(404, 'not_found', 'Workflow run not found') };
    return { reply: reply(200, { id: null, version: null, graph: null, inputs: null, status: null, outputs: null, error: null, elapsed_time: null, total_tokens: null, total_steps: null, created_by_role: null, created_by_account: null, created_by_end_user: null, created_at: null, finished_at: null }) };
  }
  return { reply: reply(200, consoleRunDetail(log, profile)) };
}
