/**
 * `/mdswarm/frames/1`: a node streams chunks of frames, one ack per chunk.
 * A chunk is acknowledged only after its synced LevelDB write (the node may
 * then drop it); duplicates are acknowledged with `duplicate: true`; a chunk
 * that skips frames is refused with `gap` (resend from the frame named), one
 * from a node or attempt that no longer holds the unit with `not-holder` /
 * `stale-attempt`, damaged bytes with `corrupt`.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { serveStream } from '../../src/wire/serve.ts'
import { validateChunkMessage } from '../../src/wire/validate.ts'
import type { ChunkAck, ChunkMessage } from '../../src/wire/messages.ts'
import type { WorkQueue } from '../queue/work-queue.ts'
import type { PeerTable } from '../peers/peer-table.ts'
import { BULK_TIMEOUT_MS } from '../../src/wire/constants.ts'
import type { RateLimiter } from '../security/rate-limiter.ts'
import type { RefusalLog } from '../security/refusal-log.ts'
import { RateLimitedError } from '../security/errors.ts'

const log = logger('mdswarm:coordinator:frames')

export interface FramesHandlerDeps {
  readonly queue: WorkQueue
  readonly peers: PeerTable
  readonly signal: AbortSignal
  /** Chunks per node peer (absent: unlimited); over it the stream is reset and the node resends later. */
  readonly bulkRateLimiter?: RateLimiter
  readonly refusals?: RefusalLog
}

export function framesStreamHandler (deps: FramesHandlerDeps) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const peerId = connection.remotePeer.toString()
    await serveStream(stream, {
      validate: (value: unknown) => validateChunkMessage(value),
      onMessage: async (chunk: ChunkMessage): Promise<ChunkAck> => {
        if (deps.bulkRateLimiter !== undefined && !await deps.bulkRateLimiter.take(peerId, deps.signal)) {
          deps.refusals?.note('rate-limited', peerId, `frames of unit ${chunk.unitId}`)
          throw new RateLimitedError('frames', deps.bulkRateLimiter.limit.ratePerSecond)
        }
        deps.peers.noteSeen(peerId)
        const ack = await deps.queue.ingestChunk(peerId, chunk)
        if (ack.type === 'nack') {
          log('nack %s frame %d from %s: %s %s', chunk.unitId, chunk.firstFrame, peerId, ack.code, ack.reason)
          if (ack.code === 'not-holder' || ack.code === 'stale-attempt') deps.refusals?.note(ack.code, peerId, `frames ${chunk.firstFrame}.. of unit ${chunk.unitId} attempt ${chunk.attempt}: ${ack.reason}`)
          else if (ack.code === 'corrupt') deps.refusals?.note('bad-result', peerId, ack.reason)
        }
        return ack
      },
      onInvalid: (err: Error): ChunkAck => ({ type: 'nack', unitId: '?', firstFrame: 0, code: 'bad-request', reason: err.message }),
      onError: (err) => log('frames stream from %s ended: %s', peerId, err.message),
      writeTimeoutMs: BULK_TIMEOUT_MS,
      signal: deps.signal,
    })
  }
}
