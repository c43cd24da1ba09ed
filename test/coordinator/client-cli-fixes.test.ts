/**
 * The client commands where a newcomer's walkthrough went wrong: submit
 * refuses what no node could run (PDB of another system, --engine builtin
 * with CMAP) with nothing queued; submit --help describes every option;
 * output to a closed pipe ends quietly; fetch names a missing output folder
 * before downloading; dashboard takes --coordinator and says when the
 * coordinator is not running; whoami creates a home only inside a folder
 * that exists.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { connect } from '../../src/index.ts'
import { CoordinatorStore } from '../../coordinator/store/coordinator-store.ts'
import { blobHash } from '../../coordinator/store/blob-hash.ts'
import { prepareSubmission } from '../../coordinator/submit/prepare-submission.ts'
import { repoRoot, tempDir } from './helpers.ts'
import { exited, startCoordinator, type CoordinatorProcess } from './coordinator-process.ts'

const tmp = tempDir('client-cli')
const children: CoordinatorProcess[] = []
test.after.always(() => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL')
  fs.rmSync(tmp, { recursive: true, force: true })
})

const ala2 = (name: string): string => path.join(repoRoot, 'examples/ala2', name)
const tip3pPdb = path.join(repoRoot, 'examples/ala2-tip3p/ala2-tip3p.pdb')
const cmap = (name: string): string => path.join(repoRoot, 'test/fixtures/ala2-charmm-cmap', name)

interface CliResult { code: number | string, stdout: string, stderr: string }

/** Runs `mdswarm ARGS`; `closeStdout`: its stdout is a pipe whose reader is gone (as `| head -n 1` after one line). */
async function mdswarm (args: string[], options: { closeStdout?: boolean } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/mdswarm.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MDSWARM_DEBUG: '' } })
  let stdout = ''
  let stderr = ''
  if (options.closeStdout === true) child.stdout.destroy()
  else child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await exited(child)
  return { code, stdout, stderr }
}

async function storeWith (t: { teardown: (fn: () => Promise<void>) => void }, files: Record<string, string>): Promise<{ store: CoordinatorStore, hashes: Record<string, string> }> {
  const store = await CoordinatorStore.open(fs.mkdtempSync(path.join(tmp, 'db-')))
  t.teardown(async () => { await store.close() })
  const hashes: Record<string, string> = {}
  for (const [name, file] of Object.entries(files)) {
    const bytes = fs.readFileSync(file)
    hashes[name] = blobHash(bytes)
    await store.batch().putBlob(hashes[name], bytes).write()
  }
  return { store, hashes }
}

test('coordinator refuses a PDB of another system with ParticleCountMismatchError', async (t) => {
  const { store, hashes } = await storeWith(t, { system: ala2('system.xml'), integrator: ala2('integrator.xml'), pdb: tip3pPdb, goodPdb: ala2('ala2.pdb'), state: ala2('state.xml') })
  const spec = { systemHash: hashes.system, integratorHash: hashes.integrator, pdbHash: hashes.pdb, steps: 100, reportEvery: 10 }
  for (const engine of [undefined, 'builtin', 'openmm', 'any'] as const) {
    const err = await t.throwsAsync(prepareSubmission(store, { ...spec, ...(engine !== undefined ? { engine } : {}) }, 'me'))
    t.is(err?.name, 'ParticleCountMismatchError', `engine ${engine ?? '(default)'}`)
  }
  const good = await prepareSubmission(store, { ...spec, pdbHash: hashes.goodPdb, stateHash: hashes.state }, 'me')
  t.is(good.atoms, 22)
})

