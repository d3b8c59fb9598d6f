import type { Settings, StoreSettings } from '../../config/load';
import { FileStore } from './file';
import { S3Store } from './s3';

/**
 * Where reports, raw records, the notification ledger and the scratch data of running reports
 * live when several workers share them: a folder (`file:///…`) or an S3-compatible bucket
 * (`s3://bucket/prefix`). Keys are `/`-separated paths relative to OUTPUT_URL, laid out like
 * OUTPUT_DIR. Every put is atomic: a reader sees the old object or the new one, never a part.
 */
export interface ObjectStore {
  /** `file:///…` or `s3://bucket/prefix`, for messages. */
  readonly url: string;
  /** Where a key is for people: a path on the shared volume, or `s3://bucket/prefix/key`. */
  location(key: string): string;
  put(key: string, body: Buffer | string): Promise<void>;
  /** Undefined when there is no such object. */
  get(key: string): Promise<Buffer | undefined>;
  /** Every key under `prefix` (a folder path without trailing slash), with its size. */
  list(prefix: string): Promise<{ key: string; size: number }[]>;
  /** Removes every object under `prefix`. */
  removeAll(prefix: string): Promise<void>;
  /** A time-limited link to the object, where the backend has such links. */
  link?(key: string, expiresInSeconds: number): Promise<string>;
  close(): void;
}


export function openStore(settings: StoreSettings, fileMode: number): ObjectStore {
  const url = new URL(settings.url);
  if (url.protocol === 'file:') return new FileStore(decodeURIComponent(url.pathname), fileMode);
  if (url.protocol === 's3:') return new S3Store(url.hostname, url.pathname.replace(/^\/+|\/+$/g, ''), settings.s3);
  throw new Error(`OUTPUT_URL: unsupported scheme "${url.protocol}"; use file:///path or s3://bucket/prefix`);
}

/**
 * The store shared by the workers, or undefined when it is OUTPUT_DIR itself (the default):
 * then every activity already works on the shared files and nothing needs copying.
 */
export function sharedStore(settings: Settings): ObjectStore | undefined {
  const { storage } = settings;
  if (!storage) return undefined;
  return openStore(storage, settings.outputFileMode & 0o666);
}
