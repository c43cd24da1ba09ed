/**
 * CBOR messages over gossipsub topics, size-bounded and validated on both
 * ends. Gossip is a hint (offers, heartbeats): a lost message is normal, and
 * anything large travels over streams instead.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Message } from '@libp2p/gossipsub'
import { encodeMessage, decodeMessage } from '../wire/cbor.ts'
import { GOSSIP_MAX_MESSAGE_BYTES } from '../wire/constants.ts'
import { MessageTooLargeError, WireFormatError } from '../wire/errors.ts'
import type { Validator } from '../wire/framing.ts'
import type { MdswarmPeer } from './create-peer.ts'

/** Publishes `message` on `topic`; returns how many peers it was sent to (0 is not an error). */
export async function publishGossip (peer: MdswarmPeer, topic: string, message: unknown, maxMessageBytes = GOSSIP_MAX_MESSAGE_BYTES): Promise<number> {
  const data = encodeMessage(message)
  if (data.byteLength > maxMessageBytes) throw new MessageTooLargeError(data.byteLength, maxMessageBytes, 'gossip message')
  const result = await peer.services.pubsub.publish(topic, data)
  return result.recipients.length
}

export interface GossipSubscriptionOptions<T> {
  validate: Validator<T>
  /** Called for each valid message with the signing peer's ID string. */
  onMessage: (message: T, fromPeerId: string) => void
  /** Called for each dropped message (malformed, oversized, unsigned). */
  onInvalid?: (err: Error, fromPeerId: string | null) => void
  /**
   * Signers whose messages count (e.g. a node's trusted coordinators). A
   * valid message from anyone else is neither delivered nor forwarded (the
   * signer is not penalised: it may be another project's coordinator) and
   * goes to `onUntrusted`. Default: every signer.
   */
  acceptFrom?: (fromPeerId: string) => boolean
  onUntrusted?: (message: T, fromPeerId: string) => void
  maxMessageBytes?: number
}

function decodeGossip<T> (message: Message, validate: Validator<T>, maxMessageBytes: number): T {
  if (message.data.byteLength > maxMessageBytes) throw new MessageTooLargeError(message.data.byteLength, maxMessageBytes, 'gossip message')
  return validate(decodeMessage(message.data))
}

/**
 * Subscribes to `topic`; invalid messages are rejected by a topic validator
 * (not forwarded, their sender's score drops) and never reach `onMessage`.
 * Returns a function that unsubscribes.
 */
export function subscribeGossip<T> (peer: MdswarmPeer, topic: string, options: GossipSubscriptionOptions<T>): () => void {
  const pubsub = peer.services.pubsub
  const maxMessageBytes = options.maxMessageBytes ?? GOSSIP_MAX_MESSAGE_BYTES
  pubsub.topicValidators.set(topic, (_from, message) => {
    try {
      const decoded = decodeGossip(message, options.validate, maxMessageBytes)
      // StrictSign: gossipsub drops unsigned messages before validators run; check again all the same.
      if (message.type !== 'signed') throw new WireFormatError('gossip message is not signed')
      const signer = message.from.toString()
      if (options.acceptFrom !== undefined && !options.acceptFrom(signer)) {
        options.onUntrusted?.(decoded, signer)
        return TopicValidatorResult.Ignore
      }
      return TopicValidatorResult.Accept
    } catch (err) {
      options.onInvalid?.(err as Error, message.type === 'signed' ? message.from.toString() : null)
      return TopicValidatorResult.Reject
    }
  })
  const listener = (event: CustomEvent<Message>): void => {
    const message = event.detail
    if (message.topic !== topic || message.type !== 'signed') return
    if (options.acceptFrom !== undefined && !options.acceptFrom(message.from.toString())) return
    let decoded: T
    try {
      decoded = decodeGossip(message, options.validate, maxMessageBytes)
    } catch {
      return
    }
    options.onMessage(decoded, message.from.toString())
  }
  pubsub.addEventListener('message', listener)
  pubsub.subscribe(topic)
  return () => {
    pubsub.removeEventListener('message', listener)
    pubsub.topicValidators.delete(topic)
    pubsub.unsubscribe(topic)
  }
}