test('coordinator refuses --engine builtin with a force the builtin engine lacks, not openmm or any', async (t) => {
  const { store, hashes } = await storeWith(t, { system: cmap('system.xml'), integrator: ala2('integrator.xml'), pdb: cmap('structure.pdb') })
  const spec = { systemHash: hashes.system, integratorHash: hashes.integrator, pdbHash: hashes.pdb, steps: 100, reportEvery: 10 }
  const err = await t.throwsAsync(prepareSubmission(store, { ...spec, engine: 'builtin' }, 'me'))
  t.is(err?.name, 'UnsupportedForceError')
  t.is((err as Error & { forceType?: string }).forceType, 'CMAPTorsionForce')
  t.regex(err?.message ?? '', /--engine openmm/)
  for (const engine of ['openmm', 'any'] as const) {
    const job = await prepareSubmission(store, { ...spec, engine }, 'me')
    t.true(job.requirements.forceTypes.includes('CMAPTorsionForce'))
    t.is(job.requirements.engine, engine)
  }
})

test('submit refuses before uploading: one line with the typed error, exit 1', async (t) => {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'))
  const common = ['--integrator', ala2('integrator.xml'), '--steps', '10', '--report-every', '5', '--home', home]
  const mismatch = await mdswarm(['submit', '--system', ala2('system.xml'), '--pdb', tip3pPdb, ...common])
  t.is(mismatch.code, 1)
  t.is(mismatch.stdout, '')
  t.regex(mismatch.stderr, /^mdswarm submit: ParticleCountMismatchError: The PDB has 2272 atoms but the System has 22 particles/)
  t.is(mismatch.stderr.trim().split('\n').length, 1)

  const builtinCmap = await mdswarm(['submit', '--system', cmap('system.xml'), '--pdb', cmap('structure.pdb'), '--engine', 'builtin', ...common])
  t.is(builtinCmap.code, 1)
  t.regex(builtinCmap.stderr, /^mdswarm submit: UnsupportedForceError: .*CMAPTorsionForce.*--engine openmm/)
  // openmm passes the check and goes on to look for the coordinator (none in this home)
  const openmmCmap = await mdswarm(['submit', '--system', cmap('system.xml'), '--pdb', cmap('structure.pdb'), '--engine', 'openmm', ...common])
  t.regex(openmmCmap.stderr, /CoordinatorNotFoundError/)
})

test('submit --help describes every option, defaults and the stored precision', async (t) => {
  const help = await mdswarm(['submit', '--help'])
  t.is(help.code, 0)
  for (const flag of ['--system', '--integrator', '--pdb', '--state', '--steps', '--report-every', '--segment-steps', '--replicas', '--seed', '--priority', '--name',
    '--engine', '--platform', '--gpu', '--max-attempts', '--keep', '--precision', '--lossless', '--coordinator', '--home', '--swarm-key', '--json']) {
    t.regex(help.stdout, new RegExp(`\\n  ${flag} `), flag)
  }
  t.regex(help.stdout, /--precision NM .*default 0\.001/)
  t.regex(help.stdout, /--segment-steps M .*\n.*default: N/)
  t.regex(help.stdout, /stored in the swarm at 0\.001 nm precision by default; --lossless keeps\s+them exact/)
})

test('fetch names a missing output folder before downloading', async (t) => {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'))
  const missing = path.join(tmp, 'no-such-folder')
  const result = await mdswarm(['fetch', 'j0000000000', '-o', path.join(missing, 'x.dcd'), '--home', home])
  t.is(result.code, 1)
  t.is(result.stderr, `mdswarm fetch: OutputFolderMissingError: cannot write ${path.join(missing, 'x.dcd')}: the folder ${missing} does not exist. Create it first, or write somewhere else.\n`)
  t.false(fs.existsSync(missing))
  const topology = await mdswarm(['fetch', 'j0000000000', '-o', path.join(home, 'x.dcd'), '--topology', path.join(missing, 'top.pdb'), '--home', home])
  t.regex(topology.stderr, /OutputFolderMissingError: cannot write .*top\.pdb/)
})

