/**
 * Kernels of the builtin engine: one ForceKernel per Force of a System.
 *
 * @example
 * const kernels = createKernels(system)
 * const forces = new Float64Array(3 * system.particleCount)
 * const energyByGroup = new Float64Array(FORCE_GROUP_COUNT)
 * for (const kernel of kernels) kernel.compute(positionsNm, box, forces, energyByGroup, ALL_FORCE_GROUPS)
 */
import { UnsupportedForceError } from '../errors.ts'
import type { Force, System } from '../system.ts'
import { HarmonicAngleKernel } from './harmonic-angle.ts'
import { HarmonicBondKernel } from './harmonic-bond.ts'
import { EwaldNonbondedKernel } from './ewald/ewald-nonbonded.ts'
import { GbsaObcKernel } from './gbsa-obc.ts'
import type { ForceKernel } from './kernel.ts'
import { NonbondedKernel } from './nonbonded.ts'
import { PeriodicTorsionKernel } from './periodic-torsion.ts'
import { RBTorsionKernel } from './rb-torsion.ts'

export type { ForceKernel } from './kernel.ts'
export { ALL_FORCE_GROUPS, FORCE_GROUP_COUNT } from './kernel.ts'

/** Options for the kernels of one System. */
export interface KernelOptions {
  /** Threads for the nonbonded kernel: 1, 2 or 'auto' (see force-threads.ts). */
  threads?: number | 'auto'
}

/** The kernel for one force, or null for forces with no energy (CMMotionRemover, handled by DYNAMICS). */
export function createKernel (force: Force, system: System, options: KernelOptions = {}): ForceKernel | null {
  switch (force.type) {
    case 'HarmonicBondForce': return new HarmonicBondKernel(force)
    case 'HarmonicAngleForce': return new HarmonicAngleKernel(force)
    case 'PeriodicTorsionForce': return new PeriodicTorsionKernel(force)
    case 'RBTorsionForce': return new RBTorsionKernel(force)
    case 'NonbondedForce':
      if (force.method === 'Ewald' || force.method === 'PME' || force.method === 'LJPME') return new EwaldNonbondedKernel(force, system, { threads: options.threads })
      return new NonbondedKernel(force, system.particleCount, { threads: options.threads })
    case 'CMMotionRemover': return null
    case 'GBSAOBCForce': return new GbsaObcKernel(force, system.particleCount)
    case 'MonteCarloBarostat': return null
    default: throw new UnsupportedForceError((force as { type: string }).type)
  }
}

/** One kernel per force of the system, in force order; CMMotionRemover gets none. */
export function createKernels (system: System, options: KernelOptions = {}): ForceKernel[] {
  const kernels: ForceKernel[] = []
  for (const force of system.forces) {
    const kernel = createKernel(force, system, options)
    if (kernel !== null) kernels.push(kernel)
  }
  return kernels
}
