/**
 * Evaluates all forces of a System: the kernels made once by `createKernels`,
 * run for the selected force groups.
 *
 * @example
 * const evaluator = new ForceEvaluator(system)
 * const forces = new Float64Array(3 * system.particleCount)   // kJ/mol/nm
 * const energyByGroup = new Float64Array(32)                  // kJ/mol
 * const energy = evaluator.evaluate(positionsNm, box, forces, energyByGroup)
 *
 * Threads: `new ForceEvaluator(system, { threads: 1 })` keeps all work on the
 * calling thread (what a swarm node running one unit per core wants);
 * 2 adds a helper thread for the nonbonded pair loop and neighbour list;
 * 'auto' (the default on machines with 2+ cores, or MDSWARM_FORCE_THREADS)
 * uses the helper for systems of 1,000+ atoms only while it measurably pays.
 * Results are bit-for-bit the same either way. Call close() when done with
 * an evaluator that may hold a helper thread.
 */
import { createKernels, type KernelOptions } from './kernels/index.ts'
import { ALL_FORCE_GROUPS, FORCE_GROUP_COUNT, type ForceKernel } from './kernels/kernel.ts'
import type { BoxVectors, System } from './system.ts'

export class ForceEvaluator {
  readonly system: System
  readonly kernels: readonly ForceKernel[]

  constructor (system: System, options: KernelOptions = {}) {
    this.system = system
    this.kernels = createKernels(system, options)
  }

  /** Zeroes forcesOut (3N) and energyByGroup (32), computes all kernels for groupsMask. Returns total potential energy kJ/mol of the selected groups. */
  evaluate (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array, energyByGroup: Float64Array,
    groupsMask: number = ALL_FORCE_GROUPS): number {
    forcesOut.fill(0)
    energyByGroup.fill(0)
    for (const kernel of this.kernels) kernel.compute(positionsNm, box, forcesOut, energyByGroup, groupsMask)
    let total = 0
    for (let group = 0; group < FORCE_GROUP_COUNT; group++) {
      if ((groupsMask & (1 << group)) !== 0) total += energyByGroup[group]
    }
    return total
  }

  /** Makes every kernel with a neighbour list rebuild it at the next evaluation (see NeighborList.restart). */
  restartNeighborLists (): void {
    for (const kernel of this.kernels) kernel.restartNeighborList?.()
  }

  /** Stops helper threads some kernels may hold (see MDSWARM_FORCE_THREADS); the evaluator keeps working on one thread. */
  close (): void {
    for (const kernel of this.kernels) {
      const closable = kernel as ForceKernel & { close?: () => void }
      if (typeof closable.close === 'function') closable.close()
    }
  }
}
