/**
 * Residual tokens: a signed 32-bit residual is zigzagged to an unsigned
 * value v; values below 16 are their own token, larger ones become a token
 * that names the position of the top bit and the bit below it, while the
 * remaining low bits travel raw, uncoded. 72 tokens cover all of
 * 0 … 2^32 − 1. (The coder inlines the value → token step in its hot loops:
 * v < 16 → v; else top = floor(log2 v), token = 16 + 2 (top − 4) + bit (top − 1)
 * of v, followed by the top − 1 low bits.)
 */

export const TOKEN_ALPHABET = 72
/** Tokens 0 … 15 stand for themselves (no raw bits). */
export const DIRECT_TOKENS = 16

/** Zigzag: 0, -1, 1, -2, … → 0, 1, 2, 3, … (as a double, up to 2^32 − 1). */
export function zigzag (residual: number): number {
  return residual >= 0 ? 2 * residual : -2 * residual - 1
}

export function unzigzag (value: number): number {
  return (value % 2 === 1) ? -(value + 1) / 2 : value / 2
}

/** The value a token stands for, without its raw bits (add them). */
export function tokenBase (token: number): number {
  if (token < DIRECT_TOKENS) return token
  const k = token - DIRECT_TOKENS
  const topBit = (k >> 1) + 4
  return (2 | (k & 1)) * 2 ** (topBit - 1)
}
