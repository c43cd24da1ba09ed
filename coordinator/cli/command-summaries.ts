/**
 * One line per `mdswarm` command, for `mdswarm --help` (printed without
 * loading the commands, whose imports take seconds) and each command's own help.
 */
export const COMMAND_SUMMARIES = {
  cancel: 'Cancel jobs (running units are stopped on their nodes)',
  convert: 'Convert a trajectory between .dcd, .xtc, .pdb and .mdsw (by file extension)',
  coordinator: 'Run the coordinator daemon (start) and manage its submitter allow-list (allow, revoke, allowed)',
  dashboard: "Print the URL of the coordinator's web dashboard (jobs, progress, peers)",
  fetch: 'Download a job\'s trajectory (finished or partial) as .xtc, .dcd, .pdb or .mdsw, optionally its topology as PDB',
  jobs: 'List the jobs on the coordinator',
  keygen: 'Make a swarm key for a private network (keygen swarm -o FILE)',
  peers: 'List the coordinator and its nodes, with load and throughput',
  status: 'Show one job: state, progress, units, failures and history',
  submit: 'Submit a simulation (or an ensemble of replicas) to the coordinator',
  wait: 'Wait for jobs to finish, with progress bars (exit 1 if one failed)',
  whoami: "Print this home's client peer ID (what a coordinator's allow-list holds)",
} as const
