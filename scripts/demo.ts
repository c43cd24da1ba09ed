/**
 * `npm start`: a whole swarm on this machine. Starts a coordinator and two
 * node daemons as separate processes on 127.0.0.1 (temp homes), submits the
 * alanine dipeptide ensemble in examples/ala2/, shows progress, writes one
 * DCD per replica (and the topology PDB) to ./out, prints a summary and
 * stops everything cleanly.
 *
 *   npm start                      # 8 replicas × 10 000 steps (20 ps), 2 segments each
 *   npm start -- --replicas 4 --steps 5000 --out ./out   # 2 segments of 2500 steps
 *   npm start -- --help
 */
import '../src/polyfill.ts'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { connect, type JobSummary } from '../src/client/index.ts'
import { readCoordinatorInfo } from '../src/client/coordinator-info.ts'
import { DcdWriter } from '../src/formats/dcd.ts'
import { nodeEvents, repoRoot, startLocalSwarm, type LocalSwarm } from './local-swarm.ts'

const example = path.join(repoRoot, 'examples', 'ala2')

const USAGE = `npm start [-- options]: a coordinator and two node daemons on this machine run an alanine dipeptide
ensemble (examples/ala2/) and write one DCD per replica, plus the topology PDB, to the output folder.

  --replicas N        replicas (independent trajectories)            default 8
  --steps N           steps per replica (2 fs each)                   default 10000
  --report-every K    a frame every K steps                           default 100
  --segment-steps N   steps per segment: each segment is one work unit, so a replica can move between nodes
                      at segment ends                                 default half of --steps
  --out DIR           where the DCDs go                               default ./out
  --seed N            random seed of the first replica                default 2024
  --help              this text`

function parseFlags (): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({
      options: {
        replicas: { type: 'string', default: '8' },
        steps: { type: 'string', default: '10000' },
        'report-every': { type: 'string', default: '100' },
        'segment-steps': { type: 'string' },
        out: { type: 'string', default: path.join(process.cwd(), 'out') },
        seed: { type: 'string', default: '2024' },
        help: { type: 'boolean', default: false },
      },
    }).values
  } catch (error) {
    process.stderr.write(`npm start: ${(error as Error).message}\n\n${USAGE}\n`)
    process.exit(2)
  }
}
const flags = parseFlags()
if (flags.help === true) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
/** A whole number >= minimum from option `name`, or exit with a one-line message. */
function wholeNumber (name: string, minimum: number, fallback?: number): number {
  const text = flags[name]
  const value = typeof text === 'string' ? Number(text) : fallback
  if (value === undefined || !Number.isSafeInteger(value) || value < minimum) {
    process.stderr.write(`npm start: --${name} must be a whole number of at least ${minimum} (got ${String(text)})\n`)
    process.exit(2)
  }
  return value
}
const replicas = wholeNumber('replicas', 1)
const steps = wholeNumber('steps', 1)
const reportEvery = wholeNumber('report-every', 1)
const segmentSteps = wholeNumber('segment-steps', 1, Math.max(1, Math.ceil(steps / 2)))
const outDir = path.resolve(String(flags.out))

let swarm: LocalSwarm | null = null

function say (line: string): void { process.stdout.write(`${line}\n`) }

async function stopAll (): Promise<void> {
  await swarm?.stop()
  swarm = null
}

// Ctrl-C, kill, a closed terminal: stop the coordinator and nodes too (exit 128 + the signal's number)
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.once(signal, () => { say(`\n${signal}: stopping the swarm…`); void stopAll().then(() => process.exit(code)) })
}

