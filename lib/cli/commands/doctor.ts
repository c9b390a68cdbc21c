// upn-match doctor: which PowerShell hosts this machine has, and whether the modules the chosen
// mode needs can be imported, through the bridge.
import type { Argv } from 'yargs';
import { BridgeError } from '../../bridge/errors.js';
import { hostCandidates, resolveHostSync, type HostCandidate, type StepHostChoice } from '../../bridge/hosts.js';
import type { Config } from '../../config.js';
import { remoteSyncServer, runStep, steps, type ModuleStatus } from '../../steps/registry.js';
import { createContext, newProcessRunner, type GlobalOptions } from '../context.js';
import { EXIT } from '../../exit-codes.js';
import { graphSignIn } from '../../workflow/collector.js';

/** Every module a step record names, for any config: the module check reports them all. */
export const MODULES: readonly string[] = [
  ...new Set(Object.values(steps).flatMap((s) => s.modules)),
];

/** How to get each module; a test fails when a step record names a module without one. */
export const REMEDY: Readonly<Record<string, string>> = {
  ActiveDirectory:
    'install RSAT: Install-WindowsFeature RSAT-AD-PowerShell (Windows Server) or Add-WindowsCapability -Online -Name Rsat.ActiveDirectory.DS-LDS.Tools~~~~0.0.1.0 (Windows client)',
  'Microsoft.Graph.Authentication': 'Install-Module Microsoft.Graph.Authentication -Scope AllUsers',
  ADSync: 'run upn-match on the Entra Connect server, or set syncServer.computerName in the config: ADSync comes with Microsoft Entra Connect',
};

/**
 * The modules the tool's own host needs for the config: its steps' modules, and the ADSync steps' when they run
 * in it (not on a remote server, not in a host of their own: `desktopSeparate`).
 */
export function requiredModules(config: Config, desktopSeparate = false): string[] {
  // Invoke-UpnMatchOnSyncServer imports ADSync here for 'local' and 'localhost', else on the remote server.
  const syncHere = remoteSyncServer(config.syncServer?.computerName) === undefined;
  const needed = new Set<string>();
  for (const step of Object.values(steps)) {
    if (step.edition === 'Desktop' && (!syncHere || desktopSeparate)) continue;
    for (const name of step.modules) needed.add(name);
  }
  return [...needed];
}

/** The modules of the steps that need Windows PowerShell 5.1 (the ADSync steps). */
const DESKTOP_STEPS = Object.values(steps).filter((s) => s.edition === 'Desktop');
const DESKTOP_MODULES = [...new Set(DESKTOP_STEPS.flatMap((s) => s.modules))];

export interface StepGroupHost {
  group: string;
  steps: string[];
  /** The PowerShell that runs them, or the remote server that does. */
  host: string;
  why: string;
  /** Where the group's modules were checked: this host, the group's own host, or the remote server. */
  modules: (ModuleStatus & { remedy: string | null })[];
}

/** The application permission each read of the first Graph call needs (Get-TenantFacts' batch ids). */
export const READ_PERMISSION: Readonly<Record<string, string>> = {
  organization: 'Organization.Read.All',
  domains: 'Domain.Read.All',
  roles: 'RoleManagement.Read.Directory',
};

export interface DoctorReport {
  ok: boolean;
  /** With --config: the Graph sign-in and the first read, as a scheduled run would do them. */
  graph: { signedIn: boolean; tenantId: string | null; error: string | null; missingPermission: string | null } | null;
  simulator: boolean;
  hosts: { path: string; source: string; edition: string | null; version: string | null; error: string | null }[];
  host: string | null;
  modules: (ModuleStatus & { required: boolean; remedy: string | null })[];
  /** Which host each group of steps uses (the ADSync steps may use Windows PowerShell 5.1 or the remote server), with its modules. */
  stepHosts: StepGroupHost[];
  problems: string[];
}

async function probe(candidate: HostCandidate) {
  try {
    const info = await runStep(await newProcessRunner({ host: candidate }), steps.hostInfo, {});
    return { path: candidate.path, source: candidate.source, edition: info.data.edition, version: info.data.version, error: null };
  } catch (error) {
    return { path: candidate.path, source: candidate.source, edition: null, version: null, error: (error as Error).message };
  }
}

