/**
 * A bare libp2p peer in the test process that speaks the mdswarm protocols
 * badly on purpose: raw bytes on a stream, gossip it makes up.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { ExecutionContext } from 'ava'
import { createPeer, parseMultiaddr, type MdswarmPeer } from '../../../src/p2p/create-peer.ts'
import { wireStream } from '../../../src/wire/framing.ts'

export async function startRawPeer (t: ExecutionContext): Promise<MdswarmPeer> {
  const peer = await createPeer({ privateKey: await generateKeyPair('Ed25519'), network: 'default', role: 'client' })
  t.teardown(async () => { await peer.stop() })
  return peer
}

export interface RawExchange {
  /** The decoded message the daemon answered with, null when it just closed the stream. */
  readonly response: unknown
  /** Set when the stream failed (reset, protocol refused, timeout) instead. */
  readonly error?: string
}

/** Opens `protocol` on `address`, sends `bytes` as they are, closes the writing side, and reads one answer. */
export async function rawExchange (peer: MdswarmPeer, address: string, protocol: string, bytes: Uint8Array, timeoutMs = 15_000): Promise<RawExchange> {
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    const stream = await peer.dialProtocol(parseMultiaddr(address), protocol, { signal })
    const ws = wireStream(stream, { maxMessageBytes: 64 * 1024 * 1024 })
    if (!stream.send(bytes)) await stream.onDrain({ signal })
    await stream.close({ signal })
    const response = await ws.readRaw(signal)
    return { response }
  } catch (err) {
    return { response: null, error: `${(err as Error).name}: ${(err as Error).message}` }
  }
}

/** An unsigned LEB128 varint. */
export function varint (value: number): Uint8Array {
  const out: number[] = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
  return Uint8Array.from(out)
}

export function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) { out.set(part, offset); offset += part.byteLength }
  return out
}

/** `body` with its length prefix. */
export function framed (body: Uint8Array): Uint8Array {
  return concat(varint(body.byteLength), body)
}