test('whoami creates a home only inside a folder that exists', async (t) => {
  const deep = path.join(tmp, 'missing', 'dir', 'x')
  const refused = await mdswarm(['whoami', '--home', deep])
  t.is(refused.code, 1)
  t.regex(refused.stderr, /^mdswarm whoami: HomeParentMissingError: cannot create the home folder .*missing\/dir\/x: the folder .*missing\/dir does not exist/)
  t.false(fs.existsSync(path.join(tmp, 'missing')))
  const fresh = path.join(tmp, 'fresh-home')
  const made = await mdswarm(['whoami', '--home', fresh])
  t.is(made.code, 0)
  t.regex(made.stdout, /^12D3KooW\w+\n$/)
  t.true(fs.statSync(fresh).isDirectory())
  // client commands check the same way before connecting
  const status = await mdswarm(['status', 'j0000000000', '--home', deep])
  t.regex(status.stderr, /HomeParentMissingError/)
  t.false(fs.existsSync(path.join(tmp, 'missing')))
})

test('dashboard without a coordinator in the home says what it needs', async (t) => {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'))
  const result = await mdswarm(['dashboard', '--home', home])
  t.is(result.code, 1)
  t.regex(result.stderr, /^mdswarm dashboard: CoordinatorNotFoundError: .*holds no coordinator\.json.*--coordinator MULTIADDR/)
})

test.serial('with a running coordinator: nothing queued for a refused submit; status to a closed pipe; dashboard, then stopped', async (t) => {
  const home = fs.mkdtempSync(path.join(tmp, 'coord-'))
  const coordinator = await startCoordinator(home, ['--dashboard', '127.0.0.1:0'])
  children.push(coordinator)

  const client = await connect({ home })
  try {
    const read = (file: string): string => fs.readFileSync(file, 'utf8')
    const refused = await t.throwsAsync(client.submit({ systemXml: read(ala2('system.xml')), integratorXml: read(ala2('integrator.xml')), pdb: read(tip3pPdb), steps: 10, reportEvery: 5 }))
    t.is(refused?.name, 'ParticleCountMismatchError')
    const refusedCmap = await t.throwsAsync(client.submit({ systemXml: read(cmap('system.xml')), integratorXml: read(ala2('integrator.xml')), pdb: read(cmap('structure.pdb')), engine: 'builtin', steps: 10, reportEvery: 5 }))
    t.is(refusedCmap?.name, 'UnsupportedForceError')
    t.deepEqual(await client.jobs(), [])
    const [job] = await client.submit({ systemXml: read(ala2('system.xml')), integratorXml: read(ala2('integrator.xml')), pdb: read(ala2('ala2.pdb')), steps: 10, reportEvery: 5 })

    const piped = await mdswarm(['status', job.id, '--home', home], { closeStdout: true })
    t.is(piped.code, 0)
    t.is(piped.stderr, '')
  } finally {
    await client.close()
  }

  const url = JSON.parse(fs.readFileSync(path.join(home, 'coordinator.json'), 'utf8')).dashboard as string
  const dashboard = await mdswarm(['dashboard', '--home', home, '--json'])
  t.is(dashboard.code, 0, dashboard.stderr)
  t.deepEqual(JSON.parse(dashboard.stdout), { url })

  const remote = await mdswarm(['dashboard', '--coordinator', coordinator.info.multiaddrs[0], '--home', home])
  t.is(remote.code, 0, remote.stderr)
  t.regex(remote.stdout, /is running.*\n\s+ssh -L 4180:127\.0\.0\.1:4180 127\.0\.0\.1\n/)

  coordinator.child.kill('SIGKILL')
  await exited(coordinator.child)
  t.true(fs.existsSync(path.join(home, 'coordinator.json')), 'kill -9 leaves a stale coordinator.json')
  const stale = await mdswarm(['dashboard', '--home', home])
  t.is(stale.code, 1)
  t.is(stale.stdout, '')
  t.regex(stale.stderr, /^mdswarm dashboard: CoordinatorNotRunningError: The coordinator of home .* is not running/)
})
