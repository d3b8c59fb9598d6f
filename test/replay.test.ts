import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import * as workflows from '../workflows';
import { workflowBundle, quietRuntime } from './helpers/temporal';

/**
 * Every recorded history must replay on the current workflow code: a change that would break
 * running workflows (a reordered or renamed activity, a new timer) fails here first.
 * Record a new history with `RECORD_HISTORY=1 npm test` after an intentional, versioned change.
 */
describe('workflow replay', () => {
  it('replays every recorded history without nondeterminism', async () => {
    quietRuntime();
    const dir = path.join(__dirname, 'histories');
    const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    assert.ok(names.length > 0, 'no recorded histories in test/histories');
    const bundle = await workflowBundle();
    const covered = new Set<string>();
    for (const name of names) {
      // Each file keeps the workflow id: child workflow ids are derived from it.
      const recorded = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as { workflowId: string; history: Parameters<typeof Worker.runReplayHistory>[1] };
      await Worker.runReplayHistory({ workflowBundle: bundle }, recorded.history, recorded.workflowId);
      const started = (recorded.history as { events?: { workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }[] }).events?.[0];
      covered.add(started?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?');
    }
    // Every workflow the worker registers has at least one recorded history.
    const workflowTypes = Object.entries(workflows).filter(([, value]) => typeof value === 'function').map(([name]) => name).sort();
    assert.deepEqual([...covered].sort(), workflowTypes);
  });
});
