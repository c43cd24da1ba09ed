/**
 * What this machine can run, as advertised to coordinators on claim and in
 * heartbeats: CPU cores, memory, and the engines with the force types each
 * supports. Today only the builtin engine exists; the OpenMM bridge adds an
 * `openmm` entry later.
 *
 * @example
 * const caps = detectCapabilities({ concurrency: 2 })
 * caps.engines.builtin.forceTypes // ['HarmonicBondForce', ...]
 */
import os from 'node:os'
import { readFileSync } from 'node:fs'
import type { Capabilities } from '../src/wire/messages.ts'
import { SUPPORTED_FORCE_TYPES } from '../src/engine/system.ts'

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
  /** Units this node runs at once; default: one per core, at least 1. */
  concurrency?: number
}

export function detectCapabilities (options: DetectOptions = {}): Capabilities {
  const cpuCores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length)
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? cpuCores))
  return {
    engines: {
      builtin: {
        version: builtinEngineVersion(),
        platforms: ['TypeScript'],
        forceTypes: [...SUPPORTED_FORCE_TYPES].sort()
      }
    },
    concurrency,
    cpuCores,
    memoryBytes: os.totalmem(),
    gpus: []
  }
}
