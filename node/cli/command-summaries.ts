/**
 * One line per `mdswarm-node` command, for `mdswarm-node --help` (printed without
 * loading the commands, whose imports take seconds) and each command's own help.
 */
export const COMMAND_SUMMARIES = {
  capabilities: 'Show the engines, GPUs, cores and memory this node would advertise',
  energy: 'Potential energy and forces of a structure with the builtin engine',
  run: 'Run a simulation locally (builtin engine or OpenMM), writing a DCD trajectory',
  start: 'Start the node daemon: claim work units from a coordinator and run them',
} as const
