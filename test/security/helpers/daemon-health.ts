/**
 * After a fuzz run against a coordinator and a node process: both must still
 * be alive, and their resident memory must have grown by less than a bound.
 */
import fs from 'node:fs'
import type { ExecutionContext } from 'ava'
import type { CoordinatorProcess, NodeProcess } from '../../swarm/helpers/processes.ts'

export interface DaemonMemory { readonly coordinator: number, readonly node: number }

/** Resident memory of a process, MiB (Linux /proc). */
export function rssMiB (pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match === null ? Number.NaN : Number(match[1]) / 1024
}

/** Both daemons' resident memory now, MiB. */
export function daemonMemory (coordinator: CoordinatorProcess, node: NodeProcess): DaemonMemory {
  return { coordinator: rssMiB(coordinator.proc.child.pid!), node: rssMiB(node.proc.child.pid!) }
}

/** Both daemons alive, and (a second later) each grown by less than its bound (MiB) since `before`. */
export async function assertDaemonsSurvived (t: ExecutionContext, coordinator: CoordinatorProcess, node: NodeProcess, before: DaemonMemory,
  boundMiB: DaemonMemory): Promise<void> {
  t.true(coordinator.proc.alive, coordinator.proc.tail())
  t.true(node.proc.alive, node.proc.tail())
  await new Promise(resolve => setTimeout(resolve, 1000))
  const after = daemonMemory(coordinator, node)
  t.log(`RSS coordinator ${before.coordinator.toFixed(0)} → ${after.coordinator.toFixed(0)} MiB, node ${before.node.toFixed(0)} → ${after.node.toFixed(0)} MiB`)
  t.true(after.coordinator - before.coordinator < boundMiB.coordinator, 'coordinator memory stays bounded')
  t.true(after.node - before.node < boundMiB.node, 'node memory stays bounded')
}
