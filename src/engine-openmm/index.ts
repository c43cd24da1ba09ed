/**
 * The openmm engine: a local OpenMM (CUDA, OpenCL, CPU or Reference) driven
 * through a Python helper over a binary pipe, with portable checkpoints
 * shared with the builtin engine.
 *
 * @example
 * import { OpenmmEngine, detectOpenmm } from './src/engine-openmm/index.ts'
 * const found = detectOpenmm()   // null when no interpreter imports OpenMM
 * const engine = await OpenmmEngine.start({ systemXml, integratorXml, pdb, seed: 1 }, { platform: 'CPU' })
 * await engine.run({ steps: 1000, reportEvery: 100, onFrame: f => console.log(f.step, f.potentialEnergy) })
 * await engine.close()
 */
export { OpenmmEngine, type OpenmmEngineInputs, type OpenmmOptions, type OpenmmRunOptions } from './openmm-engine.ts'
export { detectOpenmm, OPENMM_SYSTEM_FEATURES, type OpenmmDetection, type DetectOpenmmOptions } from './detect.ts'
export { findOpenmmPython, interpreterCandidates, canImportOpenmm, HELPER_PATH, PYTHON_ENV_VAR } from './interpreter.ts'
export { OpenmmError, OpenmmInputError, OpenmmHelperDiedError, OpenmmNotAvailableError, OpenmmProtocolError } from './errors.ts'
export type { ReadyInfo } from './protocol/messages.ts'
