import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

/**
 * A real TLS-terminating gRPC proxy in front of the Temporal dev server: Debian's nginx with
 * `grpc_pass`, optionally requiring a client certificate (mTLS) and an API key (the
 * `authorization: Bearer …` header the SDK sends), as Temporal Cloud and secured clusters do.
 */

export const SERVER_NAME = 'temporal.test';

export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: trusting it must fail the handshake. */
  otherCaCert: string;
}

function openssl(dir: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

/** A private CA, a server certificate for SERVER_NAME and 127.0.0.1, and a client certificate. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'difyscope-tls-'));
  const ca = (name: string) => openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
  ca('test-ca');
  ca('other-ca');
  const leaf = (name: string, subject: string, extensions: string) => {
    writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'test-ca.crt', '-CAkey', 'test-ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  };
  leaf('server', `/CN=${SERVER_NAME}`, `subjectAltName=DNS:${SERVER_NAME},IP:127.0.0.1\nextendedKeyUsage=serverAuth\n`);
  leaf('client', '/O=Difyscope tests/CN=difyscope-worker', 'extendedKeyUsage=clientAuth\n');
  const at = (file: string) => path.join(dir, file);
  return {
    dir,
    caCert: at('test-ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    otherCaCert: at('other-ca.crt'),
  };
}

export interface GrpcTlsProxy {
  /** `127.0.0.1:port` of the TLS listener. */
  address: string;
  close(): Promise<void>;
}


function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export const MISSING_NGINX = 'nginx was not found; install it (sudo apt-get install -y nginx) or run node scripts/ensure-test-packages.mjs';

export async function startGrpcTlsProxy(options: { upstream: string; certs: TestCertificates; mtls?: boolean; apiKey?: string }): Promise<GrpcTlsProxy> {
  const nginx = ['/usr/sbin/nginx', 'nginx'].find((candidate) => spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0);
  if (!nginx) throw new Error(MISSING_NGINX);
  const dir = mkdtempSync(path.join(tmpdir(), 'difyscope-nginx-'));
  mkdirSync(path.join(dir, 'temp'));
  const port = await freePort();
  const { certs } = options;
  // An API key check the way a gateway does it: anything but the exact bearer token is 401,
  // which gRPC clients report as UNAUTHENTICATED.
  const keyCheck = options.apiKey ? `if ($http_authorization != "Bearer ${options.apiKey}") { return 401; }` : '';
  const conf = `daemon off;
master_process off;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/temp/body;
  proxy_temp_path ${dir}/temp/proxy;
  fastcgi_temp_path ${dir}/temp/fastcgi;
  uwsgi_temp_path ${dir}/temp/uwsgi;
  scgi_temp_path ${dir}/temp/scgi;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${certs.serverCert};
    ssl_certificate_key ${certs.serverKey};
    ${options.mtls ? `ssl_client_certificate ${certs.caCert};\n    ssl_verify_client on;` : ''}
    location / {
      ${keyCheck}
      grpc_read_timeout 300s;
      grpc_send_timeout 300s;
      grpc_pass grpc://${options.upstream};
    }
  }
}
`;
  writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let tries = 0; !(await listening(port)); tries += 1) {
    if (child.exitCode !== null || tries > 100) {
      child.kill('SIGKILL');
      let log = '';
      try {
        log = readFileSync(path.join(dir, 'error.log'), 'utf8');
      } catch {
        // no log written
      }
      throw new Error(`nginx did not start: ${stderr}${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
