import type { Settings } from '../config/load';
import { startCodecServer, type CodecServer } from './codec-server';

/**
 * For `dev` and `demo` with encryption on: a codec server beside the embedded Web UI, so the
 * UI shows payloads decrypted. A convenience only: when its port is taken the run goes on,
 * and the UI shows the encrypted payloads.
 */
export async function startLocalCodecServer(settings: Settings, log: (line: string) => void): Promise<CodecServer | undefined> {
  if (settings.encryptionKey === undefined) return undefined;
  try {
    const server = await startCodecServer(settings);
    log(`Codec server for the Web UI on ${server.url}`);
    return server;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE') throw error;
    log(`Codec server not started: port ${settings.codecServer.port} is in use (CODEC_SERVER_PORT); the Web UI will show encrypted payloads`);
    return undefined;
  }
}
