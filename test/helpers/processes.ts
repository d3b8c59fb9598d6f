import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { workflowBundle } from './temporal';

const CLI = path.join(__dirname, '..', '..', 'bin', 'difyscope.js');

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  exited: Promise<number | null>;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGKILL, then waits until the process is gone. */
  kill(): Promise<void>;
}

/** Starts the real CLI (`bin/difyscope.js`) as a child process with exactly `env`. */
export function startCli(args: string[], env: Record<string, string>, cwd: string): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, cwd });
  let output = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(output)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    waitFor: (pattern, timeoutMs = 90_000) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(output)) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The workflow bundle written to a file, for worker processes (WORKFLOW_BUNDLE_PATH) so each starts in seconds. */
export async function bundleFile(dir: string): Promise<string> {
  const file = path.join(dir, 'workflow-bundle.js');
  await writeFile(file, (await workflowBundle()).code);
  return file;
}

/** Polls `condition` every 50 ms until it holds. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Last heartbeat times (ms) of the running activities of a workflow and of its running child workflows. */
export async function pendingHeartbeats(client: Client, handle: Pick<WorkflowHandle, 'workflowId'>): Promise<{ activity: string; lastHeartbeat: number | undefined }[]> {
  const found: { activity: string; lastHeartbeat: number | undefined }[] = [];
  const description = await client.workflow.getHandle(handle.workflowId).describe();
  const runs = [description, ...(await Promise.all((description.raw.pendingChildren ?? []).map((child) => client.workflow.getHandle(child.workflowId ?? '', child.runId ?? undefined).describe())))];
  for (const run of runs) {
    for (const activity of run.raw.pendingActivities ?? []) {
      found.push({ activity: activity.activityType?.name ?? '', lastHeartbeat: optionalTsToMs(activity.lastHeartbeatTime) });
    }
  }
  return found;
}
