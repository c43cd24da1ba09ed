/**
 * What this machine can run, as advertised to coordinators on claim and in
 * heartbeats: CPU cores, memory, GPUs (nvidia-smi), and the engines with the
 * force types each supports: `builtin` always, `openmm` when an interpreter
 * imports OpenMM (with its version and the platforms that created a context).
 *
 * @example
 * const caps = detectCapabilities({ concurrency: 2 })
 * caps.engines.builtin.forceTypes // ['HarmonicBondForce', ...]
 * caps.engines.openmm?.platforms  // ['CUDA', 'CPU', 'Reference']
 */
import os from 'node:os'
import { readFileSync } from 'node:fs'
import type { Capabilities } from '../src/wire/messages.ts'
import { SUPPORTED_FORCE_TYPES } from '../src/engine/system.ts'
import { detectOpenmm, type OpenmmDetection } from '../src/engine-openmm/detect.ts'
import { detectNvidiaGpus } from './gpu-detect.ts'

/** Set to `off` to skip OpenMM detection (the node then runs only the builtin engine). */
export const OPENMM_DETECTION_ENV_VAR = 'MDSWARM_OPENMM'
/** Platforms that run on a GPU: with one of them, a node runs one unit per GPU by default. */
export const GPU_PLATFORMS: readonly string[] = ['CUDA', 'OpenCL', 'HIP']

/** Version string of the builtin engine (the package version). */
function builtinEngineVersion (): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

export interface DetectOptions {
  /** Units this node runs at once; default: one per GPU when OpenMM has a GPU platform, else one per core, at least 1. */
  concurrency?: number
  /** Where to look for OpenMM (`python`: an explicit interpreter), or false to skip it. Default: discovery, unless MDSWARM_OPENMM=off. */
  openmm?: false | { readonly python?: string }
  /** Environment for discovery (PATH for nvidia-smi and python3, CONDA_PREFIX, MDSWARM_PYTHON); default process.env. */
  env?: NodeJS.ProcessEnv
}

/** Capabilities plus what the runner needs to start OpenMM (the interpreter found). */
export interface NodeEngines {
  readonly capabilities: Capabilities
  readonly openmm: OpenmmDetection | null
}

/** One unit per GPU when OpenMM can use the GPUs, else one per CPU core. */
export function defaultConcurrency (openmmPlatforms: readonly string[], gpuCount: number, cpuCores: number): number {
  const gpuUnits = openmmPlatforms.some(p => GPU_PLATFORMS.includes(p)) ? gpuCount : 0
  return Math.max(1, gpuUnits > 0 ? gpuUnits : cpuCores)
}

export function detectCapabilities (options: DetectOptions = {}): Capabilities {
  return detectNodeEngines(options).capabilities
}

export function detectNodeEngines (options: DetectOptions = {}): NodeEngines {
  const env = options.env ?? process.env
  const cpuCores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length)
  const skipOpenmm = options.openmm === false || (options.openmm === undefined && env[OPENMM_DETECTION_ENV_VAR]?.toLowerCase() === 'off')
  const openmm = skipOpenmm ? null : detectOpenmm({ python: options.openmm === false ? undefined : options.openmm?.python, env })
  const gpus = detectNvidiaGpus(env)
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? defaultConcurrency(openmm?.platforms ?? [], gpus.length, cpuCores)))
  const engines: Record<string, Capabilities['engines'][string]> = {
    builtin: {
      version: builtinEngineVersion(),
      platforms: ['TypeScript'],
      forceTypes: [...SUPPORTED_FORCE_TYPES].sort()
    }
  }
  if (openmm !== null) {
    engines.openmm = { version: openmm.openmmVersion, platforms: [...openmm.platforms], forceTypes: [...openmm.forceTypes] }
  }
  return {
    capabilities: {
      engines,
      concurrency,
      cpuCores,
      memoryBytes: os.totalmem(),
      gpus
    },
    openmm
  }
}
