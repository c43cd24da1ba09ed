/**
 * Small checkers the message validators are built from. Each takes the
 * untrusted value and the dotted field path (for the error), and returns the
 * value typed, or throws WireFormatError. Objects are closed: unknown keys
 * are rejected.
 */
import { WireFormatError } from './errors.ts'
import { MAX_ID_LENGTH, MAX_REASON_LENGTH } from './constants.ts'
import { isSha256Hex } from './hash.ts'

export type Fields = Record<string, unknown>

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Uint8Array) return 'bytes'
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`
}

function join (parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`
}

/** A map with exactly the `required` keys and any of the `optional` ones. */
export function object (value: unknown, field: string, required: readonly string[], optional: readonly string[] = []): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new WireFormatError(`expected a map, got ${describe(value)}`, field)
  }
  const fields = value as Fields
  for (const key of Object.keys(fields)) {
    if (!required.includes(key) && !optional.includes(key)) throw new WireFormatError('unknown field', join(field, key))
  }
  for (const key of required) {
    if (!(key in fields)) throw new WireFormatError('missing field', join(field, key))
  }
  return fields
}

/** A map with any string keys (at most `maxKeys`), each value checked by `item`. */
export function record<T> (value: unknown, field: string, maxKeys: number, item: (value: unknown, field: string) => T): Record<string, T> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new WireFormatError(`expected a map, got ${describe(value)}`, field)
  }
  const keys = Object.keys(value)
  if (keys.length > maxKeys) throw new WireFormatError(`more than ${maxKeys} entries`, field)
  const out: Record<string, T> = {}
  for (const key of keys) {
    text(key, join(field, '<key>'), MAX_ID_LENGTH)
    out[key] = item((value as Fields)[key], join(field, key))
  }
  return out
}

/** A non-empty string of at most `maxLength` characters, without control characters. */
export function text (value: unknown, field: string, maxLength = MAX_ID_LENGTH): string {
  if (typeof value !== 'string') throw new WireFormatError(`expected a string, got ${describe(value)}`, field)
  if (value.length === 0) throw new WireFormatError('empty string', field)
  if (value.length > maxLength) throw new WireFormatError(`longer than ${maxLength} characters`, field)
  if (CONTROL_CHARACTERS.test(value)) throw new WireFormatError('contains control characters', field)
  return value
}

/** Free text (reasons, messages): may contain newlines and tabs, may be empty. */
export function prose (value: unknown, field: string, maxLength = MAX_REASON_LENGTH): string {
  if (typeof value !== 'string') throw new WireFormatError(`expected a string, got ${describe(value)}`, field)
  if (value.length > maxLength) throw new WireFormatError(`longer than ${maxLength} characters`, field)
  return value
}

/** An identifier (unit, job, peer): a string of at most MAX_ID_LENGTH characters. */
export function id (value: unknown, field: string): string {
  return text(value, field, MAX_ID_LENGTH)
}

/** A safe integer in [min, max]. */
export function integer (value: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new WireFormatError(`expected an integer, got ${describe(value)}`, field)
  if (value < min || value > max) throw new WireFormatError(`${value} is outside [${min}, ${max}]`, field)
  return value
}

/** A finite number in [min, max]. */
export function finite (value: unknown, field: string, min = -Number.MAX_VALUE, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new WireFormatError(`expected a finite number, got ${describe(value)}`, field)
  if (value < min || value > max) throw new WireFormatError(`${value} is outside [${min}, ${max}]`, field)
  return value
}

export function boolean (value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new WireFormatError(`expected true or false, got ${describe(value)}`, field)
  return value
}

/** A byte string of at most `maxBytes` bytes. */
export function bytes (value: unknown, field: string, maxBytes: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new WireFormatError(`expected bytes, got ${describe(value)}`, field)
  if (value.byteLength > maxBytes) throw new WireFormatError(`${value.byteLength} bytes, more than ${maxBytes}`, field)
  return value
}

/** One of the listed strings. */
export function oneOf<T extends string> (value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new WireFormatError(`expected one of ${allowed.join(', ')}, got ${describe(value)}`, field)
  }
  return value as T
}

/** A sha256 hex content hash. */
export function contentHash (value: unknown, field: string): string {
  if (!isSha256Hex(value)) throw new WireFormatError(`expected a sha256 hex hash, got ${describe(value)}`, field)
  return value
}

/** An array of at most `maxLength` items, each checked by `item`. */
export function list<T> (value: unknown, field: string, maxLength: number, item: (value: unknown, field: string) => T): T[] {
  if (!Array.isArray(value)) throw new WireFormatError(`expected an array, got ${describe(value)}`, field)
  if (value.length > maxLength) throw new WireFormatError(`more than ${maxLength} items`, field)
  for (let i = 0; i < value.length; i++) item(value[i], `${field}[${i}]`)
  return value as T[]
}

/** `check(fields[key])` when the key is present, else undefined. */
export function optional<T> (fields: Fields, key: string, field: string, check: (value: unknown, field: string) => T): T | undefined {
  return key in fields ? check(fields[key], join(field, key)) : undefined
}

export { join as fieldPath }
