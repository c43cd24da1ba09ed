/**
 * Lets a background loop sleep until either a timeout passes or someone has
 * news for it (`wake()`). A wake that arrives while the loop is busy is kept,
 * so the next `sleep` returns at once.
 */
export class WakeSignal {
  private pending = false
  private resolveSleep: (() => void) | null = null
  private timer: NodeJS.Timeout | null = null

  wake (): void {
    if (this.resolveSleep !== null) {
      this.finishSleep()
    } else {
      this.pending = true
    }
  }

  /** Resolves after `ms` or on the next wake, whichever comes first. */
  async sleep (ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false
      return
    }
    await new Promise<void>(resolve => {
      this.resolveSleep = resolve
      this.timer = setTimeout(() => { this.finishSleep() }, ms)
    })
  }

  private finishSleep (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    const resolve = this.resolveSleep
    this.resolveSleep = null
    this.pending = false
    resolve?.()
  }
}
