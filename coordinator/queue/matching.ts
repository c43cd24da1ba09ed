/**
 * Matching a unit's requirements against what a node can run, with reasons a
 * chemist can act on ("needs CUDA: 0 of 3 nodes have it").
 */
import type { Capabilities, Requirements } from '../../src/wire/messages.ts'

type EngineCaps = Capabilities['engines'][string]

function enginesToTry (req: Requirements, caps: Capabilities): Array<[string, EngineCaps]> {
  const all = Object.entries(caps.engines ?? {})
  return req.engine === 'any' ? all : all.filter(([name]) => name === req.engine)
}

function missingForces (req: Requirements, engine: EngineCaps): string[] {
  const supported = new Set(engine.forceTypes)
  return req.forceTypes.filter((force) => !supported.has(force))
}

function engineFits (req: Requirements, caps: Capabilities, engine: EngineCaps): string | null {
  if (req.platform !== undefined && !engine.platforms.includes(req.platform)) return `needs ${req.platform}`
  if (req.gpu === true && caps.gpus.length === 0) return 'needs a GPU'
  const missing = missingForces(req, engine)
  if (missing.length > 0) return `needs ${missing.join(', ')}`
  return null
}

/** Null when the node can run the unit; otherwise the first unmet requirement. */
export function unmetRequirement (req: Requirements, caps: Capabilities): string | null {
  const candidates = enginesToTry(req, caps)
  if (candidates.length === 0) return req.engine === 'any' ? 'the node reports no engines' : `needs the ${req.engine} engine`
  let firstReason: string | null = null
  for (const [, engine] of candidates) {
    const reason = engineFits(req, caps, engine)
    if (reason === null) return null
    firstReason ??= reason
  }
  return firstReason
}

function nodes (n: number): string {
  return n === 1 ? '1 node' : `${n} nodes`
}

/**
 * Why no node of `fleet` can run a unit, criterion by criterion; null when at
 * least one node can.
 */
export function explainUnmatched (req: Requirements, fleet: readonly Capabilities[]): string | null {
  if (fleet.length === 0) return 'no nodes are connected to this coordinator'
  if (fleet.some((caps) => unmetRequirement(req, caps) === null)) return null
  const total = fleet.length
  const count = (predicate: (caps: Capabilities) => boolean): number => fleet.filter(predicate).length
  if (req.engine !== 'any') {
    const have = count((caps) => caps.engines?.[req.engine] !== undefined)
    if (have === 0) return `needs the ${req.engine} engine: 0 of ${nodes(total)} have it`
  }
  if (req.platform !== undefined) {
    const platform = req.platform
    const have = count((caps) => enginesToTry(req, caps).some(([, e]) => e.platforms.includes(platform)))
    if (have === 0) return `needs ${platform}: 0 of ${nodes(total)} have it`
  }
  if (req.gpu === true) {
    const have = count((caps) => caps.gpus.length > 0)
    if (have === 0) return `needs a GPU: 0 of ${nodes(total)} have one`
  }
  for (const force of req.forceTypes) {
    const have = count((caps) => enginesToTry(req, caps).some(([, e]) => e.forceTypes.includes(force)))
    if (have === 0) return `needs ${force}: 0 of ${nodes(total)} support it`
  }
  const reasons = fleet.map((caps) => unmetRequirement(req, caps)).filter((r): r is string => r !== null)
  return `no single node meets all requirements (${[...new Set(reasons)].join('; ')})`
}
