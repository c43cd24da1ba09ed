/**
 * Which engine runs a unit on this node. A unit that requires an engine
 * gets it; an `any` unit runs on OpenMM when it needs a platform, a GPU or
 * a force the builtin engine lacks, when the node prefers OpenMM, or when
 * the node has a GPU that OpenMM can use ("a node with a GPU runs units on
 * it"); otherwise on the builtin engine.
 *
 * @example
 * chooseEngine({ engine: 'any', forceTypes: ['CMAPTorsionForce'] }, caps, {})  // { name: 'openmm' }
 */
import { SUPPORTED_FORCE_TYPES } from '../../src/engine/system.ts'
import type { Capabilities, Requirements } from '../../src/wire/messages.ts'
import type { UnitEngine } from './protocol.ts'

/** Platforms that run on a GPU (kept in step with node/capabilities.ts). */
const GPU_PLATFORMS = new Set(['CUDA', 'OpenCL', 'HIP'])

export interface EnginePreferences {
  /** The engine for units that accept any (default: builtin unless OpenMM has a GPU here). */
  readonly preferred?: 'builtin' | 'openmm'
  /** The interpreter with OpenMM (default: discovery). */
  readonly python?: string
  /** OpenMM platform when the unit names none (default: the fastest). */
  readonly platform?: string
  /** Platform properties (CudaPrecision, OpenCLPrecision, Threads, DeviceIndex, ...). */
  readonly properties?: Readonly<Record<string, string>>
}

export function chooseEngine (requirements: Requirements, capabilities: Capabilities | undefined, preferences: EnginePreferences = {}): UnitEngine {
  const openmmCaps = capabilities?.engines.openmm
  const useOpenmm = requirements.engine === 'openmm' || (requirements.engine === 'any' && (
    requirements.platform !== undefined ||
    requirements.gpu === true ||
    requirements.forceTypes.some(force => !SUPPORTED_FORCE_TYPES.has(force)) ||
    preferences.preferred === 'openmm' ||
    (preferences.preferred === undefined && openmmCaps !== undefined && (capabilities?.gpus.length ?? 0) > 0 && openmmCaps.platforms.some(p => GPU_PLATFORMS.has(p)))
  ))
  if (!useOpenmm) return { name: 'builtin' }
  const platform = requirements.platform ?? preferences.platform ?? (requirements.gpu === true ? openmmCaps?.platforms.find(p => GPU_PLATFORMS.has(p)) : undefined)
  const properties: Record<string, string> = { ...preferences.properties }
  const mayRunOn = (name: string): boolean => platform === name || (platform === undefined && openmmCaps?.platforms.includes(name) === true)
  // GPUs in mixed precision unless told otherwise (the seed's design for CUDA; OpenCL alike). Without a named
  // platform the helper passes each platform only the properties it knows.
  if (mayRunOn('CUDA') && properties.CudaPrecision === undefined) properties.CudaPrecision = 'mixed'
  if (mayRunOn('OpenCL') && properties.OpenCLPrecision === undefined) properties.OpenCLPrecision = 'mixed'
  return {
    name: 'openmm',
    ...(preferences.python !== undefined ? { python: preferences.python } : {}),
    ...(platform !== undefined ? { platform } : {}),
    properties,
  }
}

/** Whether `engine` may run on a GPU of this node (so it needs a device of its own). */
export function usesGpu (engine: UnitEngine, capabilities: Capabilities | undefined): boolean {
  if (engine.name !== 'openmm' || (capabilities?.gpus.length ?? 0) === 0) return false
  if (engine.platform !== undefined) return GPU_PLATFORMS.has(engine.platform)
  return capabilities?.engines.openmm?.platforms.some(p => GPU_PLATFORMS.has(p)) ?? false
}

/**
 * Hands each running GPU unit a device of its own (DeviceIndex), lowest
 * free first; when all are taken (concurrency above the GPU count), units
 * share, round robin.
 */
export class GpuSlots {
  private readonly busy: number[]
  private next = 0

  constructor (gpuCount: number) {
    this.busy = new Array<number>(Math.max(0, gpuCount)).fill(0)
  }

  acquire (): number {
    const free = this.busy.indexOf(0)
    const index = free >= 0 ? free : this.next++ % this.busy.length
    this.busy[index]++
    return index
  }

  release (index: number): void {
    if (this.busy[index] > 0) this.busy[index]--
  }
}
