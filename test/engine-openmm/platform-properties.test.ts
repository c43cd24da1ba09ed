/**
 * The OpenMM helper passes each platform the properties meant for it under
 * the names it lists: OpenMM 7.5 renamed CudaPrecision / OpenCLPrecision to
 * Precision (its getPropertyNames lists only the new names), so a helper
 * that matched names literally silently dropped the GPU precision chosen for
 * a unit. Checked on the helper's own function with stand-in platforms (no
 * GPU here), and on the CPU platform for real.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { HELPER_PATH } from '../../src/engine-openmm/index.ts'
import { DEBIAN_PYTHON, pythonHasModule } from '../formats/debian-python.ts'

const HAVE_PYTHON = spawnSync(DEBIAN_PYTHON, ['-c', 'pass']).status === 0

function platformProperties (platformName: string, names: string[], properties: Record<string, string>, keepUnknown: boolean): Record<string, string> {
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(path.dirname(HELPER_PATH))})
from openmm_helper import platform_properties
class Platform:
    def getName(self): return ${JSON.stringify(platformName)}
    def getPropertyNames(self): return tuple(${JSON.stringify(names)})
print(json.dumps(platform_properties(Platform(), json.loads(sys.argv[1]), ${keepUnknown ? 'True' : 'False'})))
`
  const result = spawnSync(DEBIAN_PYTHON, ['-c', script, JSON.stringify(properties)], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(result.stderr)
  return JSON.parse(result.stdout) as Record<string, string>
}

const OPENMM_7_7_CUDA = ['DeviceIndex', 'DeviceName', 'UseBlockingSync', 'Precision', 'UseCpuPme', 'CudaCompiler', 'TempDirectory', 'DisablePmeStream', 'DeterministicForces']
const OPENMM_7_7_OPENCL = ['DeviceIndex', 'OpenCLPlatformIndex', 'DeviceName', 'OpenCLPlatformName', 'Precision', 'UseCpuPme', 'DisablePmeStream']
const OPENMM_7_4_CUDA = ['CudaDeviceIndex', 'CudaDeviceName', 'CudaUseBlockingSync', 'CudaPrecision', 'CudaUseCpuPme', 'CudaCompiler', 'CudaTempDirectory']

;(HAVE_PYTHON ? test : test.skip)('platform-prefixed names reach their own platform under the name it lists; other platforms\' names are dropped', t => {
  const unit = { CudaPrecision: 'mixed', OpenCLPrecision: 'mixed', DeviceIndex: '1' }
  t.deepEqual(platformProperties('CUDA', OPENMM_7_7_CUDA, unit, false), { Precision: 'mixed', DeviceIndex: '1' })
  t.deepEqual(platformProperties('OpenCL', OPENMM_7_7_OPENCL, { CudaPrecision: 'double', OpenCLPrecision: 'mixed' }, false), { Precision: 'mixed' })
  t.deepEqual(platformProperties('CPU', ['Threads', 'DeterministicForces'], { ...unit, Threads: '2' }, false), { Threads: '2' })
  // older OpenMM lists the prefixed names: a bare name is passed as the platform's own
  t.deepEqual(platformProperties('CUDA', OPENMM_7_4_CUDA, { Precision: 'single', DeviceIndex: '0', OpenCLPrecision: 'double' }, false),
    { CudaPrecision: 'single', CudaDeviceIndex: '0' })
  // the listed name wins over its alias
  t.deepEqual(platformProperties('CUDA', OPENMM_7_7_CUDA, { Precision: 'double', CudaPrecision: 'mixed' }, false), { Precision: 'double' })
})

;(HAVE_PYTHON ? test : test.skip)('with a named platform, unknown names stay so that OpenMM refuses a misspelt property', t => {
  t.deepEqual(platformProperties('CPU', ['Threads', 'DeterministicForces'], { Thread: '2', CudaPrecision: 'mixed' }, true), { Thread: '2' })
})

;(pythonHasModule('openmm') ? test : test.skip)('the real CPU platform: Threads passes, a GPU precision is left out', t => {
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(path.dirname(HELPER_PATH))})
import openmm
from openmm_helper import platform_properties
print(json.dumps(platform_properties(openmm.Platform.getPlatformByName("CPU"), {"Threads": "1", "CudaPrecision": "mixed", "OpenCLPrecision": "mixed"}, False)))
`
  const result = spawnSync(DEBIAN_PYTHON, ['-c', script], { encoding: 'utf8' })
  t.is(result.status, 0, result.stderr)
  t.deepEqual(JSON.parse(result.stdout), { Threads: '1' })
})
