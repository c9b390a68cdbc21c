// upn-match sim init: writes a simulator folder (state.json and the scenario's users.csv).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { BATCH_COLUMNS } from '../batch-columns.js';
import { buildLargeWorld, buildScenario } from './scenarios.js';
import { World } from './world.js';
import { InputError } from '../input-error.js';

export interface SimInitOptions {
  dir: string;
  scenario?: string;
  users?: number;
  tenantUsers?: number;
  seed?: number;
  force?: boolean;
  now?: Date;
}

export interface SimInitResult {
  dir: string;
  scenario: string;
  stateFile: string;
  batchFile: string;
  tenantUsers: number;
  adUsers: number;
  batchUsers: number;
}

export function initSimulator(options: SimInitOptions): SimInitResult {
  const dir = path.resolve(options.dir);
  const stateFile = path.join(dir, 'state.json');
  if (existsSync(stateFile) && !options.force) {
    throw new InputError(`${options.dir} already holds a simulator; use --force to replace it`);
  }
  const seed = options.seed ?? 1;
  let world: World;
  let scenario: string;
  if (options.users !== undefined) {
    world = new World(seed, options.now ?? new Date());
    buildLargeWorld(world, options.users, Math.max(options.tenantUsers ?? options.users, options.users));
    scenario = `random-${options.users}`;
  } else {
    scenario = options.scenario ?? 'happy-path';
    world = buildScenario(scenario, seed, options.now);
  }
  mkdirSync(dir, { recursive: true });
  // A new world starts with an empty call log and no faults (but those its scenario brings).
  for (const file of ['calls.jsonl', 'faults.json', 'counters.json', 'truth.json', 'work']) rmSync(path.join(dir, file), { force: true, recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(world.state, null, 2)}\n`, 'utf8');
  // The true pairs: read by tests and the bench to measure discover, never by the fakes or the tool.
  if (world.truth) writeFileSync(path.join(dir, 'truth.json'), `${JSON.stringify({ pairs: world.truth }, null, 1)}\n`, { encoding: 'utf8', mode: 0o600 });
  if (world.faults) writeFileSync(path.join(dir, 'faults.json'), `${JSON.stringify(world.faults, null, 2)}\n`, 'utf8');
  // The simulated tenant signs in like an admin at a console (delegated), so every feature reads.
  const config = { cloud: 'graph', graph: { auth: 'interactive' }, syncServer: { computerName: 'local' } };
  writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`, 'utf8');
  const batchFile = path.join(dir, 'users.csv');
  const rows = world.batch.map((row) => ({ ...row, create: row.create ? 'yes' : 'no' }));
  writeFileSync(batchFile, stringify(rows, { header: true, columns: [...BATCH_COLUMNS] }), 'utf8');
  return {
    dir,
    scenario,
    stateFile,
    batchFile,
    tenantUsers: world.state.tenant.users.length,
    adUsers: world.state.forest.users.length,
    batchUsers: world.batch.length,
  };
}
