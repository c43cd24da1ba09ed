/**
 * Whether a gossip offer is worth a claim: the node has an engine the unit
 * accepts, and that engine supports every force type of the unit's System.
 * The coordinator matches again on claim; this only avoids useless claims.
 */
import type { Capabilities, OfferMessage, Requirements } from '../src/wire/messages.ts'

export function requirementsFit (requirements: Requirements, capabilities: Capabilities): boolean {
  const engines = requirements.engine === 'any' ? Object.keys(capabilities.engines) : [requirements.engine]
  return engines.some(name => {
    const engine = capabilities.engines[name]
    if (engine === undefined) return false
    if (requirements.platform !== undefined && !engine.platforms.includes(requirements.platform)) return false
    if (requirements.gpu === true && capabilities.gpus.length === 0) return false
    return requirements.forceTypes.every(force => engine.forceTypes.includes(force))
  })
}

export function offerFits (offer: OfferMessage, capabilities: Capabilities): boolean {
  return requirementsFit(offer.requirements, capabilities)
}
