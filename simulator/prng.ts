/**
 * Seeded randomness for the simulator. Never Math.random: the same options must give the
 * same store, so tests and benchmarks can compare reports byte for byte.
 *
 * sfc32 rather than mulberry32 for the stream itself: mulberry32 has 32 bits of state, so
 * a 128-bit id built from four draws could only take 2^32 values, and a 100k-run store
 * (~700k ids) would almost surely repeat one. mulberry32 only expands the seed.
 */

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** FNV-1a over the parts, so each purpose (users, runs, a given day) gets its own stream. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = `${String(part)}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const HEX_CODES = Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly uuidCodes = new Uint16Array(36);

  constructor(seed: number) {
    const expand = mulberry32(seed);
    this.a = expand();
    this.b = expand();
    this.c = expand();
    this.d = expand();
    // sfc32 needs a few rounds before its output is well mixed.
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Log-normal around `median`; sigma is the spread of the underlying normal. */
  logNormal(median: number, sigma: number): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return median * Math.exp(sigma * z);
  }

  /**
   * A version-4-shaped UUID from 128 random bits. Built from char codes, not string
   * concatenation: concatenated strings stay as trees of fragments in V8 and would triple
   * the memory of a 100k-run store.
   */
  uuid(): string {
    const codes = this.uuidCodes;
    let pos = 0;
    for (let word = 0; word < 4; word++) {
      let bits = this.u32();
      for (let k = 0; k < 8; k++) {
        if (pos === 8 || pos === 13 || pos === 18 || pos === 23) codes[pos++] = 0x2d;
        codes[pos++] = HEX_CODES[bits >>> 28] ?? 0x30;
        bits = (bits << 4) >>> 0;
      }
    }
    codes[14] = 0x34;
    codes[19] = HEX_CODES[8 | ((codes[19] ?? 0) & 3)] ?? 0x38;
    return String.fromCharCode(...codes);
  }

  base62(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += BASE62[this.u32() % 62];
    return out;
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.u32().toString(16).padStart(8, '0');
    return out.slice(0, length);
  }
}
