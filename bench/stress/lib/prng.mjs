// A seeded pseudo-random generator for the stress runs (mulberry32): the same seed draws the same
// inputs, so that a failure seen once can be replayed with --seed.

/** A generator of numbers in [0, 1) from a 32-bit seed, with the helpers the run draws inputs with. */
export function prng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min, max) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    /** An integer in [min, max]. */
    int,
    /** One element of a list. */
    pick: (list) => list[Math.floor(next() * list.length)],
    /** true with probability p. */
    chance: (p) => next() < p,
    /** length random bytes. */
    bytes(length) {
      const out = Buffer.alloc(length);
      for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
    /** 2^k for a random k in [lo, hi]: sizes spread over orders of magnitude. */
    size: (lo, hi) => 2 ** int(lo, hi),
    /** A string of length characters drawn from alphabet. */
    text(length, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789') {
      let out = '';
      for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)];
      return out;
    },
  };
}

/** A fresh seed, for a full run that was given none. */
export const freshSeed = () => Math.floor(Math.random() * 2 ** 31);
