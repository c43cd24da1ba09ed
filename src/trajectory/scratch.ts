/**
 * Reusable scratch arrays for the codec's per-chunk working buffers, so that
 * encoding or decoding a stream of chunks neither churns megabytes of
 * garbage per chunk nor pays for fresh (page-faulting, zeroed) memory.
 * Each buffer has a name; contents are undefined on hand-out; never hand a
 * scratch array to a caller, and never hold two hand-outs of one name.
 */
const int32Buffers = new Map<string, Int32Array>()
const uint8Buffers = new Map<string, Uint8Array>()
const int16Buffers = new Map<string, Int16Array>()
const float32Buffers = new Map<string, Float32Array>()
const float64Buffers = new Map<string, Float64Array>()

function grow (length: number): number { return Math.ceil(length * 1.25) + 16 }

/** Scratch Int32Array `name` viewed to exactly `length` values. */
export function scratchInt32 (name: string, length: number): Int32Array {
  let buffer = int32Buffers.get(name)
  if (buffer === undefined || buffer.length < length) { buffer = new Int32Array(grow(length)); int32Buffers.set(name, buffer) }
  return buffer.subarray(0, length)
}

/** Scratch Uint8Array `name` viewed to exactly `length` bytes. */
export function scratchUint8 (name: string, length: number): Uint8Array {
  let buffer = uint8Buffers.get(name)
  if (buffer === undefined || buffer.length < length) { buffer = new Uint8Array(grow(length)); uint8Buffers.set(name, buffer) }
  return buffer.subarray(0, length)
}

/** Scratch Int16Array `name` viewed to exactly `length` values. */
export function scratchInt16 (name: string, length: number): Int16Array {
  let buffer = int16Buffers.get(name)
  if (buffer === undefined || buffer.length < length) { buffer = new Int16Array(grow(length)); int16Buffers.set(name, buffer) }
  return buffer.subarray(0, length)
}

/** Scratch Float32Array `name` viewed to exactly `length` values. */
export function scratchFloat32 (name: string, length: number): Float32Array {
  let buffer = float32Buffers.get(name)
  if (buffer === undefined || buffer.length < length) { buffer = new Float32Array(grow(length)); float32Buffers.set(name, buffer) }
  return buffer.subarray(0, length)
}

/** Scratch Float64Array `name` viewed to exactly `length` values. */
export function scratchFloat64 (name: string, length: number): Float64Array {
  let buffer = float64Buffers.get(name)
  if (buffer === undefined || buffer.length < length) { buffer = new Float64Array(grow(length)); float64Buffers.set(name, buffer) }
  return buffer.subarray(0, length)
}
