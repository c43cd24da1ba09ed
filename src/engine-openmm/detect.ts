/**
 * Finds a usable OpenMM on this machine: the first candidate interpreter
 * (interpreter.ts) whose helper imports OpenMM, with OpenMM's version and
 * the platforms that actually created a context (a CUDA platform without a
 * working GPU does not count).
 *
 * @example
 * const openmm = detectOpenmm({})   // { python: '/usr/bin/python3', openmmVersion: '7.7', platforms: ['CPU', 'Reference'], failed: {} } or null
 */
import { spawnSync } from 'node:child_process'
import { MessageDecoder } from './protocol/codec.ts'
import { decodeJson, encodeBare, MessageType, type DetectedInfo } from './protocol/messages.ts'
import { HELPER_PATH, interpreterCandidates, rememberImportable, type InterpreterOptions } from './interpreter.ts'

/** Longest one interpreter may take to import OpenMM and try its platforms, ms. */
export const DETECT_TIMEOUT_MS = 60_000

export interface OpenmmDetection {
  readonly python: string
  readonly openmmVersion: string
  /** Platforms that created a context, fastest first. */
  readonly platforms: readonly string[]
  /** Platforms OpenMM lists that failed, with OpenMM's message (e.g. CUDA without a driver). */
  readonly failed: Readonly<Record<string, string>>
  /** Force types (XML type names) and System features this OpenMM runs, for matching. */
  readonly forceTypes: readonly string[]
}

/**
 * Features inside a System that the builtin engine names as requirements of
 * their own (src/engine/xml/force-xml.ts, system-xml.ts); OpenMM runs them all.
 */
export const OPENMM_SYSTEM_FEATURES: readonly string[] = [
  'NonbondedForce (Ewald)', 'NonbondedForce (PME)', 'NonbondedForce (LJPME)',
  'NonbondedForce (includeDirectSpace=0)', 'NonbondedForce (exceptionsUsePeriodic=1)',
  'NonbondedForce (GlobalParameters)', 'NonbondedForce (ParticleOffsets)', 'NonbondedForce (ExceptionOffsets)',
  'virtual sites (TwoParticleAverageSite)', 'virtual sites (ThreeParticleAverageSite)',
  'virtual sites (OutOfPlaneSite)', 'virtual sites (LocalCoordinatesSite)',
]

export interface DetectOpenmmOptions extends InterpreterOptions {
  readonly timeoutMs?: number
}

/** The first working OpenMM among the candidates, or null when none imports it. Synchronous (runs once at start-up). */
export function detectOpenmm (options: DetectOpenmmOptions = {}): OpenmmDetection | null {
  const request = new Uint8Array([...encodeBare(MessageType.Detect), ...encodeBare(MessageType.Quit)])
  for (const python of interpreterCandidates(options)) {
    const result = spawnSync(python, ['-u', HELPER_PATH], {
      input: request,
      timeout: options.timeoutMs ?? DETECT_TIMEOUT_MS,
      env: { ...(options.env ?? process.env), PYTHONDONTWRITEBYTECODE: '1' },
      maxBuffer: 1 << 20,
    })
    if (result.error !== undefined || result.stdout === null) continue
    try {
      const messages = new MessageDecoder(1 << 20).push(new Uint8Array(result.stdout))
      const detected = messages.find(m => m.type === MessageType.Detected)
      if (detected === undefined) continue
      const info = decodeJson<DetectedInfo>(detected, MessageType.Detected, 'DETECTED')
      rememberImportable(python)
      const forceTypes = [...new Set([...(info.forceTypes ?? []).map(String), ...OPENMM_SYSTEM_FEATURES])].sort()
      return { python, openmmVersion: String(info.openmmVersion), platforms: info.platforms.map(String), failed: info.failed ?? {}, forceTypes }
    } catch {
      continue
    }
  }
  return null
}
