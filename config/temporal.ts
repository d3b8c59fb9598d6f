import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';

/**
 * How Difyscope reaches Temporal, read the way the `temporal` CLI and every SDK read it
 * (`@temporalio/envconfig`): a profile of the TOML file (TEMPORAL_CONFIG_FILE, else the
 * platform's `temporal/temporal.toml`), overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY and TEMPORAL_TLS_*. One config serves the CLI and Difyscope.
 */
export interface TemporalConnection {
  /** Unset: `demo` and `dev` start an embedded server, other commands use localhost:7233. */
  address: string | undefined;
  namespace: string;
  /** TLS options; `false` plain text. An API key turns TLS on unless TLS is disabled explicitly. */
  tls: TLSConfig | false;
  apiKey: string | undefined;
  metadata: Record<string, string>;
  /** What `check` and the worker's first line show; never the key itself. */
  summary: ConnectionSummary;
}

export interface ConnectionSummary {
  profile: string | undefined;
  tls: boolean;
  serverName: string | undefined;
  serverCa: string | undefined;
  clientCertSubject: string | undefined;
  apiKey: boolean;
}

/** Raised for settings a connection can never succeed with; the caller turns it into a ConfigError. */
export class TemporalSettingError extends Error {}

type Env = Record<string, string | undefined>;

/** The setting a TLS data source came from, so a bad file is named as the operator wrote it. */
function sourceName(env: Env, variable: string, tomlKey: string): string {
  return env[`${variable}_PATH`] !== undefined || env[`${variable}_DATA`] !== undefined ? `${variable}_PATH` : `${tomlKey} in the Temporal profile`;
}

function readSource(source: ConfigDataSource | undefined, setting: string): Buffer | undefined {
  if (source === undefined) return undefined;
  if ('data' in source) return Buffer.from(source.data);
  if (!existsSync(source.path)) throw new TemporalSettingError(`${setting}: cannot read "${source.path}"; point it at a PEM file`);
  return readFileSync(source.path);
}

function subjectOf(pem: Buffer | undefined, setting: string): string | undefined {
  if (pem === undefined) return undefined;
  try {
    return new X509Certificate(pem).subject.split('\n').join(', ');
  } catch {
    throw new TemporalSettingError(`${setting}: is not a PEM certificate`);
  }
}

/** Empty variables count as unset, as everywhere else in Difyscope (compose files often set `VAR=`). */
function withoutEmpty(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].trim() !== ''));
}

export function temporalConnectionFrom(source: Env): TemporalConnection {
  const env = withoutEmpty(source);
  const configFile = env.TEMPORAL_CONFIG_FILE;
  if (configFile !== undefined && !existsSync(configFile)) {
    throw new TemporalSettingError(`TEMPORAL_CONFIG_FILE: cannot read "${configFile}"; point it at the TOML file of your Temporal profiles`);
  }
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: env });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const setting = /Profile '/.test(reason) ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE';
    throw new TemporalSettingError(`${setting}: ${reason}; check the profile names in ${configFile ?? 'the Temporal config file'}`);
  }
  const tlsProfile = profile.tls;
  const tlsOn = tlsProfile !== undefined ? tlsProfile.disabled !== true : profile.apiKey !== undefined;
  const caSetting = sourceName(env, 'TEMPORAL_TLS_SERVER_CA_CERT', 'tls.server_ca_cert_path');
  const certSetting = sourceName(env, 'TEMPORAL_TLS_CLIENT_CERT', 'tls.client_cert_path');
  const keySetting = sourceName(env, 'TEMPORAL_TLS_CLIENT_KEY', 'tls.client_key_path');
  const serverCa = tlsOn ? readSource(tlsProfile?.serverCACert, caSetting) : undefined;
  const clientCert = tlsOn ? readSource(tlsProfile?.clientCert, certSetting) : undefined;
  const clientKey = tlsOn ? readSource(tlsProfile?.clientKey, keySetting) : undefined;
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw new TemporalSettingError(
      clientCert ? `${keySetting}: is required with a client certificate (mTLS needs both)` : `${certSetting}: is required with a client key (mTLS needs both)`,
    );
  }
  const clientCertSubject = subjectOf(clientCert, certSetting);
  const serverCaSubject = subjectOf(serverCa, caSetting);
  const tls: TLSConfig | false = tlsOn
    ? {
        serverNameOverride: tlsProfile?.serverName,
        serverRootCACertificate: serverCa,
        clientCertPair: clientCert && clientKey ? { crt: clientCert, key: clientKey } : undefined,
      }
    : false;
  return {
    address: profile.address,
    namespace: profile.namespace ?? 'default',
    tls,
    apiKey: profile.apiKey,
    metadata: profile.grpcMeta ?? {},
    summary: {
      profile: env.TEMPORAL_PROFILE,
      tls: tlsOn,
      serverName: tlsProfile?.serverName,
      serverCa: serverCaSubject,
      clientCertSubject,
      apiKey: profile.apiKey !== undefined,
    },
  };
}

/** One line: address, namespace and how it is secured (never the key). */
export function describeConnection(connection: TemporalConnection, address = connection.address ?? 'localhost:7233'): string {
  const { summary } = connection;
  const parts = [`${address}, namespace ${connection.namespace}`];
  if (summary.profile) parts.push(`profile ${summary.profile}`);
  if (!summary.tls) parts.push('TLS off');
  else {
    parts.push(`TLS on${summary.serverName ? ` (server name ${summary.serverName})` : ''}`);
    parts.push(summary.serverCa ? `server CA ${summary.serverCa}` : 'system CAs');
    parts.push(summary.clientCertSubject ? `client cert ${summary.clientCertSubject}` : 'no client cert');
  }
  parts.push(summary.apiKey ? 'API key set' : 'no API key');
  return parts.join(', ');
}

