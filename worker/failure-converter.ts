import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Loaded by path (the SDK requires it, and bundles it into the workflow sandbox) when payloads
 * are encrypted: failure messages and stack traces then travel as an encoded payload, so the
 * payload codec encrypts them too instead of leaving them readable in the history.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
