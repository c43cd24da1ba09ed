/**
 * The GPUs of this machine, as `nvidia-smi` reports them (name, memory,
 * driver). No nvidia-smi, or one that fails, means no GPUs.
 *
 * @example
 * detectNvidiaGpus()  // [{ name: 'NVIDIA H100 80GB HBM3', memoryBytes: 85520809984, driver: '535.104.05' }]
 */
import { spawnSync } from 'node:child_process'
import type { Capabilities } from '../src/wire/messages.ts'

export type GpuInfo = Capabilities['gpus'][number]

/** Longest nvidia-smi may take, ms (it can hang on a wedged driver). */
const NVIDIA_SMI_TIMEOUT_MS = 15_000
const MIB = 1024 * 1024

/** Reads `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits` (memory in MiB). */
export function parseNvidiaSmiCsv (csv: string): GpuInfo[] {
  const gpus: GpuInfo[] = []
  for (const line of csv.split('\n')) {
    if (line.trim() === '') continue
    const fields = line.split(',').map(field => field.trim())
    if (fields.length < 3) continue
    const driver = fields[fields.length - 1]
    const memoryMiB = Number(fields[fields.length - 2])
    const name = fields.slice(0, fields.length - 2).join(',')
    if (name === '') continue
    gpus.push({ name, memoryBytes: Number.isFinite(memoryMiB) && memoryMiB > 0 ? Math.round(memoryMiB * MIB) : 0, driver })
  }
  return gpus
}

/** GPUs from the first `nvidia-smi` on PATH (of `env`, default process.env). */
export function detectNvidiaGpus (env: NodeJS.ProcessEnv = process.env): GpuInfo[] {
  const result = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'], {
    encoding: 'utf8',
    timeout: NVIDIA_SMI_TIMEOUT_MS,
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  if (result.error !== undefined || result.status !== 0) return []
  return parseNvidiaSmiCsv(result.stdout)
}
