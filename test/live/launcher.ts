import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { HOW_TO_GET_A_DIFY, NoDifyError, seedDify, startDify, stopDify } from './real-dify';

/**
 * `tsx test/live/launcher.ts <command...>` (what `npm run test:dify` runs): gets a real Dify
 * (DIFY_LIVE_URL, else start.sh of the real-dify launcher), seeds it once, runs the command
 * with DIFY_LIVE_SEED_FILE (and DIFY_LIVE_STATE for a started server) in its environment,
 * stops the server it started, and exits with the command's code. Without a Dify it fails
 * with one line saying how to get one: live tests never pass by not running.
 */

async function main(command: string[]): Promise<number> {
  if (command.length === 0) {
    process.stderr.write('usage: tsx test/live/launcher.ts <command...>\n');
    return 2;
  }
  let state: string | undefined;
  // CI's trap stops a server named in this file, should this process be killed before it can.
  const record = (value: string): void => {
    if (process.env.REAL_DIFY_STARTED_FILE) writeFileSync(process.env.REAL_DIFY_STARTED_FILE, value);
  };
  const stop = async (): Promise<void> => {
    const owned = state;
    state = undefined;
    if (!owned) return;
    await stopDify(owned).then(
      () => record(''),
      (error: unknown) => process.stderr.write(`real Dify: stop.sh failed: ${String(error)}\n`),
    );
  };
  const env: NodeJS.ProcessEnv = { ...process.env };
  try {
    if (process.env.DIFY_LIVE_URL) {
      env.DIFY_LIVE_SEED_FILE = process.env.DIFY_LIVE_SEED ?? (await seedDify(process.env.DIFY_LIVE_URL));
    } else {
      const started = await startDify((chosen) => {
        state = chosen;
        record(chosen);
      });
      env.DIFY_LIVE_STATE = started.state;
      env.DIFY_LIVE_SEED_FILE = await seedDify(started.url);
    }
  } catch (error) {
    await stop();
    process.stderr.write(`${error instanceof NoDifyError ? error.message : `real Dify could not be prepared: ${error instanceof Error ? error.message : String(error)}`}\n`);
    return 1;
  }
  const [program = '', ...args] = command;
  const child = spawn(program, args, { env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`${program}: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  await stop();
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${HOW_TO_GET_A_DIFY}\n`);
    process.exit(1);
  },
);
