/**
 * Publishes the node's heartbeat on the network's status topic: its
 * capabilities, the units it is running and their summed throughput (ns/day).
 * Gossip is best effort: a heartbeat nobody hears is not an error.
 */
import { logger } from '@libp2p/logger'
import type { MdswarmPeer } from '../src/p2p/create-peer.ts'
import { publishGossip } from '../src/p2p/gossip.ts'
import type { Capabilities, StatusMessage } from '../src/wire/messages.ts'
import { second } from '../src/wire/constants.ts'
import { MAX_RUNNING_UNITS } from '../src/wire/constants.ts'
import type { HeldUnits } from './held-units.ts'

const log = logger('mdswarm:node:heartbeat')

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5 * second

export function statusMessage (capabilities: Capabilities, held: HeldUnits): StatusMessage {
  return {
    type: 'status',
    role: 'node',
    capabilities,
    running: held.running().map(u => u.unitId).slice(0, MAX_RUNNING_UNITS),
    nsPerDay: held.nsPerDay(),
    sentAt: Date.now()
  }
}

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null

  constructor (
    private readonly peer: MdswarmPeer,
    private topic: string,
    private readonly capabilities: Capabilities,
    private readonly held: HeldUnits,
    private readonly intervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS
  ) {}

  start (): void {
    if (this.timer !== null) return
    this.timer = setInterval(() => { void this.beat() }, this.intervalMs)
    void this.beat()
  }

  stop (): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** Publishes on `topic` from now on (the node switched to its coordinator's network), and at once. */
  retarget (topic: string): void {
    this.topic = topic
    if (this.timer !== null) void this.beat()
  }

  /** Publishes one heartbeat now. */
  async beat (): Promise<void> {
    try {
      await publishGossip(this.peer, this.topic, statusMessage(this.capabilities, this.held))
    } catch (err) {
      log('heartbeat not sent (%s)', (err as Error).message)
    }
  }
}
