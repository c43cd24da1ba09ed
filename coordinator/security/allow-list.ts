/**
 * The submitter allow-list (like SSH's authorized_keys): client peer IDs that
 * may use the control protocol. Kept in the coordinator's LevelDB (sublevel
 * `clients`, peerId → AllowedClient) with an in-memory copy for the check on
 * every request. Admins may also change the list; the client key of the
 * coordinator's own home is added as the first admin at first start.
 */
import type { Level } from 'level'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidPeerIdError, LastAdminError } from './errors.ts'

export interface AllowedClient {
  readonly peerId: string
  /** May allow and revoke others. */
  readonly admin: boolean
  /** ms since the epoch. */
  readonly addedAt: number
  /** Peer ID of the admin who added it, or 'local' (the coordinator's home, or an edit while it was stopped). */
  readonly addedBy: string
}

const INITIALISED_KEY = 'allowListInitialised'

/** Throws InvalidPeerIdError unless `peerId` is a libp2p peer ID string. */
export function checkPeerId (peerId: string): string {
  const trimmed = peerId.trim()
  try {
    return peerIdFromString(trimmed).toString()
  } catch {
    throw new InvalidPeerIdError(peerId)
  }
}

export class AllowList {
  private readonly clients
  private readonly meta
  private readonly cache = new Map<string, AllowedClient>()

  private constructor (db: Level<string, unknown>) {
    this.clients = db.sublevel<string, AllowedClient>('clients', { valueEncoding: 'json' })
    this.meta = db.sublevel<string, unknown>('security', { valueEncoding: 'json' })
  }

  /**
   * Loads the list. On the very first open, `ownerPeerId` (the client key of
   * the coordinator's home) is added as an admin; never again after that, so
   * a revoked owner stays revoked.
   */
  static async open (db: Level<string, unknown>, ownerPeerId: string, now = Date.now()): Promise<AllowList> {
    const list = new AllowList(db)
    for await (const [peerId, client] of list.clients.iterator()) list.cache.set(peerId, client)
    if ((await list.meta.get(INITIALISED_KEY)) !== true) {
      const owner: AllowedClient = { peerId: checkPeerId(ownerPeerId), admin: true, addedAt: now, addedBy: 'local' }
      await db.batch([
        { type: 'put', sublevel: list.clients as never, key: owner.peerId, value: owner },
        { type: 'put', sublevel: list.meta as never, key: INITIALISED_KEY, value: true }
      ] as never, { sync: true } as never)
      list.cache.set(owner.peerId, owner)
    }
    return list
  }

  isAllowed (peerId: string): boolean { return this.cache.has(peerId) }
  isAdmin (peerId: string): boolean { return this.cache.get(peerId)?.admin === true }

  /** Every allowed client, admins first, then oldest first. */
  list (): AllowedClient[] {
    return [...this.cache.values()].sort((a, b) => Number(b.admin) - Number(a.admin) || a.addedAt - b.addedAt || a.peerId.localeCompare(b.peerId))
  }

  /** Adds (or updates the admin flag of) a client. */
  async allow (peerId: string, options: { admin?: boolean, by: string, now?: number }): Promise<AllowedClient> {
    const id = checkPeerId(peerId)
    const existing = this.cache.get(id)
    const admin = options.admin ?? existing?.admin ?? false
    if (existing !== undefined && existing.admin && !admin) this.assertAnotherAdmin(id)
    const client: AllowedClient = existing !== undefined ? { ...existing, admin } : { peerId: id, admin, addedAt: options.now ?? Date.now(), addedBy: options.by }
    await this.clients.put(id, client, { sync: true } as never)
    this.cache.set(id, client)
    return client
  }

  /** Removes a client; false when it was not listed. Refuses to remove the last admin. */
  async revoke (peerId: string): Promise<boolean> {
    const id = checkPeerId(peerId)
    const existing = this.cache.get(id)
    if (existing === undefined) return false
    if (existing.admin) this.assertAnotherAdmin(id)
    await this.clients.del(id, { sync: true } as never)
    this.cache.delete(id)
    return true
  }

  private assertAnotherAdmin (peerId: string): void {
    if (!this.list().some((c) => c.admin && c.peerId !== peerId)) throw new LastAdminError(peerId)
  }
}
