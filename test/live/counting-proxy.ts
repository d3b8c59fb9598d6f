import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy in front of the real Dify that records every request the client sends
 * (method, path, status Dify answered), so tests count logins and refreshes on the wire.
 * `spoilAccessToken(n)` corrupts the access_token cookie of the next n console data
 * requests, which Dify then rejects exactly as it rejects an expired session.
 */

export interface ProxiedRequest {
  method: string;
  path: string;
  status: number;
}

export interface CountingProxy {
  url: string;
  requests: ProxiedRequest[];
  count(method: string, path: string, status?: number): number;
  spoilAccessToken(times: number): void;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let spoil = 0;
  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    const headers = { ...incoming.headers, host: upstream.host };
    const path = (incoming.url ?? '/').split('?')[0] ?? '/';
    if (spoil > 0 && path.startsWith('/console/api/apps/') && typeof headers.cookie === 'string' && /access_token=/.test(headers.cookie)) {
      spoil -= 1;
      headers.cookie = headers.cookie.replace(/((?:^|;\s*)(?:__Host-)?access_token=)[^;]*/, '$1spoiled.by.test');
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers },
      (answer) => {
        requests.push({ method: incoming.method ?? 'GET', path, status: answer.statusCode ?? 0 });
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', (error) => {
      requests.push({ method: incoming.method ?? 'GET', path, status: 502 });
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(String(error));
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (method, path, status) => requests.filter((r) => r.method === method && r.path === path && (status === undefined || r.status === status)).length,
    spoilAccessToken: (times) => {
      spoil = times;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
