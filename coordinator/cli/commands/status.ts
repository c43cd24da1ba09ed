/** `mdswarm status JOB [--json]`: a job's state, units, and history (why it failed, what it waits for). */
import { UsageError } from '../../../src/cli/run-command.ts'
import { CLIENT_FLAGS, parseFlags } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'
import { ago, percent, simulatedNs, table } from '../format.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.status

const USAGE = 'mdswarm status JOB [--coordinator MULTIADDR] [--home DIR] [--swarm-key FILE] [--json]'

export async function run (args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, CLIENT_FLAGS, USAGE, true)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
  if (positionals.length !== 1) throw new UsageError(`give exactly one job id.\nusage: ${USAGE}`)
  return await withClient(values, async (client) => {
    const status = await client.status(positionals[0])
    if (values.json === true) { printJson(status); return status.job.state === 'failed' ? 1 : 0 }
    const job = status.job
    const out: string[] = [
      `job       ${job.id} (${job.name})`,
      `state     ${job.state}${job.waitingReason !== undefined ? ` — waiting: ${job.waitingReason}` : ''}`,
      `progress  ${job.stepsDone}/${job.steps} steps (${percent(job)}), ${job.framesStored}/${job.totalFrames} frames stored, ${simulatedNs(job).toFixed(3)} ns simulated`,
      `units     segment ${Math.min(job.currentSegment + 1, job.segments)} of ${job.segments} (${job.segmentSteps} steps each)`,
      `seed      ${job.seed}   priority ${job.priority}   atoms ${job.atoms}   step ${job.stepSizePs} ps`,
      `needs     engine ${job.requirements.engine}${job.requirements.platform !== undefined ? `, ${job.requirements.platform}` : ''}${job.requirements.gpu === true ? ', a GPU' : ''}; forces ${job.requirements.forceTypes.join(', ')}`,
      `submitted ${ago(job.createdAt)}${job.finishedAt !== undefined ? `, finished ${ago(job.finishedAt)}` : ''}`,
    ]
    if (job.failure !== undefined) out.push(`failed    ${job.failure.errorName}: ${job.failure.reason}${job.failure.peerId !== undefined ? ` (on ${job.failure.peerId}, attempt ${job.failure.attempt})` : ''}`)
    if (job.cancelReason !== undefined) out.push(`cancelled ${job.cancelReason}`)
    process.stdout.write(`${out.join('\n')}\n\n`)
    process.stdout.write(table(['UNIT', 'STATE', 'STEPS', 'FRAMES', 'ATTEMPTS', 'NODE'], status.units.map((u) => [
      u.unitId, u.state, `${u.startStep}..${u.endStep}`, `${u.nextFrame - u.firstFrame}/${u.endFrame - u.firstFrame}`, `${u.attempts} (${u.failures} failed)`,
      u.lease !== undefined ? `${u.lease.peerId} at step ${u.lease.step}` : (u.lastError !== undefined ? `last error: ${u.lastError.errorName}` : ''),
    ])))
    if (status.events.length > 0) {
      process.stdout.write('\nhistory\n')
      for (const event of status.events.slice(-20)) process.stdout.write(`  ${new Date(event.at).toISOString()}  ${event.message}\n`)
    }
    return job.state === 'failed' ? 1 : 0
  })
}
