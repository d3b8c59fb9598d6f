import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ConfigError } from '../config/load';

/**
 * AES-256-GCM encryption of every Temporal payload, keyed by DIFYSCOPE_ENCRYPTION_KEY
 * (`keyid:base64key[,oldid:base64key…]`). The first key encrypts; every listed key decrypts,
 * so a key can be rotated by putting the new one first and keeping the old one until no
 * history still holds its payloads.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const SETTING = 'DIFYSCOPE_ENCRYPTION_KEY';
const KEY_BYTES = 32;
// GCM's standard nonce and tag sizes; the layout nonce ‖ ciphertext ‖ tag matches Temporal's samples.
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface KeyRing {
  /** Id of the key new payloads are encrypted with. */
  current: string;
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * Parses the setting. Errors name the setting and the entry but never quote key material,
 * because the message ends up in logs and on the terminal.
 */
export function parseEncryptionKeys(value: string): KeyRing {
  const entries = value.split(',').map((entry) => entry.trim());
  const keys = new Map<string, Buffer>();
  let current: string | undefined;
  entries.forEach((entry, index) => {
    const where = `${SETTING}: entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new ConfigError(`${where} has no key id; use keyid:base64key[,oldid:base64key…], e.g. k1:$(openssl rand -base64 32)`);
    const id = entry.slice(0, colon).trim();
    const material = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw new ConfigError(`${where}: key id "${id.slice(0, 64)}" is not valid; use letters, digits, ".", "_" and "-" (at most 64)`);
    if (keys.has(id)) throw new ConfigError(`${where}: key id "${id}" appears twice; every key needs its own id`);
    if (!BASE64.test(material)) throw new ConfigError(`${where} (key id "${id}") is not base64; generate a key with: openssl rand -base64 32`);
    const key = Buffer.from(material, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new ConfigError(`${where} (key id "${id}") is ${key.length} bytes after base64 decoding; AES-256 needs exactly ${KEY_BYTES} (openssl rand -base64 32)`);
    }
    keys.set(id, key);
    current ??= id;
  });
  if (current === undefined) throw new ConfigError(`${SETTING}: no key given; use keyid:base64key[,oldid:base64key…]`);
  return { current, keys };
}

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const text = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {}

  static fromSetting(value: string): EncryptionCodec {
    return new EncryptionCodec(parseEncryptionKeys(value));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.ring.keys.get(this.ring.current);
    if (!key) throw new ConfigError(`${SETTING}: the current key "${this.ring.current}" is missing`);
    return payloads.map((payload) => {
      // The whole payload, metadata included, goes inside: its encoding says what the data is.
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.ring.current) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was turned on stay readable.
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const id = text(payload.metadata?.[KEY_ID_METADATA]);
      if (id === undefined) throw new ConfigError(`${SETTING}: an encrypted payload carries no ${KEY_ID_METADATA}; it was not written by Difyscope`);
      const key = this.ring.keys.get(id);
      if (!key) {
        throw new ConfigError(
          `${SETTING}: a payload was encrypted with key id "${id}", which is not configured (configured: ${[...this.ring.keys.keys()].join(', ')}); add "${id}:<its base64 key>" after the current key`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < NONCE_BYTES + TAG_BYTES) throw new ConfigError(`${SETTING}: a payload encrypted with key "${id}" is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new ConfigError(`${SETTING}: a payload encrypted with key id "${id}" does not decrypt with the configured key of that id (wrong key, or the payload was altered)`);
      }
      const decoded = temporal.api.common.v1.Payload.decode(plain);
      return { metadata: decoded.metadata, data: decoded.data };
    });
  }
}