export async function runDoctor(options: GlobalOptions): Promise<DoctorReport> {
  const context = createContext(options);
  const candidates = hostCandidates(context.hostEnvironment, context.config.powershell);
  const hosts = await Promise.all(candidates.map(probe));
  const problems: string[] = [];
  let chosen: HostCandidate | undefined;
  try {
    chosen = resolveHostSync(context.hostEnvironment, context.config.powershell);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const desktop = chosen ? context.desktopHost() : undefined;
  const required = new Set(requiredModules(context.config, desktop?.separate));
  let modules: DoctorReport['modules'] = [];
  const stepHosts: StepGroupHost[] = [];
  if (chosen) {
    try {
      const result = await runStep(await newProcessRunner(context.runnerOptions()), steps.moduleCheck, { Name: [...MODULES] });
      modules = result.data.modules.map((m) => ({
        ...m,
        required: required.has(m.name),
        remedy: m.importable ? null : REMEDY[m.name] ?? null,
      }));
      for (const m of modules) {
        if (m.required && !m.importable) problems.push(`module ${m.name} cannot be imported: ${m.remedy}`);
      }
    } catch (error) {
      problems.push(error instanceof BridgeError ? `the module check failed: ${error.message}` : String(error));
    }
    const others = Object.values(steps).filter((s) => s.edition === undefined && s.modules.length > 0);
    stepHosts.push({ group: 'AD and Graph steps', steps: others.map((s) => s.id), host: chosen.path, why: 'the tool\'s own host', modules: modules.filter((m) => others.some((s) => s.modules.includes(m.name))) });
    if (desktop) stepHosts.push(await checkDesktopHost(context, desktop, modules, problems));
  }
  const graph = chosen && options.config ? await tryGraph(context, problems) : null;
  return { ok: problems.length === 0, simulator: Boolean(options.sim), graph, hosts, host: chosen?.path ?? null, modules, stepHosts, problems };
}

/** The ADSync steps' host, and their modules checked where they will load: that host, or the remote server. */
async function checkDesktopHost(context: ReturnType<typeof createContext>, desktop: StepHostChoice, local: DoctorReport['modules'], problems: string[]): Promise<StepGroupHost> {
  const remote = remoteSyncServer(context.config.syncServer?.computerName);
  const group = { group: 'ADSync steps', steps: DESKTOP_STEPS.map((s) => s.id), host: remote ? `${remote} (Invoke-Command)` : desktop.host.path, why: desktop.why };
  if (!remote && !desktop.separate) return { ...group, modules: local.filter((m) => DESKTOP_MODULES.includes(m.name)) };
  const where = remote ? `on ${remote}` : `in ${desktop.host.path}`;
  try {
    const options = context.runnerOptions();
    const runner = await newProcessRunner(remote ? options : { ...options, host: desktop.host });
    const result = await runStep(runner, steps.moduleCheck, { Name: DESKTOP_MODULES, ...(remote ? { ComputerName: remote } : {}) });
    const modules = result.data.modules.map((m) => ({ ...m, remedy: m.importable ? null : REMEDY[m.name] ?? null }));
    for (const m of modules) if (!m.importable) problems.push(`module ${m.name} cannot be imported ${where}: ${m.remedy}`);
    return { ...group, modules };
  } catch (error) {
    problems.push(error instanceof BridgeError ? `the module check ${where} failed: ${error.message}` : String(error));
    return { ...group, modules: [] };
  }
}

/** Signs in as the config says and reads the tenant (the first call of every run); names a missing permission. */
async function tryGraph(context: ReturnType<typeof createContext>, problems: string[]): Promise<NonNullable<DoctorReport['graph']>> {
  try {
    const facts = await runStep(await newProcessRunner(context.runnerOptions()), steps.tenantFacts, graphSignIn(context.config));
    return { signedIn: true, tenantId: facts.data.tenantId, error: null, missingPermission: null };
  } catch (error) {
    if (!(error instanceof BridgeError)) throw error;
    const denied = error.code === 'GraphRequestFailed' && /\b40[13]\b/.test(error.message) ? READ_PERMISSION[error.target ?? ''] ?? null : null;
    const signedIn = !['GraphLoginFailed', 'GraphConfigMissing', 'GraphCertificateNotFound'].includes(error.code);
    problems.push(denied ? `Graph: the app lacks the permission ${denied} (${error.message})` : `Graph: ${error.code}: ${error.message}`);
    return { signedIn, tenantId: null, error: `${error.code}: ${error.message}`, missingPermission: denied };
  }
}

function render(report: DoctorReport): string {
  const lines = ['PowerShell hosts:'];
  if (report.hosts.length === 0) lines.push('  (none found)');
  for (const h of report.hosts) {
    const mark = h.path === report.host ? '*' : ' ';
    lines.push(`  ${mark} ${h.path} [${h.source}] ${h.error ? `ERROR ${h.error}` : `${h.edition} ${h.version}`}`);
  }
  if (report.modules.length > 0) {
    lines.push(`Modules${report.simulator ? ' (simulator)' : ''}:`);
    for (const m of report.modules) {
      const state = m.importable ? `ok ${m.version ?? ''}`.trim() : m.installed ? 'installed, does not import' : 'missing';
      lines.push(`  ${m.required ? 'needed  ' : 'optional'} ${m.name.padEnd(32)} ${state}`);
    }
  }
  if (report.stepHosts.length > 0) {
    lines.push('Steps and their host:');
    for (const g of report.stepHosts) {
      const state = g.modules.map((m) => `${m.name} ${m.importable ? 'ok' : 'missing'}`).join(', ');
      lines.push(`  ${g.group} (${g.steps.join(', ')}): ${g.host} (${g.why})${state ? `; ${state}` : ''}`);
    }
  }
  if (report.graph) {
    lines.push(`Graph: ${report.graph.signedIn ? 'signed in' : 'sign-in failed'}${report.graph.tenantId ? `, tenant ${report.graph.tenantId} read` : ''}`);
  }
  lines.push(report.ok ? 'Ready.' : 'Not ready:');
  for (const p of report.problems) lines.push(`  - ${p}`);
  return lines.join('\n');
}

export function doctorCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command(
    'doctor',
    'List PowerShell hosts, check that the modules the chosen mode needs can be imported, and with --config sign in to Graph and read the tenant',
    (y) => y.example('$0 doctor', 'on the server: which PowerShell hosts and modules are there').example('$0 doctor --sim ./lab', 'the same against a simulator folder'),
    async (argv) => {
      const report = await runDoctor(argv);
      console.log(argv.json ? JSON.stringify(report, null, 2) : render(report));
      process.exitCode = report.ok ? EXIT.ok : EXIT.environment;
    },
  );
}
