/**
 * OpenMM helpers kept warm between units: starting Python and importing
 * OpenMM costs about a second, more than a short unit's compute. A helper
 * whose engine closed normally waits (unreferenced, so it never keeps the
 * process alive) for the next unit with the same interpreter and
 * environment; one that failed, was killed or is over the limit is ended.
 *
 * @example
 * const pool = new HelperPool({ maxIdle: 2 })
 * const engine = await OpenmmEngine.start(inputs, { platform: 'CPU', pool })
 * await engine.close()   // the helper goes back to the pool
 * await pool.close()
 */
import { HelperProcess, type SpawnHelperOptions } from './helper-process.ts'

export interface HelperPoolOptions {
  /** Most idle helpers kept (usually the node's concurrency). */
  readonly maxIdle: number
}

export class HelperPool {
  private readonly idle: HelperProcess[] = []
  private closed = false

  constructor (private readonly options: HelperPoolOptions) {}

  /** An idle helper for this interpreter and environment, or a new one. */
  acquire (python: string, spawnOptions: SpawnHelperOptions = {}): HelperProcess {
    const key = poolKey(python, spawnOptions)
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const helper = this.idle[i]
      if (helper.key !== key) continue
      this.idle.splice(i, 1)
      if (!helper.healthy) continue
      helper.setReferenced(true)
      return helper
    }
    const helper = HelperProcess.spawn(python, spawnOptions)
    helper.key = key
    return helper
  }

  /** Hands back a helper whose engine ended normally; others are closed. */
  release (helper: HelperProcess): void {
    if (this.closed || !helper.healthy || this.idle.length >= this.options.maxIdle) {
      void helper.close()
      return
    }
    helper.setReferenced(false)
    this.idle.push(helper)
  }

  /** Idle helpers waiting now. */
  get idleCount (): number {
    return this.idle.length
  }

  async close (): Promise<void> {
    this.closed = true
    await Promise.all(this.idle.splice(0).map(async helper => { await helper.close() }))
  }
}

function poolKey (python: string, options: SpawnHelperOptions): string {
  return JSON.stringify([python, options.helperPath ?? '', Object.entries(options.env ?? {}).sort()])
}
