/**
 * Reusable scratch arrays for the codec's per-chunk working buffers, so that
 * encoding or decoding a stream of chunks does not churn megabytes of
 * garbage per chunk. Contents are undefined on hand-out; never hand a
 * scratch array to a caller.
 */
let int32Scratch: Int32Array[] = [new Int32Array(0), new Int32Array(0)]
let uint8Scratch = new Uint8Array(0)

/** Scratch Int32Array `slot` (0 or 1) of at least `length` values, viewed to exactly `length`. */
export function scratchInt32 (slot: 0 | 1, length: number): Int32Array {
  if (int32Scratch[slot].length < length) {
    int32Scratch = int32Scratch.slice()
    int32Scratch[slot] = new Int32Array(Math.ceil(length * 1.25))
  }
  return int32Scratch[slot].subarray(0, length)
}

/** Scratch Uint8Array of exactly `length` bytes. */
export function scratchUint8 (length: number): Uint8Array {
  if (uint8Scratch.length < length) uint8Scratch = new Uint8Array(Math.ceil(length * 1.25))
  return uint8Scratch.subarray(0, length)
}

let rawScratch = new Uint8Array(0)

/** Scratch bytes for the raw-bit stream, at least `length` long (the caller copies out what it keeps). */
export function scratchRawBytes (length: number): Uint8Array {
  if (rawScratch.length < length) rawScratch = new Uint8Array(Math.ceil(length * 1.25))
  return rawScratch
}
