/**
 * What both engines' `mdswarm-node run` need while stepping: an
 * interruption signal fired by SIGINT/SIGTERM, and a progress bar on stderr
 * when it is a terminal.
 */
import cliProgress from 'cli-progress'

export interface RunInterruption {
  /** Aborted (with the signal's name as reason) on SIGINT or SIGTERM. */
  readonly signal: AbortSignal
  /** Removes the signal handlers. */
  dispose (): void
}

export function interruptOnSignals (): RunInterruption {
  const interruption = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => { interruption.abort(signal) }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: interruption.signal,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

/** Steps done, percentage, ns/day and ETA on stderr; null when stderr is not a terminal. */
export function createStepProgressBar (): cliProgress.SingleBar | null {
  return process.stderr.isTTY
    ? new cliProgress.SingleBar({
      stream: process.stderr,
      format: ' {bar} {percentage}% | step {value}/{total} | {nsPerDay} ns/day | ETA {eta_formatted}',
      hideCursor: true,
    }, cliProgress.Presets.shades_classic)
    : null
}
