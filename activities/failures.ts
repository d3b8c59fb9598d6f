import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ConfigError, redactSecrets } from '../config/load';
import { WindowError } from '../common/window';
import { DifyError } from './dify/errors';

/**
 * Turns any error into the ApplicationFailure Temporal should see: non-retryable when retrying
 * cannot help (with a message that names the setting to fix), retryable otherwise, honouring
 * Dify's Retry-After through `nextRetryDelay`. Secrets are removed from every message.
 */
export function toApplicationFailure(error: unknown, secrets: readonly string[]): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
  if (error instanceof ConfigError) return ApplicationFailure.nonRetryable(message, 'ConfigError');
  if (error instanceof WindowError) return ApplicationFailure.nonRetryable(message, 'InvalidRequest');
  if (error instanceof DifyError) {
    if (!error.retryable) {
      const type =
        error.kind === 'not-found' ? 'DifyNotFound' : error.kind === 'bad-request' ? 'DifyBadRequest' : error.kind === 'locked-out' ? 'DifyLockedOut' : error.kind === 'config' ? 'ConfigError' : 'DifyAuthError';
      return ApplicationFailure.nonRetryable(message, type);
    }
    return ApplicationFailure.create({
      message,
      type: `Dify${error.kind[0]?.toUpperCase() ?? ''}${error.kind.slice(1)}`,
      nextRetryDelay: error.retryAfterMs !== undefined ? `${error.retryAfterMs} ms` : undefined,
    });
  }
  return ApplicationFailure.retryable(message, error instanceof Error ? error.name : 'Error');
}

/** Runs `work`, converting whatever it throws with `toApplicationFailure`. */
export async function withFailureMapping<T>(secrets: readonly string[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // Left as it is, so Temporal records the attempt as cancelled rather than failed.
    if (error instanceof CancelledFailure) throw error;
    throw toApplicationFailure(error, secrets);
  }
}
