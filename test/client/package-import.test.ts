/**
 * `import { connect } from 'mdswarm'` from plain Node.js (no TypeScript
 * loader of the caller's own): the package entry loads the client library
 * and talks to a real coordinator process.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { repoRoot, startCoordinator, tempDir } from '../swarm/helpers/processes.ts'

function runPlainNode (script: string): { status: number | null, stdout: string, stderr: string } {
  // A clean environment: no NODE_OPTIONS that could pre-load tsx for us.
  const env = { ...process.env, NODE_OPTIONS: '' }
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, env, encoding: 'utf8', timeout: 120_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('plain Node imports the client library by package name and lists a coordinator\'s jobs', async t => {
  const home = path.join(tempDir(t, 'package-import'), 'coordinator')
  await startCoordinator(t, home, { args: ['--no-dashboard'] })
  const script = `
    import { connect, CoordinatorNotFoundError } from 'mdswarm'
    const client = await connect({ home: ${JSON.stringify(home)} })
    const jobs = await client.jobs()
    await client.close()
    let missing = 'none'
    try { await connect({ home: ${JSON.stringify(path.join(home, 'no-such-home'))} }) } catch (err) { missing = err instanceof CoordinatorNotFoundError ? err.name : 'other: ' + err.name }
    console.log(JSON.stringify({ jobs: jobs.length, missing }))
    process.exit(0)
  `
  const run = runPlainNode(script)
  t.is(run.status, 0, run.stderr)
  t.deepEqual(JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}'), { jobs: 0, missing: 'CoordinatorNotFoundError' })
})
