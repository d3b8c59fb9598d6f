/**
 * Failure types that retrying cannot fix: the activities throw them as non-retryable, and the
 * workflows' retry policies name them too, so one list serves both sides.
 */
export const NON_RETRYABLE_TYPES = ['ConfigError', 'InvalidRequest', 'DifyAuthError', 'DifyNotFound', 'DifyBadRequest', 'DifyLockedOut'];
