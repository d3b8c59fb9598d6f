import { errorReply, htmlNotFound, notFound, reply, UUID, type Reply } from './http-kit';
import { queryLogs, type LogOrdering } from './log-query';
import type { DifyProfile } from './profiles';
import { findRun, type DifyStore, type SimulatedApp } from './store';
import { logItem, nullRunDetail, serviceRunDetail } from './wire-shapes';

/**
 * The service API (`/v1`) of the simulated Dify: key check and app admission in the order of
 * `api/controllers/service_api/wraps.py` (contract 2.1), then the read endpoints.
 */

const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="api"' };

function unauthorized(message: string): Reply {
  return errorReply(401, 'unauthorized', message, WWW_AUTHENTICATE);
}

/** The app selected by the request's API key, or the error Dify answers. */
function admit(store: DifyStore, profile: DifyProfile, authorization: string | undefined): { app: SimulatedApp } | { refused: Reply } {
  if (!authorization || !authorization.includes(' ')) return { refused: unauthorized("Authorization header must be provided and start with 'Bearer'") };
  const [scheme = '', key = ''] = authorization.split(/ (.*)/s);
  if (scheme.toLowerCase() !== 'bearer') return { refused: unauthorized("Authorization scheme must be 'Bearer'") };
  const app = store.apps.find((candidate) => candidate.apiToken === key.trim());
  if (!app) return { refused: unauthorized('Access token is invalid') };
  const specific = profile.admissionCodes === 'specific';
  if (app.status !== 'normal') return { refused: errorReply(403, specific ? 'app_abnormal_status' : 'forbidden', "The app's status is abnormal.") };
  if (!app.enableApi) return { refused: errorReply(403, specific ? 'app_api_disabled' : 'forbidden', "The app's API service has been disabled.") };
  return { app };
}

/** `/v1/parameters` (contract 2.5): the parts a reader of logs may look at. */
function parameters(app: SimulatedApp, profile: DifyProfile): Record<string, unknown> {
  const files = app.fileUpload !== false;
  // 0.x knew only image uploads; 1.x has the general file_upload feature (`{}` when off).
  const fileUpload = profile.era === 'legacy' ? { image: { enabled: files, number_limits: 3, transfer_methods: ['remote_url', 'local_file'] } } : files ? { enabled: true, allowed_file_types: ['document', 'image'], allowed_file_upload_methods: ['local_file', 'remote_url'], number_limits: 3 } : {};
  return {
    opening_statement: null,
    suggested_questions: [],
    user_input_form: [{ paragraph: { variable: 'query', label: 'Query', type: 'paragraph', required: true, max_length: 4000, options: [] } }],
    file_upload: fileUpload,
    system_parameters: { image_file_size_limit: 10, video_file_size_limit: 100, audio_file_size_limit: 50, file_size_limit: 15, workflow_file_upload_limit: 10 },
  };
}

export function handleService(
  store: DifyStore,
  profile: DifyProfile,
  method: string,
  path: string,
  query: URLSearchParams,
  authorization: string | undefined,
  ordering: LogOrdering,
): Reply {
  if (path === '/v1/' && method === 'GET') {
    if ((profile.versionSource ?? 'index') !== 'index') return htmlNotFound();
    return reply(200, { welcome: 'Dify OpenAPI', api_version: 'v1', server_version: profile.serverVersion });
  }
  const isInfo = path === '/v1/info';
  const isParameters = path === '/v1/parameters';
  const isLogs = path === '/v1/workflows/logs';
  const runMatch = /^\/v1\/workflows\/run\/([^/]+)$/.exec(path);
  if (!isInfo && !isParameters && !isLogs && !runMatch) return profile.release114 ? htmlNotFound() : notFound();
  if (method !== 'GET') return errorReply(405, 'method_not_allowed', 'The method is not allowed for the requested URL.');

  const admitted = admit(store, profile, authorization);
  if ('refused' in admitted) return admitted.refused;
  const app = admitted.app;

  if (isInfo) {
    const info: Record<string, unknown> = { name: app.name, description: `${app.name} (simulated)`, tags: [] };
    if (profile.era !== 'legacy') info.mode = app.mode;
    if (profile.era === 'cookie' || profile.era === 'cookie-base64') info.author_name = 'Simulated Admin';
    return reply(200, info);
  }

  if (isParameters) return reply(200, parameters(app, profile));

  // 1.14 lists an advanced-chat app's (absent) workflow logs instead of refusing.
  if (isLogs && profile.release114 && app.mode === 'advanced-chat') return reply(200, { page: 1, limit: 20, total: 0, has_more: false, data: [] });

  const workflowOnly = profile.era === 'legacy' || profile.era === 'tokenpair';
  const modeOk = app.mode === 'workflow' || (!workflowOnly && app.mode === 'advanced-chat');
  if (!modeOk || (isLogs && app.mode !== 'workflow')) {
    return errorReply(400, 'not_workflow_app', 'Please check if your app mode matches the right API route.');
  }

  if (isLogs) {
    const result = queryLogs(store, app, query, { surface: 'service', withStatus: profile.era !== 'legacy', pydantic: profile.release114 === true, ordering });
    if ('logs' in result) {
      return reply(200, { page: result.page, limit: result.limit, total: result.total, has_more: result.hasMore, data: result.logs.map((log) => logItem(log, profile)) });
    }
    return result;
  }

  const runId = decodeURIComponent(runMatch?.[1] ?? '');
  // 1.14 hands the id to the database unchecked: a non-UUID fails there.
  if (profile.release114 && !UUID.test(runId)) return reply(500, { message: 'Internal Server Error', code: 'unknown', status: 500 });
  // 0.x looked runs up by id alone (any app of the instance); later builds scope to the key's app.
  const scope = profile.era === 'legacy' ? store.apps : [app];
  const found = scope.map((candidate) => findRun(candidate, runId)).find((candidate) => candidate !== undefined);
  // Postgres compares the uuid column exactly; the index is case-insensitive.
  const log = found?.run.id === runId ? found : undefined;
  if (!log) return profile.unknownRun === '404' ? errorReply(404, 'not_found', 'Workflow run not found.') : reply(200, nullRunDetail());
  return reply(200, serviceRunDetail(log, profile));
}
