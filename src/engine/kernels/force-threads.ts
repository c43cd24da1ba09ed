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
 *           while it measurably pays: after a warm-up the kernel times its
 *           pair loop with and without the helper and keeps the helper
 *           unless one thread is clearly faster, probing the other way again
 *           now and then (a machine whose cores are busy with other work
 *           makes the second thread a loss).
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

/** Evaluations run with the helper before the first probe (JIT warm-up on both threads; the first probe would otherwise time cold code). */
const WARM_UP_EVALUATIONS = 32
/** Evaluations timed per way when probing. */
const PROBE_EVALUATIONS = 16
/**
 * The helper is given up only when one thread is clearly faster (its time below this fraction of the time
 * with the helper): on two free cores the helper pays, and a probe's few samples are noisy.
 */
const ONE_THREAD_MARGIN = 0.9
/** Evaluations run the chosen way before probing the other way again. */
const RUN_EVALUATIONS = 800

/**
 * Chooses, evaluation by evaluation, whether to use the helper thread, from
 * the wall time of the part that runs in parallel. Call `useHelper()` before
 * and `record(ms)` after each timed part.
 */
export class HelperChoice {
  private readonly mode: ForceThreads
  /** In 'auto': after a warm-up, 'probe' phases alternate with 'run' phases. */
  private phase: 'warm-up' | 'probe-two' | 'probe-one' | 'run' = 'warm-up'
  private left = WARM_UP_EVALUATIONS
  /**
   * Timed evaluations (ms) of the current probe, with and without the helper; compared by their lower
   * quartiles (other programs on the machine only ever add time, so the faster samples tell the two ways apart).
   */
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
    this.current = this.phase === 'probe-one' ? false : this.phase === 'run' ? this.chooseTwo : true
    return this.current
  }

  /** Wall time (ms) of the parallel part of the evaluation just done, in the way `useHelper()` said. */
  record (ms: number): void {
    if (this.mode !== 'auto') return
    // the first evaluations of a probe warm up (worker JIT, caches): only the second half counts
    if ((this.phase === 'probe-two' || this.phase === 'probe-one') && this.left <= PROBE_EVALUATIONS / 2) {
      if (this.current) this.timesTwo[this.countTwo++] = ms
      else this.timesOne[this.countOne++] = ms
    }
    if (--this.left > 0) return
    if (this.phase === 'warm-up') {
      this.phase = 'probe-two'
      this.left = PROBE_EVALUATIONS
    } else if (this.phase === 'probe-two') {
      this.phase = 'probe-one'
      this.left = PROBE_EVALUATIONS
    } else if (this.phase === 'probe-one') {
      this.chooseTwo = !(lowerQuartile(this.timesOne, this.countOne) < ONE_THREAD_MARGIN * lowerQuartile(this.timesTwo, this.countTwo))
      this.phase = 'run'
      this.left = RUN_EVALUATIONS
    } else {
      this.countTwo = 0; this.countOne = 0
      this.phase = 'probe-two'
      this.left = PROBE_EVALUATIONS
    }
  }
}

/** Lower quartile of the first `count` values (sorts them in place). */
function lowerQuartile (values: Float64Array, count: number): number {
  if (count === 0) return Infinity
  return values.subarray(0, count).sort()[(count - 1) >> 2]
}
