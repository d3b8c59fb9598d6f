import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from '../activities/metrics';

/**
 * One scrape target for the worker: Difyscope's metrics (`difyscope_*`) followed by the
 * Temporal SDK's runtime metrics (`temporal_*`), which the SDK's own exporter serves on a
 * loopback port only this server reads.
 */
export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export function splitHostPort(address: string, setting: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`${setting}: use host:port such as 0.0.0.0:9464`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/** A free loopback port for the SDK's exporter (the runtime needs a fixed address). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function sdkMetrics(sdkPort: number | undefined): Promise<string> {
  if (sdkPort === undefined) return '';
  try {
    const response = await fetch(`http://127.0.0.1:${sdkPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return response.ok ? await response.text() : '';
  } catch {
    // The SDK's exporter not answering must not cost Difyscope's own metrics.
    return '';
  }
}

export async function startMetricsServer(address: string, sdkPort: number | undefined): Promise<MetricsServer> {
  const { host, port } = splitHostPort(address, 'METRICS_ADDRESS');
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    void Promise.all([registry.metrics(), sdkMetrics(sdkPort)]).then(
      ([ours, sdk]) => response.writeHead(200, { 'content-type': registry.contentType }).end(`${ours}\n${sdk}`),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    url: `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
