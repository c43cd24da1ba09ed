/**
 * Engine worker threads kept warm between units. Starting a worker costs
 * about a second (tsx registration, loading the engine), so a worker whose
 * unit ended normally waits for the next one; a worker whose unit was
 * cancelled or that crashed is never reused. Each unit still has a thread
 * of its own while it runs.
 */
import { Worker } from 'node:worker_threads'

const WORKER_URL = new URL('./unit-worker.mjs', import.meta.url)

export interface WorkerPoolOptions {
  /** Most idle workers kept (usually the node's concurrency). */
  readonly maxIdle: number
  /** Heap limit per worker, MiB; a unit over it fails instead of taking the daemon down. */
  readonly maxHeapMb?: number
}

export class WorkerPool {
  private readonly idle: Worker[] = []
  private readonly options: WorkerPoolOptions
  private closed = false

  constructor (options: WorkerPoolOptions) {
    this.options = options
  }

  /** A new worker thread (not pooled). */
  spawn (): Worker {
    const worker = new Worker(WORKER_URL, this.options.maxHeapMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb } } : {})
    return worker
  }

  /** Starts `count` idle workers ahead of need. */
  prewarm (count = this.options.maxIdle): void {
    while (!this.closed && this.idle.length < Math.min(count, this.options.maxIdle)) this.park(this.spawn())
  }

  /** An idle worker, or a new one. */
  acquire (): Worker {
    const worker = this.idle.pop()
    if (worker !== undefined) {
      worker.removeAllListeners('exit')
      worker.removeAllListeners('error')
      return worker
    }
    return this.spawn()
  }

  /** Hands back a worker whose unit ended normally. */
  release (worker: Worker): void {
    if (this.closed || this.idle.length >= this.options.maxIdle) {
      void worker.terminate()
      return
    }
    this.park(worker)
  }

  private park (worker: Worker): void {
    worker.removeAllListeners('message')
    worker.unref()
    // An idle worker that dies is just forgotten.
    const forget = (): void => {
      const index = this.idle.indexOf(worker)
      if (index >= 0) this.idle.splice(index, 1)
    }
    worker.once('exit', forget)
    worker.on('error', forget)
    this.idle.push(worker)
  }

  async close (): Promise<void> {
    this.closed = true
    const workers = this.idle.splice(0)
    await Promise.allSettled(workers.map(async w => await w.terminate()))
  }
}
