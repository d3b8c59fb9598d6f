import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../worker/data-converter';
import { workflowsPath } from '../worker/worker';

/**
 * Prebuilds the workflow bundle (the Dockerfile runs this at build time) so a production
 * worker starts without webpack and runs exactly the code that was built and tested.
 */
async function main(): Promise<void> {
  const output = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    // The worker maps workflow stack traces through the inline source map; without the sources
    // embedded in it the bundle is half the size, and so is what every worker parses and holds.
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-source-map' }),
  });
  mkdirSync(path.dirname(output), { recursive: true });
  writeFileSync(output, code);
  process.stdout.write(`workflow bundle written to ${output} (${code.length} bytes)\n`);
}

void main();
