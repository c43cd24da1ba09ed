/**
 * CBOR encoding of wire messages (cborg) with the strict decoding options
 * every network read uses: no NaN/Infinity, no undefined, no indefinite
 * lengths, no tags, no duplicate keys, no BigInt. Any decoding failure
 * becomes a WireFormatError.
 */
import { encode, decode } from 'cborg'
import type { DecodeOptions } from 'cborg'
import { WireFormatError } from './errors.ts'

const STRICT_DECODE_OPTIONS: DecodeOptions = {
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  strict: true,
  useMaps: false,
  rejectDuplicateMapKeys: true,
  tags: []
}

/** Encodes a message; fields whose value is `undefined` are left out. */
export function encodeMessage (message: unknown): Uint8Array {
  return encode(message, { ignoreUndefinedProperties: true })
}

/** Decodes one complete CBOR message; throws WireFormatError on anything malformed or non-finite. */
export function decodeMessage (bytes: Uint8Array): unknown {
  try {
    return decode(bytes, STRICT_DECODE_OPTIONS)
  } catch (err) {
    throw new WireFormatError(`not a valid CBOR message (${(err as Error).message})`, '', { cause: err })
  }
}
