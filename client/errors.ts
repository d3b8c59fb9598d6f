import { ConfigError } from '../config/load';
import { TemporalSettingError } from '../config/temporal';
import { WindowError } from '../common/window';

/** Bad input from the operator: one line naming the field and the fix, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isUsageError(error: unknown): error is Error {
  return error instanceof UsageError || error instanceof ConfigError || error instanceof WindowError || error instanceof TemporalSettingError;
}
