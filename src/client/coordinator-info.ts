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
