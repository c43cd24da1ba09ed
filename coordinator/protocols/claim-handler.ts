/**
 * `/mdswarm/claim/1`: a node claims work, renews its leases, reports a unit
 * complete or failed. Many request/response exchanges per stream.
 *
 * - claim → `lease` (the unit spec to run, from its resume point; with
 *   `count` > 1, up to count − 1 more in `more`, from what is queued at that
 *   moment) or `refused` (no-work | no-match with the unmet requirement). A claim with
 *   `waitMs` that finds no work at all waits up to min(waitMs, CLAIM_PARK_MS)
 *   for some (long poll; one parked claim per peer), so nodes should send
 *   such claims on a stream of their own.
 * - renew → `renewed`, one entry per lease; `cancel: true` means stop that
 *   unit now (its job was cancelled, or the lease was lost/reassigned).
 * - complete → `ok` once every frame of the unit is stored and (for all but a
 *   job's last unit) the final checkpoint was put over /mdswarm/blob/1;
 *   otherwise `refused` bad-request (send the missing frames/blob, then retry)
 *   or stale (the attempt no longer holds the unit: drop it).
 * - fail → `ok` (retried elsewhere or the job failed) or `refused` stale.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { serveStream } from '../../src/wire/serve.ts'
import { validateClaimRequest } from '../../src/wire/validate.ts'
import type { ClaimRequest, ClaimResponse, LeaseGrant } from '../../src/wire/messages.ts'
import { MAX_LEASES_PER_CLAIM } from '../../src/wire/constants.ts'
import type { ClaimOutcome, WorkQueue } from '../queue/work-queue.ts'
import { CLAIM_PARK_MS } from '../queue/constants.ts'
import type { PeerTable } from '../peers/peer-table.ts'
import type { RateLimiter } from '../security/rate-limiter.ts'
import type { RefusalLog } from '../security/refusal-log.ts'
import { RateLimitedError } from '../security/errors.ts'

const log = logger('mdswarm:coordinator:claim')

export interface ClaimHandlerDeps {
  readonly queue: WorkQueue
  readonly peers: PeerTable
  readonly signal: AbortSignal
  /** How long a claim that finds no work waits for some, ms (default CLAIM_PARK_MS; 0: refuse at once). */
  readonly claimParkMs?: number
  /** Claim-protocol messages per node peer (absent: unlimited). */
  readonly rateLimiter?: RateLimiter
  readonly refusals?: RefusalLog
}

/**
 * Waits for the peer's rate-limit token. Over the limit, a claim is refused
 * with `rate-limited` (the node backs off); a renew/complete/fail is never
 * refused (the node would drop its unit) but its stream is reset, and the
 * node retries later.
 */
async function rateLimited (deps: ClaimHandlerDeps, peerId: string, request: ClaimRequest): Promise<ClaimResponse | null> {
  if (deps.rateLimiter === undefined || await deps.rateLimiter.take(peerId, deps.signal)) return null
  deps.refusals?.note('rate-limited', peerId, `claim-protocol '${request.type}'`)
  const err = new RateLimitedError('claim', deps.rateLimiter.limit.ratePerSecond)
  if (request.type === 'claim') return { type: 'refused', code: 'rate-limited', reason: err.message }
  throw err
}

/** Peers with a claim parked in a long poll, per coordinator (its deps object). */
const parkedPeers = new WeakMap<ClaimHandlerDeps, Set<string>>()
function parkedPeersOf (deps: ClaimHandlerDeps): Set<string> {
  let parked = parkedPeers.get(deps)
  if (parked === undefined) { parked = new Set(); parkedPeers.set(deps, parked) }
  return parked
}

export async function handleClaimRequest (deps: ClaimHandlerDeps, peerId: string, request: ClaimRequest): Promise<ClaimResponse> {
  switch (request.type) {
    case 'claim': {
      deps.peers.noteClaim(peerId, request.capabilities)
      const claimOnce = async (preferred = request.unitId): Promise<ClaimOutcome> => await deps.queue.claim(peerId, request.capabilities, {
        ...(preferred !== undefined ? { unitId: preferred } : {}),
        otherNodes: deps.peers.liveNodes(),
      })
      let outcome = await claimOnce()
      // No work at all: when the node asked for it, wait a little for some (long poll) rather than
      // refuse at once; one parked claim per peer, so a peer cannot tie up the coordinator with many.
      const waitMs = Math.min(request.waitMs ?? 0, deps.claimParkMs ?? CLAIM_PARK_MS)
      const parked = parkedPeersOf(deps)
      if (outcome.type === 'refused' && outcome.code === 'no-work' && waitMs > 0 && !parked.has(peerId)) {
        parked.add(peerId)
        try {
          const deadline = Date.now() + waitMs
          while (outcome.type === 'refused' && outcome.code === 'no-work' && Date.now() < deadline) {
            if (!await deps.queue.waitForWork(deadline - Date.now(), deps.signal)) break
            outcome = await claimOnce()
          }
        } finally {
          parked.delete(peerId)
        }
      }
      if (outcome.type !== 'lease') return outcome
      log('leased %s attempt %d to %s', outcome.lease.unitId, outcome.lease.attempt, peerId)
      // Asked for several (short units): add what is queued now, without waiting for more.
      const more: LeaseGrant[] = []
      for (let i = 1; i < Math.min(request.count ?? 1, MAX_LEASES_PER_CLAIM); i++) {
        const next = await claimOnce(undefined)
        if (next.type !== 'lease') break
        log('leased %s attempt %d to %s', next.lease.unitId, next.lease.attempt, peerId)
        more.push({ lease: next.lease, unit: next.unit })
      }
      return more.length > 0 ? { ...outcome, more } : outcome
    }
    case 'renew': {
      deps.peers.noteSeen(peerId)
      return { type: 'renewed', leases: await deps.queue.renew(peerId, request.leases) }
    }
    case 'complete':
      deps.peers.noteSeen(peerId)
      return await deps.queue.complete(peerId, request.unitId, request.attempt, request.checkpointHash)
    case 'fail':
      deps.peers.noteSeen(peerId)
      log('unit %s attempt %d failed on %s: %s', request.unitId, request.attempt, peerId, request.errorName)
      return await deps.queue.fail(peerId, request.unitId, request.attempt, request)
  }
}

export function claimStreamHandler (deps: ClaimHandlerDeps) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const peerId = connection.remotePeer.toString()
    await serveStream(stream, {
      validate: validateClaimRequest,
      onMessage: async (request: ClaimRequest) => await rateLimited(deps, peerId, request) ?? await handleClaimRequest(deps, peerId, request),
      onInvalid: (err: Error): ClaimResponse => ({ type: 'refused', code: 'bad-request', reason: err.message }),
      onError: (err) => log('claim stream from %s ended: %s', peerId, err.message),
      signal: deps.signal,
    })
  }
}
