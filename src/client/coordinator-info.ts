/**
 * `<home>/coordinator.json`: written by a running coordinator so that client
 * commands and nodes with the same home find it without flags.
 */
import fs from 'node:fs'
import path from 'node:path'
import { CoordinatorNotFoundError } from './errors.ts'

export const COORDINATOR_FILE_NAME = 'coordinator.json'

export interface CoordinatorInfo {
  readonly peerId: string
  /** Listening addresses, each ending in /p2p/<peerId>. */
  readonly multiaddrs: readonly string[]
  readonly network: string
  /** The web dashboard's URL, when the coordinator serves one. */
  readonly dashboard?: string
  /** True when the coordinator runs a private network (pnet): every peer needs its swarm key. Absent: open. */
  readonly privateNetwork?: boolean
  /** Absolute path of the coordinator's swarm key file, when it read one: clients and nodes of this home use it without flags. */
  readonly swarmKeyFile?: string
}

/** `<home>/coordinator.json` when the home has a readable one, else undefined (never throws). */
export function readCoordinatorInfoIfAny (home: string): CoordinatorInfo | undefined {
  try {
    return readCoordinatorInfo(home)
  } catch {
    return undefined
  }
}

/** The peer ID a multiaddr names in its last /p2p/ part, if any. */
export function peerIdOfAddress (address: string): string | undefined {
  const at = address.lastIndexOf('/p2p/')
  return at < 0 ? undefined : address.slice(at + '/p2p/'.length).split('/')[0]
}

/**
 * The coordinator.json of `home` when it describes the coordinator the caller
 * dials: no address given (the file's coordinator is used), or an address
 * naming the same peer ID. Its network and swarm key then apply without flags.
 */
export function homeCoordinatorFor (home: string, address: string | undefined): CoordinatorInfo | undefined {
  const info = readCoordinatorInfoIfAny(home)
  if (info === undefined || address === undefined) return info
  return peerIdOfAddress(address) === info.peerId ? info : undefined
}

/** Reads `<home>/coordinator.json`; CoordinatorNotFoundError when absent or unreadable. */
export function readCoordinatorInfo (home: string): CoordinatorInfo {
  const file = path.join(home, COORDINATOR_FILE_NAME)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    throw new CoordinatorNotFoundError(`No coordinator address given and ${file} does not exist. Pass --coordinator MULTIADDR, or run 'mdswarm coordinator start' with the same --home.`)
  }
  try {
    const info = JSON.parse(text) as CoordinatorInfo
    if (typeof info.peerId !== 'string' || !Array.isArray(info.multiaddrs) || typeof info.network !== 'string') throw new Error('missing fields')
    return info
  } catch (err) {
    throw new CoordinatorNotFoundError(`${file} is not a coordinator description (${(err as Error).message}); restart the coordinator to rewrite it.`)
  }
}

/** Addresses ordered for dialling from this machine: loopback first, then the rest. */
export function dialOrder (multiaddrs: readonly string[]): string[] {
  const rank = (address: string): number => address.startsWith('/ip4/127.') || address.startsWith('/ip6/::1/') ? 0 : address.includes('/ip4/0.0.0.0/') ? 2 : 1
  return [...multiaddrs].sort((a, b) => rank(a) - rank(b))
}
