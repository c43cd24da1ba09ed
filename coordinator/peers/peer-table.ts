/**
 * What the coordinator knows of the peers around it: capabilities and load
 * from heartbeats (gossip status topic) and claims, addresses from live
 * connections. In memory only: a restarted coordinator learns it again
 * within one heartbeat.
 */
import type { Capabilities, StatusMessage } from '../../src/wire/messages.ts'
import type { PeerSummary } from '../../src/client/control-messages.ts'

export interface PeerEntry {
  peerId: string
  role: 'node' | 'coordinator' | 'client'
  capabilities: Capabilities | null
  running: readonly string[]
  nsPerDay: number
  lastHeartbeat: number | null
}

/** Most peers remembered (memory bound against made-up peer IDs). */
export const MAX_PEER_ENTRIES = 10_000

export interface PeerTableOptions {
  /** A node unheard of for this long is no longer counted as live, ms. */
  readonly liveForMs: number
  readonly now?: () => number
}

export class PeerTable {
  private readonly entries = new Map<string, PeerEntry>()
  private readonly liveForMs: number
  private readonly now: () => number

  constructor (options: PeerTableOptions) {
    this.liveForMs = options.liveForMs
    this.now = options.now ?? Date.now
  }

  private entry (peerId: string, role: PeerEntry['role'] = 'node'): PeerEntry {
    let entry = this.entries.get(peerId)
    if (entry === undefined) {
      // Bounded: past MAX_PEER_ENTRIES the first-inserted entry goes (a restarted peer comes back with its next heartbeat).
      if (this.entries.size >= MAX_PEER_ENTRIES) this.entries.delete(this.entries.keys().next().value as string)
      entry = { peerId, role, capabilities: null, running: [], nsPerDay: 0, lastHeartbeat: null }
      this.entries.set(peerId, entry)
    }
    return entry
  }

  /** A heartbeat from the status topic. */
  noteStatus (peerId: string, status: StatusMessage): void {
    const entry = this.entry(peerId, status.role)
    entry.role = status.role
    if (status.capabilities !== undefined) entry.capabilities = status.capabilities
    entry.running = status.running
    entry.nsPerDay = status.nsPerDay
    entry.lastHeartbeat = this.now()
  }

  /** A claim: the node is alive and can run this. */
  noteClaim (peerId: string, capabilities: Capabilities): void {
    const entry = this.entry(peerId, 'node')
    entry.role = 'node'
    entry.capabilities = capabilities
    entry.lastHeartbeat = this.now()
  }

  /** Any other sign of life (renewal, chunk). */
  noteSeen (peerId: string): void {
    const entry = this.entries.get(peerId)
    if (entry !== undefined) entry.lastHeartbeat = this.now()
  }

  /** Nodes heard from within `liveForMs`, with their capabilities. */
  liveNodes (): Array<{ peerId: string, capabilities: Capabilities }> {
    const cutoff = this.now() - this.liveForMs
    const out: Array<{ peerId: string, capabilities: Capabilities }> = []
    for (const entry of this.entries.values()) {
      if (entry.role === 'node' && entry.capabilities !== null && entry.lastHeartbeat !== null && entry.lastHeartbeat >= cutoff) out.push({ peerId: entry.peerId, capabilities: entry.capabilities })
    }
    return out
  }

  /** The table as the control protocol shows it; `addressesOf` gives a peer's live connection addresses. */
  summaries (addressesOf: (peerId: string) => string[], extra: readonly PeerEntry[] = []): PeerSummary[] {
    const all = [...extra, ...[...this.entries.values()].filter((e) => !extra.some((x) => x.peerId === e.peerId))]
    return all.map((entry) => {
      const caps = entry.capabilities
      const addresses = addressesOf(entry.peerId)
      return {
        peerId: entry.peerId,
        role: entry.role,
        addresses,
        engines: Object.fromEntries(Object.entries(caps?.engines ?? {}).map(([name, engine]) => [name, { version: engine.version, platforms: engine.platforms }])),
        concurrency: caps?.concurrency ?? 0,
        cpuCores: caps?.cpuCores ?? 0,
        gpus: (caps?.gpus ?? []).map((gpu) => gpu.name),
        running: entry.running,
        lastHeartbeat: entry.lastHeartbeat,
        nsPerDay: entry.nsPerDay,
        connected: addresses.length > 0,
      }
    })
  }
}