async function main (): Promise<void> {
  const started = performance.now()
  swarm = await startLocalSwarm({ nodes: 2, concurrency: 1, prefix: 'mdswarm-demo' })
  const { address, nodes, root } = swarm
  say(`mdswarm demo: a coordinator and 2 nodes on 127.0.0.1 (homes under ${root})`)
  say(`  coordinator  ${address}`)
  for (const [i, node] of nodes.entries()) say(`  node ${i + 1}       ${node.peerId}`)
  const dashboard = readCoordinatorInfo(path.join(root, 'coordinator')).dashboard
  if (dashboard !== undefined) say(`  dashboard    ${dashboard}  (open it while the demo runs)`)

  const read = (name: string): string => fs.readFileSync(path.join(example, name), 'utf8')
  // The coordinator's own home: its client key is the first allowed submitter.
  const client = await connect({ coordinator: address, home: path.join(root, 'coordinator') })
  const jobs = await client.submit({
    systemXml: read('system.xml'), integratorXml: read('integrator.xml'), pdb: read('ala2.pdb'), stateXml: read('state.xml'),
    steps, reportEvery, segmentSteps, replicas, seed: Number(flags.seed), name: 'ala2-demo'
  })
  const stepSizePs = jobs[0].summary?.stepSizePs ?? 0.002
  say(`submitted ${jobs.length} replicas of alanine dipeptide: ${steps} steps (${(steps * stepSizePs).toFixed(1)} ps) each, a frame every ${reportEvery} steps, ${Math.ceil(steps / segmentSteps)} segments per replica\n`)

  const totalFrames = jobs.length * Math.floor(steps / reportEvery)
  const framesOf = new Map<string, number>()
  const waitStarted = performance.now()
  const rate = (): string => {
    const frames = [...framesOf.values()].reduce((a, b) => a + b, 0)
    const ns = frames * reportEvery * stepSizePs / 1000
    const days = (performance.now() - waitStarted) / 86_400_000
    return days > 0 ? (ns / days).toFixed(0) : '0'
  }
  let bar: cliProgress.SingleBar | null = null
  let lastLine = 0
  let printedAll = false
  if (process.stdout.isTTY === true) {
    bar = new cliProgress.SingleBar({ format: 'frames {bar} {value}/{total} | {nsPerDay} ns/day | ETA {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic)
    bar.start(totalFrames, 0, { nsPerDay: '0' })
  }
  client.on('progress', (job: JobSummary) => {
    framesOf.set(job.id, job.framesStored)
    const frames = [...framesOf.values()].reduce((a, b) => a + b, 0)
    if (bar !== null) bar.update(frames, { nsPerDay: rate() })
    else if ((performance.now() - lastLine > 2000 && frames < totalFrames) || (frames === totalFrames && !printedAll)) {
      lastLine = performance.now()
      printedAll = frames === totalFrames
      say(`frames ${frames}/${totalFrames} (${Math.round(100 * frames / totalFrames)}%), ${rate()} ns/day`)
    }
  })
  const finished = await client.waitAll(jobs)
  bar?.stop()
  const wallS = (performance.now() - waitStarted) / 1000

  fs.mkdirSync(outDir, { recursive: true })
  fs.copyFileSync(path.join(example, 'ala2.pdb'), path.join(outDir, 'ala2.pdb'))
  let written = 0
  for (const [index, job] of jobs.entries()) {
    const file = path.join(outDir, `ala2-replica${String(index).padStart(2, '0')}.dcd`)
    let writer: DcdWriter | null = null
    for await (const frame of job.frames()) {
      writer ??= DcdWriter.create(file, { atomCount: frame.positionsNm.length / 3, timeStepPs: stepSizePs, interval: reportEvery, firstStep: frame.step, hasUnitCell: frame.box !== null, title: `mdswarm demo ${job.id}` })
      writer.writeFrame(frame.positionsNm, frame.box)
      written += 1
    }
    writer?.close()
  }
  await client.close()

  const unitsBy = nodes.map(n => nodeEvents(n).filter(e => e.event === 'unit-completed').length)
  const done = finished.filter(j => j.state === 'done').length
  const simulatedNs = done * steps * stepSizePs / 1000
  say('\nsummary')
  say(`  jobs          ${done} of ${finished.length} done${done < finished.length ? ` (${finished.filter(j => j.state !== 'done').map(j => `${j.id}: ${j.state} ${j.failure?.errorName ?? ''}`).join(', ')})` : ''}`)
  say(`  frames        ${written} written to ${outDir} (one DCD per replica, topology ala2.pdb)`)
  say(`  simulated     ${simulatedNs.toFixed(3)} ns in ${wallS.toFixed(1)} s: ${(simulatedNs / (wallS / 86_400)).toFixed(0)} ns/day for the swarm`)
  say(`  work units    ${unitsBy.map((n, i) => `node ${i + 1}: ${n}`).join(', ')}`)
  say(`  total time    ${((performance.now() - started) / 1000).toFixed(1)} s`)
  await stopAll()
  process.exitCode = done === finished.length ? 0 : 1
}

main().catch(async (err: Error) => {
  process.stderr.write(`demo failed: ${err.name}: ${err.message}\n`)
  await stopAll()
  process.exitCode = 1
})
