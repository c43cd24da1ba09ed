/**
 * How `mdswarm coordinator allow | revoke | allowed` reach the allow-list.
 *
 * - With --coordinator, or while the home's coordinator runs (its database is
 *   locked): over the control protocol, as this home's client, which must be
 *   an admin on the list. The running daemon applies the change at once.
 * - While the home's coordinator is stopped: directly in its database (the
 *   LevelDB lock guarantees no daemon is running meanwhile), so an operator
 *   can always recover access on the coordinator's own machine.
 */
import fs from 'node:fs'
import path from 'node:path'
import { resolveHome } from '../../src/p2p/home.ts'
import { loadOrCreatePrivateKey, peerIdStringOf } from '../../src/p2p/identity.ts'
import type { AllowedClientSummary } from '../../src/client/control-messages.ts'
import { CoordinatorStore } from '../store/coordinator-store.ts'
import { AllowList } from '../security/allow-list.ts'
import { COORDINATOR_DB_DIR, HOME_CLIENT_DIR } from '../daemon.ts'
import { withClient, type ClientFlags } from './client-session.ts'

export interface AllowListAccess {
  /** 'control protocol' (running coordinator) or 'database' (stopped one). */
  readonly via: 'control protocol' | 'database'
  allow (peerId: string, admin?: boolean): Promise<{ clients: AllowedClientSummary[], changed: boolean }>
  revoke (peerId: string): Promise<{ clients: AllowedClientSummary[], changed: boolean }>
  list (): Promise<AllowedClientSummary[]>
}

function isLockError (err: unknown): boolean {
  const e = err as { code?: string, cause?: { code?: string, message?: string } }
  return e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED' || /lock/i.test(String(e.cause?.message ?? ''))
}

/** Runs `body` with the allow-list of the coordinator named by `flags`. */
export async function withAllowList<T> (flags: ClientFlags, body: (access: AllowListAccess) => Promise<T>): Promise<T> {
  if (flags.coordinator === undefined) {
    const home = resolveHome(flags.home)
    const dbDir = path.join(home, COORDINATOR_DB_DIR)
    if (fs.existsSync(dbDir)) {
      let store: CoordinatorStore | null = null
      try {
        store = await CoordinatorStore.open(dbDir)
      } catch (err) {
        if (!isLockError(err)) throw err
      }
      if (store !== null) {
        try {
          const owner = peerIdStringOf(await loadOrCreatePrivateKey(path.join(home, HOME_CLIENT_DIR)))
          const list = await AllowList.open(store.db, owner)
          return await body({
            via: 'database',
            allow: async (peerId, admin) => {
              const before = list.list().find((c) => c.peerId === peerId)
              const client = await list.allow(peerId, { by: 'local', ...(admin !== undefined ? { admin } : {}) })
              return { clients: list.list(), changed: before === undefined || before.admin !== client.admin }
            },
            revoke: async (peerId) => ({ changed: await list.revoke(peerId), clients: list.list() }),
            list: async () => list.list(),
          })
        } finally {
          await store.close()
        }
      }
    }
  }
  return await withClient(flags, async (client) => await body({
    via: 'control protocol',
    allow: async (peerId, admin) => await client.allowClient(peerId, admin !== undefined ? { admin } : {}),
    revoke: async (peerId) => await client.revokeClient(peerId),
    list: async () => await client.allowedClients(),
  }))
}
