import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP endpoint playing a DingTalk robot (or any JSON webhook): it records each
 * request as received and answers from a queue of replies, so tests can script
 * "rate limited, then accepted" and check exactly what was sent.
 */

export interface ReceivedRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface TestReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Replies used in order; once used up, `fallback` answers. */
  replies: Reply[];
  close(): Promise<void>;
}

export const DINGTALK_OK: Reply = { status: 200, body: { errcode: 0, errmsg: 'ok' } };

/** `answer`, when given, decides the reply of requests the `replies` queue does not script. */
export async function startReceiver(fallback: Reply = DINGTALK_OK, answer?: (request: ReceivedRequest) => Reply): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  const replies: Reply[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      const received = { method: request.method ?? '', url: new URL(request.url ?? '/', 'http://127.0.0.1'), headers: request.headers, body, json };
      requests.push(received);
      const reply = replies.shift() ?? answer?.(received) ?? fallback;
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    replies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What DingTalk checks: `sign` is Base64 HMAC-SHA256 of `timestamp\nsecret`, keyed by the secret. */
export function expectedDingTalkSign(timestamp: string, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
}
