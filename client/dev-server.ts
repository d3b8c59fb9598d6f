import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from './search-attributes';
import { findTemporalCli } from './temporal-cli';

export interface DevServer {
  address: string;
  uiUrl: string;
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A local Temporal dev server (`temporal server start-dev`) persisted under `.difyscope/`,
 * with the Web UI on 8233 when that port is free. Uses the installed CLI; falls back to the
 * SDK's download only when none is installed.
 */
export interface DevServerOptions {
  /** The Web UI decodes payloads through this codec server (`--ui-codec-endpoint`). */
  codecEndpoint?: string;
}

export async function startDevServer(stateDir: string, log: (line: string) => void = () => undefined, options: DevServerOptions = {}): Promise<DevServer> {
  mkdirSync(stateDir, { recursive: true });
  const executablePath = findTemporalCli();
  const port = (await portIsFree(7233)) ? 7233 : undefined;
  const uiPort = (await portIsFree(8233)) ? 8233 : undefined;
  log(`Starting the Temporal dev server (${executablePath ?? "SDK download"}), state in ${path.join(stateDir, 'temporal.db')}`);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: executablePath ? { type: 'existing-path', path: executablePath } : { type: 'cached-download' },
      ip: '127.0.0.1',
      port,
      ui: true,
      uiPort,
      dbFilename: path.join(stateDir, 'temporal.db'),
      extraArgs: ['--log-level', 'error', ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : [])],
    },
  });
  const address = env.address;
  // So the Web UI can filter reports by app, kind and period.
  await registerSearchAttributes(env.connection, 'default');
  const uiUrl = `http://localhost:${uiPort ?? 'its-ui-port'}`;
  return { address, uiUrl, env, stop: () => env.teardown() };
}
