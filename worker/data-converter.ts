import type { DataConverter } from '@temporalio/common';
import type { Settings } from '../config/load';
import { EncryptionCodec } from './codec';

/** For `bundleWorkflowCode({ failureConverterPath })` when a bundle is prebuilt for an encrypting worker. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The payload codec of these settings; undefined when DIFYSCOPE_ENCRYPTION_KEY is unset. Throws ConfigError on a bad key. */
export function encryptionCodecFor(settings: Pick<Settings, 'encryptionKey'>): EncryptionCodec | undefined {
  return settings.encryptionKey === undefined ? undefined : EncryptionCodec.fromSetting(settings.encryptionKey);
}

/**
 * The one data converter of the worker and of every client. Both sides must agree, or the
 * worker could not read what a client started and the client could not read results.
 * Throws ConfigError on a bad key, so nothing runs without the encryption it was asked for.
 */
export function dataConverterFor(settings: Pick<Settings, 'encryptionKey'>): DataConverter {
  const codec = encryptionCodecFor(settings);
  if (!codec) return {};
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}
