/**
 * Why a dial to a coordinator failed, when the swarm key is the reason. A
 * peer of a private network (libp2p pnet) sends its 24-byte nonce the moment
 * a TCP connection opens; an open libp2p peer sends nothing until the dialler
 * speaks. So one raw TCP connection, held open briefly, tells the two apart
 * without any key, and a dial that failed can be explained in one line.
 *
 * @example
 * const explained = await explainDialFailure('/ip4/10.0.0.5/tcp/4100/p2p/12D3KooW...', { hasSwarmKey: false })
 * if (explained !== null) throw explained   // PrivateNetworkError
 */
import net from 'node:net'
import type { Multiaddr } from '@multiformats/multiaddr'
import { parseMultiaddr } from './create-peer.ts'
import { PrivateNetworkError, SwarmKeyMismatchError } from './errors.ts'

/** What a coordinator's TCP port says before the dialler speaks. */
export type NetworkKind = 'private' | 'open' | 'unreachable'

/** Bytes of the pnet nonce a private peer sends first. */
const PNET_NONCE_BYTES = 24
/** How long the probe waits for the nonce, ms (pnet writes it at once). */
export const DEFAULT_PROBE_TIMEOUT_MS = 1500
/** What an open libp2p peer would send first, if it spoke first: multistream-select's header. */
const MULTISTREAM_HEADER = Buffer.from('\x13/multistream/1.0.0\n', 'latin1')

/** Host and TCP port of an /ip4, /ip6 or /dns* address with /tcp; undefined for anything else (relay, other transports). */
export function tcpTarget (address: Multiaddr): { host: string, port: number } | undefined {
  let host: string | undefined
  let port: number | undefined
  for (const component of address.getComponents()) {
    if (host === undefined && ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(component.name)) host = component.value
    else if (host !== undefined && port === undefined && component.name === 'tcp') port = Number(component.value)
    else if (component.name === 'p2p-circuit') return undefined
  }
  return host !== undefined && port !== undefined && Number.isInteger(port) ? { host, port } : undefined
}

/**
 * Opens one TCP connection to `address` and watches the first bytes:
 * 'private' when a pnet nonce arrives, 'open' when the peer waits for us
 * (or greets with multistream-select), 'unreachable' when TCP fails.
 */
export async function probeNetworkKind (address: string | Multiaddr, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): Promise<NetworkKind> {
  const target = tcpTarget(typeof address === 'string' ? parseMultiaddr(address) : address)
  if (target === undefined) return 'unreachable'
  return await new Promise<NetworkKind>(resolve => {
    const received: Buffer[] = []
    let bytes = 0
    let connected = false
    const socket = net.connect({ host: target.host, port: target.port })
    const finish = (kind: NetworkKind): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(kind)
    }
    const timer = setTimeout(() => { finish(connected ? 'open' : 'unreachable') }, timeoutMs)
    socket.on('connect', () => { connected = true })
    socket.on('data', (data: Buffer) => {
      received.push(data)
      bytes += data.byteLength
      const head = Buffer.concat(received)
      if (head.subarray(0, MULTISTREAM_HEADER.byteLength).equals(MULTISTREAM_HEADER.subarray(0, Math.min(bytes, MULTISTREAM_HEADER.byteLength)))) {
        if (bytes >= MULTISTREAM_HEADER.byteLength) finish('open')
        return
      }
      if (bytes >= PNET_NONCE_BYTES) finish('private')
    })
    socket.on('error', () => { finish(connected ? 'open' : 'unreachable') })
    socket.on('close', () => { finish(connected ? (bytes >= PNET_NONCE_BYTES ? 'private' : 'open') : 'unreachable') })
  })
}

/**
 * After a failed dial: the swarm-key error that explains it, or null when
 * the key is not the problem (nothing listens there, or the keys agree).
 * PrivateNetworkError: the coordinator is private and we have no key.
 * SwarmKeyMismatchError: we have a key and the coordinator is open, or
 * private (then most likely with another key).
 */
export async function explainDialFailure (address: string | Multiaddr, options: { hasSwarmKey: boolean, timeoutMs?: number }): Promise<PrivateNetworkError | SwarmKeyMismatchError | null> {
  const kind = await probeNetworkKind(address, options.timeoutMs)
  const text = address.toString()
  if (kind === 'private' && !options.hasSwarmKey) return new PrivateNetworkError(text)
  if (kind === 'open' && options.hasSwarmKey) return new SwarmKeyMismatchError(text, false)
  if (kind === 'private' && options.hasSwarmKey) return new SwarmKeyMismatchError(text, true)
  return null
}