/** Every message, gRPC code and detail down the `cause` chain, in one line. */
function causeChain(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current && depth < 6; depth += 1) {
    if (current instanceof Error) {
      const grpc = current as Error & { code?: unknown; details?: unknown };
      parts.push(current.message, typeof grpc.code === 'number' ? `grpc code ${grpc.code}` : '', typeof grpc.details === 'string' ? grpc.details : '');
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.filter(Boolean).join('; ').replace(/\s+/g, ' ');
}

const pem = (data: Uint8Array | undefined): Buffer | undefined => (data === undefined ? undefined : Buffer.from(data));

/**
 * The TLS handshake alone, with the same CA, server name and client certificate: gRPC only
 * says "failed to connect before the deadline" when the handshake fails, Node's TLS says why.
 */
function probeTls(address: string, tls: TLSConfig): Promise<string | undefined> {
  const [host = 'localhost', port = '443'] = address.startsWith('[') ? [address.slice(1, address.indexOf(']')), address.split(']:')[1]] : address.split(':');
  const servername = tls.serverNameOverride ?? (isIP(host) ? undefined : host);
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port: Number(port),
      servername,
      ca: pem(tls.serverRootCACertificate),
      cert: pem(tls.clientCertPair?.crt),
      key: pem(tls.clientCertPair?.key),
      ALPNProtocols: ['h2'],
      checkServerIdentity: (name, cert) => checkServerIdentity(servername ?? name, cert),
    });
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve('timed out');
    });
    socket.once('secureConnect', () => {
      // TLS 1.3 servers that require a client certificate say so just after the handshake.
      socket.once('error', (error) => resolve(error.message));
      setTimeout(() => {
        socket.destroy();
        resolve(undefined);
      }, 200);
    });
    socket.once('error', (error) => resolve(error.message));
  });
}

export interface ExplainedConnectError {
  message: string;
  /** A setting to fix (exit 2) rather than a server that may come back. */
  setting: boolean;
}

/** A failed connection in one line naming the setting to fix. */
export async function explainConnectError(error: unknown, connection: TemporalConnection, address: string): Promise<ExplainedConnectError> {
  const chain = causeChain(error);
  const { summary } = connection;
  if (/grpc code 16\b|unauthenticated|(HTTP status code|status:) 401\b|grpc code 7\b|permission ?denied/i.test(chain)) {
    return {
      message: summary.apiKey
        ? `Temporal at ${address} refused the API key; check TEMPORAL_API_KEY (and TEMPORAL_NAMESPACE)`
        : `Temporal at ${address} requires authentication; set TEMPORAL_API_KEY (or a client certificate: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH)`,
      setting: true,
    };
  }
  const needsClientCert = `Temporal at ${address} requires a client certificate (mTLS); set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`;
  // A proxy that ends TLS answers a request without the required certificate with HTTP 400.
  if (summary.tls && !summary.clientCertSubject && /(HTTP status code|status:) 400\b/.test(chain)) return { message: needsClientCert, setting: true };
  if (connection.tls === false) {
    if (/HTTP status code|protocol|handshake|tls|ssl|frame|http2/i.test(chain)) {
      return { message: `Temporal at ${address} did not answer in plain text; it probably needs TLS: set TEMPORAL_TLS=true (and TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA)`, setting: true };
    }
    return { message: `cannot reach ${address} (${chain.slice(0, 200)}); check TEMPORAL_ADDRESS or start a server (difyscope dev)`, setting: false };
  }
  const tlsProblem = await probeTls(address, connection.tls);
  if (tlsProblem === undefined || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|timed out/.test(tlsProblem)) {
    return { message: `cannot reach ${address} (${chain.slice(0, 200)}); check TEMPORAL_ADDRESS or start a server (difyscope dev)`, setting: false };
  }
  if (/certificate required|alert number 116|bad certificate|alert number 42/i.test(tlsProblem) && !summary.clientCertSubject) return { message: needsClientCert, setting: true };
  if (/altnames|Hostname\/IP does not match|does not match certificate/i.test(tlsProblem)) {
    return { message: `Temporal at ${address}: the server certificate does not match the name (${tlsProblem}); check TEMPORAL_TLS_SERVER_NAME`, setting: true };
  }
  if (/certificate|self.signed|issuer|verify/i.test(tlsProblem)) {
    return { message: `Temporal at ${address}: the TLS handshake failed (${tlsProblem}); check TEMPORAL_TLS_SERVER_CA_CERT_PATH`, setting: true };
  }
  return {
    message: `Temporal at ${address}: the TLS handshake failed (${tlsProblem}); check TEMPORAL_TLS_SERVER_CA_CERT_PATH${summary.clientCertSubject ? ', TEMPORAL_TLS_CLIENT_CERT_PATH' : ''} and TEMPORAL_TLS_SERVER_NAME`,
    setting: true,
  };
}

/** The options `Connection.connect` (clients) and `NativeConnection.connect` (worker) share. */
export function connectOptions(connection: TemporalConnection, address = connection.address ?? 'localhost:7233') {
  return { address, tls: connection.tls, apiKey: connection.apiKey, metadata: connection.metadata };
}

/** Connects with `connect`, turning a failure into one line that names the setting to fix. */
export async function connectWith<T>(connection: TemporalConnection, address: string | undefined, connect: (options: ReturnType<typeof connectOptions>) => Promise<T>): Promise<T> {
  const options = connectOptions(connection, address);
  try {
    return await connect(options);
  } catch (error) {
    const explained = await explainConnectError(error, connection, options.address);
    throw explained.setting ? new TemporalSettingError(explained.message) : new Error(explained.message, { cause: error });
  }
}
