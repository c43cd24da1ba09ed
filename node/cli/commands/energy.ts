/**
 * `mdswarm-node energy`: potential energy (total and per force group) and
 * forces of one configuration with the builtin engine, e.g. to check a
 * system against OpenMM before submitting it.
 *
 *   mdswarm-node energy --system system.xml --pdb structure.pdb [--state state.xml] [--json]
 *
 * --json prints {"potentialEnergy": kJ/mol, "groups": {"<group>": kJ/mol},
 * "forces": [[fx, fy, fz], ...]} (forces kJ/mol/nm, one row per particle).
 */
import { loadInputs } from '../../../src/engine/load.ts'
import { ForceEvaluator } from '../../../src/engine/force-evaluator.ts'
import { DEFAULT_INPUT_LIMITS } from '../../../src/engine/limits.ts'
import type { System } from '../../../src/engine/system.ts'
import { UsageError } from '../../../src/cli/run-command.ts'
import { parseFlags } from '../parse-flags.ts'
import { readInputText } from '../input-files.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.energy

const USAGE = 'mdswarm-node energy --system system.xml --pdb structure.pdb [--state state.xml] [--json]'

const FLAGS = {
  system: { type: 'string' },
  pdb: { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Energies and forces of one configuration. */
export interface EnergyReport {
  /** kJ/mol */
  potentialEnergy: number
  /** Potential energy of each force group present in the System, kJ/mol, keyed by group number. */
  groups: Record<string, number>
  /** kJ/mol/nm, one [fx, fy, fz] per particle. */
  forces: Array<[number, number, number]>
}

export async function run (args: string[]): Promise<number> {
  const flags = parseFlags(args, FLAGS, USAGE)
  if (flags.help === true) {
    process.stdout.write(`usage: ${USAGE}\n\n${summary}. Forces in kJ/mol/nm, energies in kJ/mol.\n`)
    return 0
  }
  if (flags.system === undefined) throw new UsageError(`--system is required. Usage: ${USAGE}`)
  if (flags.pdb === undefined && flags.state === undefined) throw new UsageError(`give the positions with --pdb (or --state). Usage: ${USAGE}`)

  const limits = DEFAULT_INPUT_LIMITS
  const loaded = loadInputs({
    systemXml: readInputText(flags.system, 'System XML', limits.maxXmlBytes),
    pdb: flags.pdb === undefined ? undefined : readInputText(flags.pdb, 'PDB file', limits.maxPdbBytes),
    stateXml: flags.state === undefined ? undefined : readInputText(flags.state, 'State XML', limits.maxXmlBytes),
  })
  const report = computeEnergyReport(loaded.system, loaded.state.positionsNm, loaded.state.box)
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify(report)}\n`)
  } else {
    process.stdout.write(formatSummary(loaded.system, report))
  }
  return 0
}

/** Evaluates every force group once and arranges the result for printing. */
export function computeEnergyReport (system: System, positionsNm: Float64Array, box: Float64Array | null): EnergyReport {
  const particleCount = positionsNm.length / 3
  const forces = new Float64Array(3 * particleCount)
  const energyByGroup = new Float64Array(32)
  // one evaluation: a helper thread would cost more to start than it saves
  const evaluator = new ForceEvaluator(system, { threads: 1 })
  const potentialEnergy = evaluator.evaluate(positionsNm, box, forces, energyByGroup)
  const groups: Record<string, number> = {}
  for (const group of forceGroupsOf(system)) groups[String(group)] = energyByGroup[group]
  const rows: Array<[number, number, number]> = []
  for (let i = 0; i < particleCount; i++) rows.push([forces[3 * i], forces[3 * i + 1], forces[3 * i + 2]])
  return { potentialEnergy, groups, forces: rows }
}

/** Force groups that hold at least one force, ascending. */
function forceGroupsOf (system: System): number[] {
  return [...new Set(system.forces.map((force) => force.forceGroup))].sort((a, b) => a - b)
}

function formatSummary (system: System, report: EnergyReport): string {
  const lines = [`Potential energy: ${report.potentialEnergy.toFixed(4)} kJ/mol (${report.forces.length} particles)`]
  for (const [group, energy] of Object.entries(report.groups)) {
    const names = system.forces.filter((force) => String(force.forceGroup) === group).map((force) => force.type)
    lines.push(`  group ${group.padStart(2)}: ${energy.toFixed(4).padStart(16)} kJ/mol  ${names.join(', ')}`)
  }
  let largest = 0
  let largestIndex = 0
  let sumSquares = 0
  report.forces.forEach(([fx, fy, fz], index) => {
    const squared = fx * fx + fy * fy + fz * fz
    sumSquares += squared
    if (squared > largest) { largest = squared; largestIndex = index }
  })
  const rms = Math.sqrt(sumSquares / Math.max(1, report.forces.length))
  lines.push(`Force: RMS ${rms.toFixed(3)} kJ/mol/nm, largest ${Math.sqrt(largest).toFixed(3)} kJ/mol/nm on particle ${largestIndex + 1}`)
  return `${lines.join('\n')}\n`
}
