/**
 * Raw HTTP against the real Dify, for assertions on the wire (status, headers, envelopes)
 * below what the client interprets. Responses keep every header; bodies are parsed as JSON
 * when they are JSON.
 */

export interface WireAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface WireRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  query?: Record<string, string | number>;
  body?: unknown;
}

export async function wire(baseUrl: string, path: string, request: WireRequest = {}): Promise<WireAnswer> {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${path}`);
  for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, String(value));
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(url, { method: request.method ?? 'GET', headers, body, redirect: 'manual' });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** The cookies a console login set, by name, from its Set-Cookie headers. */
export function cookiesOf(answer: WireAnswer): Map<string, string> {
  const jar = new Map<string, string>();
  for (const line of answer.headers.getSetCookie()) {
    const pair = line.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return jar;
}
