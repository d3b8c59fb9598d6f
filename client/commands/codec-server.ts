import type { Command } from 'commander';
import { runCodecServerCommand } from '../codec-server';
import { UsageError } from '../errors';
import { settingsFromEnvironment } from '../settings';
import { print, run } from './run';

export function registerCodecServer(program: Command): void {
  program
    .command('codec-server')
    .description('Serve /encode and /decode for the Temporal Web UI, so it shows payloads encrypted with DIFYSCOPE_ENCRYPTION_KEY.')
    .option('--port <port>', 'port (default: CODEC_SERVER_PORT)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .action((options: { port?: string; host: string }) =>
      run(async () => {
        const port = options.port === undefined ? undefined : Number(options.port);
        if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new UsageError(`--port: "${options.port}" is not a port number (1-65535)`);
        await runCodecServerCommand(settingsFromEnvironment(), { port, host: options.host }, print);
      }),
    );
}
