// What --sim DIR changes: the fake modules go first on PSModulePath and learn where the state is.
// Product scripts are the same; only the modules they import differ.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { psDir } from '../paths.js';
import { InputError } from '../input-error.js';

export const simModulesDir = path.join(psDir, 'sim', 'Modules');

export interface SimulatorBinding {
  modulePath: string[];
  env: Record<string, string>;
}

export function simulatorBinding(dir: string): SimulatorBinding {
  const absolute = path.resolve(dir);
  if (!existsSync(path.join(absolute, 'state.json'))) {
    throw new InputError(`${dir} holds no simulator (no state.json); create one with: upn-match sim init ${dir}`);
  }
  return { modulePath: [simModulesDir], env: { UPN_MATCH_SIM_DIR: absolute } };
}
