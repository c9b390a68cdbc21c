// The step records against the scripts they name, and the doctor's module list derived from them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { MODULES, REMEDY, requiredModules } from '../../../lib/cli/commands/doctor.js';
import { parseConfig } from '../../../lib/config.js';
import { psDir } from '../../../lib/paths.js';
import { steps, type AnyStep } from '../../../lib/steps/registry.js';

const records = Object.values(steps) as AnyStep[];
const script = (step: AnyStep) => readFileSync(path.join(psDir, step.script), 'utf8');

// The UpnMatch.Directory helpers that import a module for the script that calls them.
const HELPER_MODULES: Record<string, string> = {
  'Connect-UpnMatchGraph': 'Microsoft.Graph.Authentication',
  'Invoke-UpnMatchOnSyncServer': 'ADSync',
};
const BATCH_HELPERS = /\b(Invoke-UpnMatchGraphBatch|Get-UpnMatchGraphCollections)\b/;

describe('steps: registry', () => {
  it("names each step's script, which exists under ps/", () => {
    for (const step of records) expect(existsSync(path.join(psDir, step.script)), step.script).to.equal(true);
  });

  it('has exactly one record per ps/steps/*.ps1', () => {
    const files = readdirSync(path.join(psDir, 'steps')).filter((f) => f.endsWith('.ps1')).map((f) => `steps/${f}`);
    expect(records.map((s) => s.script).sort()).to.deep.equal(files.sort());
  });

  it('has unique step ids', () => {
    expect(new Set(records.map((s) => s.id)).size).to.equal(records.length);
  });

  it('names exactly the modules each script imports, directly or through a helper', () => {
    for (const step of records) {
      const text = script(step);
      const imported = new Set<string>();
      // A literal name only: the bundled module is imported by path, Test-ModuleAvailability by variable.
      for (const m of text.matchAll(/Import-Module\s+(?:-Name\s+)?([A-Za-z][\w.]*)/g)) imported.add(m[1]!);
      for (const [helper, module] of Object.entries(HELPER_MODULES)) if (text.includes(helper)) imported.add(module);
      expect([...step.modules].sort(), step.id).to.deep.equal([...imported].sort());
    }
  });

  it("names exactly the Graph routes the script's text holds, and POST /$batch when it uses a batch helper", () => {
    for (const step of records) {
      const text = script(step);
      const routes = new Set(step.graphRoutes);
      expect(routes.has('POST /$batch'), step.id).to.equal(BATCH_HELPERS.test(text));
      for (const route of routes) {
        expect(route, step.id).to.match(/^(GET|POST|PATCH|DELETE) \/\S+$/);
        if (route === 'POST /$batch') continue;
        const [method, routePath] = route.split(' ') as [string, string];
        if (method !== 'GET') expect(text, `${step.id}: ${route}`).to.contain(`-Method ${method}`);
        // Each literal piece of the path (around {placeholders}) is in the script's URL strings.
        for (const piece of routePath.split(/\{[^}]+\}/).filter(Boolean)) expect(text, `${step.id}: ${route}`).to.contain(piece);
      }
      // And the other way: every quoted Graph path in the script is (a piece of) a listed route.
      const pieces = new Set([...routes].flatMap((r) => r.slice(r.indexOf(' ') + 1).split(/\{[^}]+\}/)));
      for (const m of text.matchAll(/'(\/[^'?\s]*)/g)) expect([...pieces], `${step.id} calls ${m[1]}`).to.include(m[1]);
      // A Graph route needs the Graph module.
      if (step.graphRoutes.length > 0) expect(step.modules, step.id).to.include('Microsoft.Graph.Authentication');
    }
  });

  it('reads and changes the tenant features through Graph only: no MSOnline (retired 2025) and nothing that prompts in any script', () => {
    expect(steps.tenantFacts.graphRoutes).to.include('GET /directory/onPremisesSynchronization');
    expect(steps.enableFeature.graphRoutes).to.include('PATCH /directory/onPremisesSynchronization/{id}');
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === 'sim' ? [] : files(path.join(dir, e.name))) : /\.ps[dm]?1$/.test(e.name) ? [path.join(dir, e.name)] : []));
    for (const file of files(psDir)) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).to.not.match(/MSOnline|-Msol|Read-Host|Get-Credential|PromptForChoice|\$Host\.UI\.Prompt/i);
    }
  });
});

describe('doctor: modules from the step records', () => {
  it('has a remedy for every module a step record names, and none for a module no record names', () => {
    const named = new Set(records.flatMap((s) => s.modules));
    for (const module of named) expect(REMEDY, module).to.have.property(module).that.is.a('string').and.not.empty;
    expect(Object.keys(REMEDY).sort()).to.deep.equal([...named].sort());
    expect([...MODULES].sort()).to.deep.equal([...named].sort());
  });

  const needed = (config: unknown) => requiredModules(parseConfig(config)).sort();

  it('needs AD, Graph and ADSync by default (graph, sync server local)', () => {
    expect(needed({})).to.deep.equal(['ADSync', 'ActiveDirectory', 'Microsoft.Graph.Authentication']);
  });

  it('does not need ADSync here when the sync server is remote', () => {
    expect(needed({ syncServer: { computerName: 'aadc01' } })).to.deep.equal(['ActiveDirectory', 'Microsoft.Graph.Authentication']);
  });

  it('does not need ADSync in the tool\'s own host when the ADSync steps get a host of their own (Windows PowerShell 5.1)', () => {
    expect(requiredModules(parseConfig({}), true).sort()).to.deep.equal(['ActiveDirectory', 'Microsoft.Graph.Authentication']);
  });

  it("needs ADSync for 'localhost', which the scripts run here as for 'local'", () => {
    expect(needed({ syncServer: { computerName: 'LocalHost' } })).to.include('ADSync');
    expect(needed({ syncServer: {} })).to.include('ADSync');
  });
});
