/**
 * `mdswarm wait JOB... | --all [--json]`: waits until the jobs are done,
 * failed or cancelled. On a terminal: progress bars (frames, ns/day, ETA);
 * otherwise one line per finished job. Exits 1 if any job failed or was
 * cancelled. `--all` waits for every job not yet finished.
 */
import cliProgress from 'cli-progress'
import { UsageError } from '../../../src/cli/run-command.ts'
import { TERMINAL_JOB_STATES, type JobSummary } from '../../../src/client/control-messages.ts'
import { CLIENT_FLAGS, parseFlags } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'
import { duration } from '../format.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.wait

const USAGE = 'mdswarm wait JOB... | --all [--coordinator MULTIADDR] [--home DIR] [--swarm-key FILE] [--json]'

/** One bar per job up to this many; above, a single bar for the whole ensemble. */
const MAX_BARS = 12

/** Rate of one job (or the ensemble) since the wait began. */
class RateMeter {
  private start: { at: number, steps: number, frames: number } | null = null
  update (steps: number, frames: number, now = Date.now()): { stepsPerSecond: number, framesPerSecond: number } {
    if (this.start === null) this.start = { at: now, steps, frames }
    const seconds = (now - this.start.at) / 1000
    if (seconds < 1) return { stepsPerSecond: 0, framesPerSecond: 0 }
    return { stepsPerSecond: (steps - this.start.steps) / seconds, framesPerSecond: (frames - this.start.frames) / seconds }
  }
}

function nsPerDay (stepsPerSecond: number, stepSizePs: number): string {
  return ((stepsPerSecond * stepSizePs * 86_400) / 1000).toFixed(2)
}

function eta (remaining: number, perSecond: number): string {
  return perSecond > 0 ? duration(remaining / perSecond) : '--:--'
}

class ProgressView {
  private readonly multibar = new cliProgress.MultiBar({
    format: '{name} |{bar}| {value}/{total} frames | {nsday} ns/day | ETA {timeLeft} | {state}',
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
  }, cliProgress.Presets.shades_classic)

  private readonly bars = new Map<string, cliProgress.SingleBar>()
  private readonly meters = new Map<string, RateMeter>()
  private readonly jobs = new Map<string, JobSummary>()
  private readonly perJob: boolean
  private ensembleBar: cliProgress.SingleBar | null = null

  constructor (jobIds: string[]) {
    this.perJob = jobIds.length <= MAX_BARS
  }

  update (job: JobSummary): void {
    this.jobs.set(job.id, job)
    if (this.perJob) {
      const meter = this.meters.get(job.id) ?? new RateMeter()
      this.meters.set(job.id, meter)
      const rate = meter.update(job.stepsDone, job.framesStored)
      const payload = { name: job.name.slice(0, 16).padEnd(16), nsday: nsPerDay(rate.stepsPerSecond, job.stepSizePs), timeLeft: eta(job.totalFrames - job.framesStored, rate.framesPerSecond), state: job.waitingReason !== undefined ? `waiting: ${job.waitingReason}` : job.state }
      const bar = this.bars.get(job.id)
      if (bar === undefined) this.bars.set(job.id, this.multibar.create(job.totalFrames, job.framesStored, payload))
      else bar.update(job.framesStored, payload)
      return
    }
    const all = [...this.jobs.values()]
    const frames = all.reduce((sum, j) => sum + j.framesStored, 0)
    const total = all.reduce((sum, j) => sum + j.totalFrames, 0)
    const steps = all.reduce((sum, j) => sum + j.stepsDone, 0)
    const meter = this.meters.get('*') ?? new RateMeter()
    this.meters.set('*', meter)
    const rate = meter.update(steps, frames)
    const finished = all.filter((j) => TERMINAL_JOB_STATES.has(j.state)).length
    const failed = all.filter((j) => j.state === 'failed').length
    const payload = { name: `${all.length} jobs`.padEnd(16), nsday: nsPerDay(rate.stepsPerSecond, job.stepSizePs), timeLeft: eta(total - frames, rate.framesPerSecond), state: `${finished} finished${failed > 0 ? `, ${failed} failed` : ''}` }
    if (this.ensembleBar === null) this.ensembleBar = this.multibar.create(total, frames, payload)
    else { this.ensembleBar.setTotal(total); this.ensembleBar.update(frames, payload) }
  }

  stop (): void {
    this.multibar.stop()
  }
}

export async function run (args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS, all: { type: 'boolean' } }, USAGE, true)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
  if ((values.all === true) === (positionals.length > 0)) throw new UsageError(`give job ids or --all (not both).\nusage: ${USAGE}`)
  return await withClient(values, async (client) => {
    const ids = values.all === true ? (await client.jobs()).filter((j) => !TERMINAL_JOB_STATES.has(j.state)).map((j) => j.id) : positionals
    if (ids.length === 0) {
      if (values.json === true) printJson({ jobs: [] })
      else process.stdout.write('no unfinished jobs\n')
      return 0
    }
    const interactive = process.stderr.isTTY === true && values.json !== true
    const view = interactive ? new ProgressView(ids) : null
    client.on('progress', (job) => view?.update(job))
    if (!interactive && values.json !== true) {
      const line = (job: JobSummary): void => {
        const detail = job.state === 'failed' ? ` — ${job.failure?.errorName ?? ''}: ${job.failure?.reason ?? ''}` : job.state === 'cancelled' ? ` — ${job.cancelReason ?? ''}` : ` — ${job.framesStored} frames`
        process.stdout.write(`${job.id}  ${job.name}  ${job.state}${detail}\n`)
      }
      client.on('completed', line)
      client.on('failed', line)
      client.on('cancelled', line)
    }
    const abort = new AbortController()
    const onSigint = (): void => { abort.abort(new Error('interrupted')) }
    process.once('SIGINT', onSigint)
    let finals: JobSummary[]
    try {
      finals = await client.waitAll(ids, { signal: abort.signal })
    } finally {
      process.off('SIGINT', onSigint)
      view?.stop()
    }
    const failed = finals.filter((j) => j.state !== 'done')
    if (values.json === true) printJson({ jobs: finals })
    else {
      process.stdout.write(`${finals.length - failed.length} of ${finals.length} job(s) done${failed.length > 0 ? `; ${failed.length} failed or cancelled` : ''}\n`)
      for (const job of failed) process.stdout.write(`  ${job.id} ${job.state}: ${job.failure !== undefined ? `${job.failure.errorName}: ${job.failure.reason}` : job.cancelReason ?? ''}\n`)
    }
    return failed.length > 0 ? 1 : 0
  })
}
