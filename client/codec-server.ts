import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { ConfigError, type Settings } from '../config/load';
import { encryptionCodecFor } from '../worker/data-converter';

/**
 * The codec server the Temporal Web UI (and `temporal --codec-endpoint`) calls to show
 * encrypted payloads in plain text: POST /encode and /decode with `{payloads: [...]}`, each
 * payload's metadata values and data in base64. Decrypted data only ever goes to a browser
 * on an allowed origin (and with the bearer token, when one is configured).
 */

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

export interface CodecServerOptions {
  port?: number;
  /** Loopback by default: anyone who reaches the server can read every payload. */
  host?: string;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const ALLOWED_HEADERS = 'X-Namespace, Content-Type, Authorization';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const bodySchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() })),
});
type JsonPayload = z.infer<typeof bodySchema>['payloads'][number];

const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(data ?? '', 'base64'),
});

const toJson = ({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function authorised(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header ?? '');
  // Constant time, so response timing tells nothing about how much of a guess was right.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The certificate and key, or one line naming the setting that points at an unreadable file. */
function tlsFiles(tls: { certPath: string; keyPath: string }): { cert: Buffer; key: Buffer } {
  const read = (setting: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(`${setting}: cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? String(error)}); point it at a PEM file`);
    }
  };
  return { cert: read('CODEC_SERVER_TLS_CERT_PATH', tls.certPath), key: read('CODEC_SERVER_TLS_KEY_PATH', tls.keyPath) };
}

function httpsServer(tls: { certPath: string; keyPath: string }, listener: RequestListener): Server {
  const files = tlsFiles(tls);
  try {
    return createHttpsServer(files, listener);
  } catch (error) {
    // A key that does not belong to the certificate, or a file that is not PEM.
    throw new ConfigError(`CODEC_SERVER_TLS_CERT_PATH, CODEC_SERVER_TLS_KEY_PATH: ${error instanceof Error ? error.message : String(error)}; give a PEM certificate and its own key`);
  }
}

export async function startCodecServer(settings: Settings, options: CodecServerOptions = {}): Promise<CodecServer> {
  const codec = encryptionCodecFor(settings);
  if (!codec) throw new ConfigError('DIFYSCOPE_ENCRYPTION_KEY: is required for the codec server; set the same value as the worker');
  const origins = new Set(settings.codecServer.corsOrigins);
  const token = settings.codecServer.token;

  const reply = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
    response.end(JSON.stringify(body));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const origin = request.headers.origin;
    // Browsers send Origin on cross-origin calls; tools such as the temporal CLI send none.
    if (origin !== undefined) {
      if (!origins.has(origin)) {
        reply(response, 403, { error: `origin ${origin} is not in CODEC_SERVER_CORS_ORIGINS` });
        return;
      }
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
      response.setHeader('Vary', 'Origin');
    }
    if (request.method === 'OPTIONS') {
      // Preflights carry no Authorization header, so they are answered before the token check.
      response.writeHead(204, { 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': ALLOWED_HEADERS, 'Access-Control-Max-Age': '600' });
      response.end();
      return;
    }
    const path = new URL(request.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
    const action = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : undefined;
    if (action === undefined) {
      reply(response, 404, { error: 'use POST /encode or POST /decode' });
      return;
    }
    if (request.method !== 'POST') {
      reply(response, 405, { error: 'use POST' }, { Allow: 'POST, OPTIONS' });
      return;
    }
    if (!authorised(request.headers.authorization, token)) {
      reply(response, 401, { error: 'missing or wrong bearer token (CODEC_SERVER_TOKEN)' }, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(await readBody(request));
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, 'body is not JSON; send {"payloads": [...]}');
    }
    const parsed = bodySchema.safeParse(json);
    if (!parsed.success) throw new HttpError(400, `body is not {"payloads": [{"metadata": {…}, "data": "<base64>"}]}: ${parsed.error.issues[0]?.message ?? ''}`);
    const payloads = parsed.data.payloads.map(fromJson);
    let result: Payload[];
    try {
      result = action === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    } catch (error) {
      throw new HttpError(400, error instanceof Error ? error.message : String(error));
    }
    reply(response, 200, { payloads: result.map(toJson) });
  };

  const listener: RequestListener = (request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (!response.headersSent) reply(response, status, { error: error instanceof HttpError ? error.message : 'internal error' });
      else response.destroy();
    });
  };
  const tls = settings.codecServer.tls;
  const server: Server = tls ? httpsServer(tls, listener) : createServer(listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? settings.codecServer.port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${tls ? 'https' : 'http'}://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `difyscope codec-server`: serves until SIGINT/SIGTERM. */
export async function runCodecServerCommand(settings: Settings, options: CodecServerOptions, log: (line: string) => void): Promise<void> {
  const server = await startCodecServer(settings, options);
  log(`Codec server on ${server.url} for ${settings.codecServer.corsOrigins.join(', ')}${settings.codecServer.token ? ' (bearer token required)' : ''}; set it as the Web UI's codec endpoint. Ctrl-C stops it.`);
  if (settings.codecServer.token === undefined && !['127.0.0.1', '::1', 'localhost'].includes(options.host ?? '127.0.0.1')) {
    log('Warning: listening beyond this machine without CODEC_SERVER_TOKEN; anyone who reaches it can decrypt payloads.');
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
