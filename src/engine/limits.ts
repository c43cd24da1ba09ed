/**
 * Size limits on every input the engine reads. Work units arrive from the
 * network, so every file is bounded before it is parsed: a hostile or broken
 * input gets a typed error, never an out-of-memory crash.
 */

export interface InputLimits {
  /** Largest System/Integrator/State XML accepted, bytes (UTF-8). */
  maxXmlBytes: number
  /** Largest PDB accepted, bytes (UTF-8). */
  maxPdbBytes: number
  /** Largest particle count accepted in any input. */
  maxAtoms: number
  /** Largest step count a single run may ask for. */
  maxSteps: number
}

const MEBIBYTE = 1024 * 1024

export const DEFAULT_INPUT_LIMITS: InputLimits = Object.freeze({
  maxXmlBytes: 64 * MEBIBYTE,
  maxPdbBytes: 64 * MEBIBYTE,
  maxAtoms: 1_000_000,
  maxSteps: 1_000_000_000_000,
})

/** The defaults with the given overrides applied (undefined fields keep the default). */
export function resolveLimits (limits?: Partial<InputLimits>): InputLimits {
  if (limits === undefined) return DEFAULT_INPUT_LIMITS
  return {
    maxXmlBytes: limits.maxXmlBytes ?? DEFAULT_INPUT_LIMITS.maxXmlBytes,
    maxPdbBytes: limits.maxPdbBytes ?? DEFAULT_INPUT_LIMITS.maxPdbBytes,
    maxAtoms: limits.maxAtoms ?? DEFAULT_INPUT_LIMITS.maxAtoms,
    maxSteps: limits.maxSteps ?? DEFAULT_INPUT_LIMITS.maxSteps,
  }
}

/**
 * UTF-8 size of `text` in bytes, but computed only as far as needed to decide
 * whether it exceeds `maxBytes` (a UTF-16 unit is 1 to 3 UTF-8 bytes).
 */
export function exceedsByteLimit (text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true
  if (text.length * 3 <= maxBytes) return false
  return Buffer.byteLength(text, 'utf8') > maxBytes
}
