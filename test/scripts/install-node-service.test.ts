/**
 * scripts/install-node-service.sh without installing anything: --help, clear
 * errors for missing values, and --print's unit file, whose command line
 * `mdswarm-node start` accepts (every flag passed through is one it knows).
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { repoRoot } from '../swarm/helpers/processes.ts'

const script = path.join(repoRoot, 'scripts', 'install-node-service.sh')
const address = '/ip4/10.0.0.5/tcp/4100/p2p/12D3KooWGzKeUUzsyFNM5w4Ea1bBDRnDQTZLTEkTZo4Cnv8hXxpx'

function install (args: string[]): { code: number | null, stdout: string, stderr: string } {
  const result = spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, SUDO_USER: '' } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('--help prints the usage and exits 0', t => {
  const result = install(['--help'])
  t.is(result.code, 0, result.stderr)
  t.regex(result.stdout, /usage: .*--coordinator MULTIADDR/)
  for (const flag of ['--network', '--swarm-key', '--engine', '--platform', '--print']) t.true(result.stdout.includes(flag), flag)
})

test('a flag without its value, an unknown flag or no --coordinator: one clear line, exit 2', t => {
  for (const [args, pattern] of [
    [['--coordinator'], /--coordinator needs a value/],
    [['--coordinator', address, '--network'], /--network needs a value/],
    [['--coordinator', '--network', 'mylab'], /--coordinator needs a value/],
    [['--network', 'mylab', '--print'], /--coordinator MULTIADDR is required/],
    [['--coordinator', address, '--engine', 'gromacs'], /--engine must be builtin or openmm/],
    [['--coordinator', address, '--swarm-key', '/nonexistent/swarm.key'], /no readable file/],
    [['--coordinator', address, '--bogus'], /unknown option --bogus/]
  ] as const) {
    const result = install([...args])
    t.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
    t.regex(result.stderr, pattern)
    t.notRegex(result.stderr, /unbound variable/)
  }
})

test('--print shows the unit; mdswarm-node start accepts every flag it passes', t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-install-'))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const key = path.join(dir, 'swarm.key')
  fs.writeFileSync(key, '/key/swarm/psk/1.0.0/\n/base16/\n' + 'ab'.repeat(32))
  const home = path.join(dir, 'node home')
  const result = install(['--coordinator', address, '--network', 'mylab', '--swarm-key', key, '--engine', 'openmm', '--platform', 'CUDA',
    '--property', 'CudaPrecision=mixed', '--concurrency', '2', '--home', home, '--user', 'nobody', '--print'])
  t.is(result.code, 0, result.stderr)
  const execStart = /^ExecStart=(.*)$/m.exec(result.stdout)?.[1]
  t.truthy(execStart, result.stdout)
  t.regex(result.stdout, /^User=nobody$/m)
  for (const part of ['--network mylab', `--swarm-key ${key}`, '--engine openmm', '--platform CUDA', '--property CudaPrecision=mixed', '--concurrency 2', `--home "${home}"`]) {
    t.true(execStart!.includes(part), part)
  }
  // The same flags, unquoted as systemd does, with --help: strict flag parsing rejects any it does not know.
  const words = [...execStart!.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map(m => m[1] ?? m[2])
  const startArgs = words.slice(words.indexOf('start'))
  const check = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'mdswarm-node.mjs'), ...startArgs, '--help'], { encoding: 'utf8', cwd: repoRoot })
  t.is(check.status, 0, check.stderr)
  t.regex(check.stdout, /usage: mdswarm-node start/)
})
