/**
 * The dashboard in a real headless Chromium (Debian's chromium-headless-shell,
 * driven by puppeteer-core) against a real swarm: a coordinator and a node as
 * separate processes, jobs submitted with the CLI. The page shows the jobs
 * finishing and the node live, opens a job's units and history on a click,
 * and runs without script errors or content-policy violations.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { runCliCommand, startCoordinator, startNode, tempDir } from '../swarm/helpers/processes.ts'
import { ala2Files } from '../swarm/helpers/inputs.ts'

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium', '/usr/bin/chromium-browser']
const chromium = process.env.MDSWARM_CHROMIUM ?? CHROMIUM_CANDIDATES.find(p => fs.existsSync(p))
const browserTest = chromium === undefined ? test.skip : test
if (chromium === undefined) console.log('dashboard-browser: no Chromium (apt-get install chromium-headless-shell, as scripts/setup.sh does); skipped')

async function launch (): Promise<Browser> {
  return await puppeteer.launch({
    executablePath: chromium,
    headless: 'shell',
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  })
}

async function textOf (page: Page, selector: string): Promise<string> {
  return await page.$eval(selector, el => el.textContent ?? '')
}

browserTest('the dashboard shows jobs finishing on a live node and a job\'s units and history', async t => {
  const root = tempDir(t, 'dashboard-browser')
  const home = path.join(root, 'coordinator')
  const coordinator = await startCoordinator(t, home, { args: ['--dashboard', '127.0.0.1:0'] })
  const dashboardLine = await coordinator.proc.waitForLine(/^ {2}dashboard http:/)
  const url = dashboardLine.trim().split(' ')[1]
  const printed = await runCliCommand(t, 'mdswarm', ['dashboard', '--home', home, '--json'])
  t.is(printed.code, 0, printed.stderr)
  t.is((JSON.parse(printed.stdout) as { url: string }).url, url)

  const browser = await launch()
  t.teardown(async () => { await browser.close() })
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('pageerror', err => { problems.push(`page error: ${(err as Error).message}`) })
  page.on('console', message => { if (message.type() === 'error') problems.push(`console: ${message.text()}`) })
  await page.goto(url, { waitUntil: 'load' })
  await page.waitForSelector('#connection[data-state="live"]', { timeout: 30_000 })
  t.false(await page.$eval('#jobs-empty', el => (el as unknown as { hidden: boolean }).hidden), 'no jobs yet: the page says how to submit')

  const submitted = await runCliCommand(t, 'mdswarm', ['submit', '--system', ala2Files.system, '--integrator', ala2Files.integrator, '--pdb', ala2Files.pdb,
    '--state', ala2Files.state, '--steps', '200', '--report-every', '20', '--segment-steps', '100', '--replicas', '2', '--name', 'browser', '--home', home, '--json'])
  t.is(submitted.code, 0, submitted.stderr)
  const jobIds = (JSON.parse(submitted.stdout) as { jobs: Array<{ id: string }> }).jobs.map(j => j.id)
  // Pushed by the change stream (or the next poll): both rows appear, queued, before any node exists.
  for (const id of jobIds) await page.waitForSelector(`tr[data-job-id="${id}"]`, { timeout: 30_000 })
  t.regex(await textOf(page, `tr[data-job-id="${jobIds[0]}"]`), /browser-\d/)

  const node = await startNode(t, path.join(root, 'node'), coordinator.address)
  for (const id of jobIds) await page.waitForSelector(`tr[data-job-id="${id}"][data-state="done"]`, { timeout: 120_000 })
  t.is(await textOf(page, '#count-done'), '2')
  t.is(await textOf(page, '#frames'), '20 / 20')
  await page.waitForSelector(`tr[data-peer-id="${node.peerId}"] .badge[data-state="live"]`, { timeout: 30_000 })
  t.regex(await textOf(page, `tr[data-peer-id="${node.peerId}"]`), /builtin/)
  t.is(await textOf(page, '#nodes-online'), '1 / 1')

  await page.click(`tr[data-job-id="${jobIds[1]}"]`)
  await page.waitForSelector('#job-detail:not([hidden]) #detail-units tbody tr', { timeout: 30_000 })
  t.is(await textOf(page, '#detail-id'), jobIds[1])
  t.is(await page.$$eval('#detail-units tbody tr', rows => rows.length), 2, 'two segments')
  t.deepEqual(await page.$$eval('#detail-units tbody tr .badge', badges => badges.map(b => b.textContent)), ['done', 'done'])
  t.regex(await textOf(page, '#detail-events'), /done: 10 frames/)
  await page.click('#detail-close')
  t.true(await page.$eval('#job-detail', el => (el as unknown as { hidden: boolean }).hidden))
  t.deepEqual(problems, [], 'no script errors or blocked resources')
})
