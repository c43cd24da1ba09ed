/** The tiny alanine dipeptide vacuum example as submit options. */
import fs from 'node:fs'
import path from 'node:path'
import { exampleDir } from './processes.ts'

export function ala2Inputs (): { systemXml: string, integratorXml: string, pdb: string, stateXml: string } {
  const read = (name: string): string => fs.readFileSync(path.join(exampleDir, name), 'utf8')
  return { systemXml: read('system.xml'), integratorXml: read('integrator.xml'), pdb: read('ala2.pdb'), stateXml: read('state.xml') }
}

export const ala2Files = {
  system: path.join(exampleDir, 'system.xml'),
  integrator: path.join(exampleDir, 'integrator.xml'),
  pdb: path.join(exampleDir, 'ala2.pdb'),
  state: path.join(exampleDir, 'state.xml')
}
