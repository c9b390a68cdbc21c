// lib/ is in layers with the arrows down: cli/ (parse, call, render) → workflow/ → checks/ and steps/ → bridge/
// (the only code that starts PowerShell). A module never imports one from a layer above its own; the files at the
// top of lib/ (paths, log, codes, …) and the shared folders (batch/, report/, discover/, sim/) sit below cli/.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../lib/paths.js';

const lib = path.join(projectRoot, 'lib');

/** Folders a module in each layer must not import from (anything in lib/ that is not listed is free). */
const ABOVE: Record<string, string[]> = {
  bridge: ['cli', 'workflow', 'checks', 'steps', 'batch', 'report', 'discover', 'sim'],
  checks: ['cli', 'workflow', 'steps', 'bridge'],
  steps: ['cli', 'workflow', 'checks'],
  workflow: ['cli'],
  batch: ['cli', 'workflow'],
  report: ['cli'],
  discover: ['cli'],
  sim: ['cli'],
  '.': ['cli', 'workflow'],
};

function* modules(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* modules(full);
    else if (entry.name.endsWith('.ts')) yield full;
  }
}

describe('lib layers', () => {
  it('no module imports from a layer above its own', () => {
    const wrong: string[] = [];
    for (const file of modules(lib)) {
      const relative = path.relative(lib, file);
      const layer = relative.includes(path.sep) ? relative.split(path.sep)[0]! : '.';
      const forbidden = ABOVE[layer] ?? [];
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)) {
        const target = path.relative(lib, path.resolve(path.dirname(file), spec!));
        const targetLayer = target.includes(path.sep) ? target.split(path.sep)[0]! : '.';
        if (targetLayer !== layer && forbidden.includes(targetLayer)) wrong.push(`${relative} imports ${target}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });
});
