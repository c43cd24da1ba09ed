/**
 * Residual tokens: a signed 32-bit residual is zigzagged to an unsigned
 * value v; values below 16 are their own token, larger ones become a token
 * that names the position of the top bit and the bit below it, while the
 * remaining low bits travel raw (see raw-bits.ts). 72 tokens cover all of
 * 0 … 2^32 − 1.
 */

export const TOKEN_ALPHABET = 72
const DIRECT_TOKENS = 16

/** Zigzag: 0, -1, 1, -2, … → 0, 1, 2, 3, … (as a double, up to 2^32 − 1). */
export function zigzag (residual: number): number {
  return residual >= 0 ? 2 * residual : -2 * residual - 1
}

export function unzigzag (value: number): number {
  return (value % 2 === 1) ? -(value + 1) / 2 : value / 2
}

/** Token of a zigzagged value. */
export function tokenOf (value: number): number {
  if (value < DIRECT_TOKENS) return value
  const topBit = 31 - Math.clz32(value)
  return DIRECT_TOKENS + 2 * (topBit - 4) + ((value / (2 ** (topBit - 1))) & 1)
}

/** Raw bits that follow a token. */
export function extraBitsOf (token: number): number {
  return token < DIRECT_TOKENS ? 0 : ((token - DIRECT_TOKENS) >> 1) + 3
}

/** The value a token stands for, without its raw bits (add them). */
export function tokenBase (token: number): number {
  if (token < DIRECT_TOKENS) return token
  const k = token - DIRECT_TOKENS
  const topBit = (k >> 1) + 4
  return (2 | (k & 1)) * 2 ** (topBit - 1)
}
