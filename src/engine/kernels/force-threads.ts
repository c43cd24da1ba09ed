/**
 * How many threads the nonbonded kernel uses, and when its helper thread pays.
 *
 * `threads` (an option of NonbondedKernel, ForceEvaluator, Context and
 * Simulation; else the environment variable MDSWARM_FORCE_THREADS):
 *   1       the calling thread only (what a swarm node running one unit per
 *           core should pass);
 *   2       always the calling thread + one helper thread;
 *   'auto'  (default when os.availableParallelism() >= 2) a helper thread
 *           for systems of at least PARALLEL_MIN_ATOMS atoms, used only
 *           while it measurably pays: the kernel times its pair loop with and
 *           without the helper and keeps the faster, probing the other way
 *           again now and then (a machine whose cores are busy with other
 *           work makes the second thread a loss).
 * Results are bit-for-bit the same with one or two threads (the work is
 * always cut into the same two parts, summed in the same order), so the
 * choice never changes a trajectory.
 */
import { availableParallelism } from 'node:os'

export type ForceThreads = 1 | 2 | 'auto'

/** Below this many atoms no helper thread is started in 'auto' mode. */
export const PARALLEL_MIN_ATOMS = 1000

/** The thread setting from an option, else MDSWARM_FORCE_THREADS, else 'auto' on machines with 2+ cores. */
export function resolveForceThreads (requested?: number | 'auto'): ForceThreads {
  const fromEnvironment = process.env.MDSWARM_FORCE_THREADS
  const value = requested ?? (fromEnvironment === undefined || fromEnvironment === '' ? undefined : fromEnvironment === 'auto' ? 'auto' : Number(fromEnvironment))
  if (value === 'auto') return availableParallelism() >= 2 ? 'auto' : 1
  if (value === undefined || !Number.isInteger(value) || value < 1) return availableParallelism() >= 2 ? 'auto' : 1
  return value >= 2 ? 2 : 1
}

/** Evaluations timed per way when probing. */
const PROBE_EVALUATIONS = 16
/** Evaluations run the chosen way before probing the other way again. */
const RUN_EVALUATIONS = 800

/**
 * Chooses, evaluation by evaluation, whether to use the helper thread, from
 * the wall time of the part that runs in parallel. Call `useHelper()` before
 * and `record(ms)` after each timed part.
 */
export class HelperChoice {
  private readonly mode: ForceThreads
  /** In 'auto': 'probe' phases alternate with 'run' phases. */
  private phase: 'probe-two' | 'probe-one' | 'run' = 'probe-two'
  private left = PROBE_EVALUATIONS
  /** Timed evaluations (ms) of the current probe, with and without the helper; compared by median. */
  private readonly timesTwo = new Float64Array(PROBE_EVALUATIONS)
  private countTwo = 0
  private readonly timesOne = new Float64Array(PROBE_EVALUATIONS)
  private countOne = 0
  private chooseTwo = true
  private current = true

  constructor (mode: ForceThreads) {
    this.mode = mode
  }

  /** Whether the next evaluation should use the helper thread. */
  useHelper (): boolean {
    if (this.mode !== 'auto') return this.mode === 2
    this.current = this.phase === 'probe-two' ? true : this.phase === 'probe-one' ? false : this.chooseTwo
    return this.current
  }

  /** Wall time (ms) of the parallel part of the evaluation just done, in the way `useHelper()` said. */
  record (ms: number): void {
    if (this.mode !== 'auto') return
    // the first evaluations of a probe warm up (worker JIT, caches): only the second half counts
    if (this.phase !== 'run' && this.left <= PROBE_EVALUATIONS / 2) {
      if (this.current) this.timesTwo[this.countTwo++] = ms
      else this.timesOne[this.countOne++] = ms
    }
    if (--this.left > 0) return
    if (this.phase === 'probe-two') {
      this.phase = 'probe-one'
      this.left = PROBE_EVALUATIONS
    } else if (this.phase === 'probe-one') {
      this.chooseTwo = median(this.timesTwo, this.countTwo) < median(this.timesOne, this.countOne)
      this.phase = 'run'
      this.left = RUN_EVALUATIONS
    } else {
      this.countTwo = 0; this.countOne = 0
      this.phase = 'probe-two'
      this.left = PROBE_EVALUATIONS
    }
  }
}

/** Median of the first `count` values (sorts them in place). */
function median (values: Float64Array, count: number): number {
  if (count === 0) return Infinity
  const sorted = values.subarray(0, count).sort()
  return count % 2 === 1 ? sorted[count >> 1] : 0.5 * (sorted[count / 2 - 1] + sorted[count / 2])
}
