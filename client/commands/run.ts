import { redactSecrets } from '../../config/load';
import { connectClient } from '../connection';
import { isUsageError } from '../errors';
import { settingsFromEnvironment } from '../settings';

/** One line to standard output. */
export const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Bad input exits 2 with one line; anything else exits 1 with the error's message. */
export async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    let secrets: string[] = [];
    try {
      secrets = settingsFromEnvironment().secrets;
    } catch {
      // Config itself is broken: nothing configured to redact beyond what the message holds.
    }
    process.stderr.write(`difyscope: ${redactSecrets(message, secrets).split('\n').join('\ndifyscope: ')}\n`);
    process.exitCode = isUsageError(error) ? 2 : 1;
  }
}

/** Runs `work` with a Temporal client built from the environment's settings. */
export function withClient(work: (client: Awaited<ReturnType<typeof connectClient>>, settings: ReturnType<typeof settingsFromEnvironment>) => Promise<void>): Promise<void> {
  return run(async () => {
    const settings = settingsFromEnvironment();
    const client = await connectClient(settings);
    try {
      await work(client, settings);
    } finally {
      await client.connection.close();
    }
  });
}
