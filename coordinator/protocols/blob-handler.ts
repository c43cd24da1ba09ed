/**
 * `/mdswarm/blob/1`: content-addressed payloads. `get` returns the bytes of a
 * hash (inputs, checkpoints); `put` stores a checkpoint from the node that
 * holds the unit's current lease, after checking that the bytes hash to the
 * name given. Stored with a synced write before `stored` is answered.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { serveStream } from '../../src/wire/serve.ts'
import { validateBlobRequest } from '../../src/wire/validate.ts'
import type { BlobRequest, BlobResponse } from '../../src/wire/messages.ts'
import { blobHash } from '../store/blob-hash.ts'
import type { CoordinatorStore } from '../store/coordinator-store.ts'
import type { RateLimiter } from '../security/rate-limiter.ts'
import type { RefusalLog } from '../security/refusal-log.ts'
import { RateLimitedError } from '../security/errors.ts'

const log = logger('mdswarm:coordinator:blob')

export interface BlobHandlerDeps {
  readonly store: CoordinatorStore
  readonly signal: AbortSignal
  /** Blob requests per peer (absent: unlimited); over it the stream is reset. */
  readonly bulkRateLimiter?: RateLimiter
  readonly refusals?: RefusalLog
}

export async function handleBlobRequest (deps: BlobHandlerDeps, peerId: string, request: BlobRequest): Promise<BlobResponse> {
  if (request.type === 'get') {
    const bytes = await deps.store.blobs.get(request.hash)
    if (bytes === undefined) return { type: 'error', code: 'not-found', reason: `no blob ${request.hash} on this coordinator` }
    return { type: 'blob', hash: request.hash, bytes }
  }
  const unit = await deps.store.getUnit(request.unitId)
  if (unit?.state !== 'leased' || unit.lease?.peerId !== peerId || unit.lease.attempt !== request.attempt) {
    deps.refusals?.note(unit?.state === 'leased' && unit.lease?.peerId === peerId ? 'stale-attempt' : 'not-holder', peerId, `checkpoint for unit ${request.unitId} attempt ${request.attempt}`)
    return { type: 'error', code: 'not-holder', reason: `attempt ${request.attempt} of unit ${request.unitId} is not leased to you` }
  }
  const actual = blobHash(request.bytes)
  if (actual !== request.hash) return { type: 'error', code: 'hash-mismatch', reason: `bytes hash to ${actual}, not ${request.hash}` }
  if ((await deps.store.blobs.get(request.hash)) === undefined) {
    await deps.store.batch().putBlob(request.hash, request.bytes).write({ sync: true })
  }
  return { type: 'stored', hash: request.hash }
}

export function blobStreamHandler (deps: BlobHandlerDeps) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const peerId = connection.remotePeer.toString()
    await serveStream(stream, {
      validate: (value: unknown) => validateBlobRequest(value),
      onMessage: async (request: BlobRequest) => {
        if (deps.bulkRateLimiter !== undefined && !await deps.bulkRateLimiter.take(peerId, deps.signal)) {
          deps.refusals?.note('rate-limited', peerId, `blob ${request.type}`)
          throw new RateLimitedError('blob', deps.bulkRateLimiter.limit.ratePerSecond)
        }
        return await handleBlobRequest(deps, peerId, request)
      },
      onInvalid: (err: Error): BlobResponse => ({ type: 'error', code: 'bad-request', reason: err.message }),
      onError: (err) => log('blob stream from %s ended: %s', peerId, err.message),
      signal: deps.signal,
    })
  }
}
