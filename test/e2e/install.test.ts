// Install without internet: the production install needs no dev dependency, and the release package
// (`npm run package`) runs unpacked elsewhere with node alone: no npm on PATH, no compiler, no network.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { unzipSync } from 'fflate';
import { projectRoot } from '../../lib/paths.js';
import { resolveTestHost } from '../helpers/host.js';
import { tempDir } from './cli.js';

const version = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).version as string;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** A bare environment: PATH names no folder (npm cannot be found); Windows processes still need SystemRoot. */
const bare = (home: string) => ({ PATH: '', HOME: home, USERPROFILE: home, ...(process.env.SystemRoot ? { SystemRoot: process.env.SystemRoot } : {}) });

/** Builds a release into a temporary folder and unpacks its zip into another one; returns the unpacked root. */
async function packageAndUnpack(extra: string[]): Promise<{ folder: string; unpacked: string }> {
  const out = tempDir('upn-match-release-');
  const result = await execa(process.execPath, [path.join(projectRoot, 'scripts', 'package.mjs'), '--out', out, ...extra], { reject: false, timeout: 300_000 });
  expect(result.exitCode, String(result.stderr)).to.equal(0);
  const name = `upn-match-${version}${extra.includes('--with-sim') ? '-sim' : ''}`;
  const zip = readFileSync(path.join(out, `${name}.zip`));
  const [recorded] = readFileSync(path.join(out, `${name}.zip.sha256`), 'utf8').split(/\s+/);
  expect(createHash('sha256').update(zip).digest('hex')).to.equal(recorded);
  const target = tempDir('upn-match-unpacked-');
  for (const [entry, bytes] of Object.entries(unzipSync(zip))) {
    if (entry.endsWith('/')) continue;
    const file = path.join(target, ...entry.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  rmSync(path.join(out, name), { recursive: true, force: true });
  return { folder: out, unpacked: path.join(target, name) };
}

/** Runs the unpacked CLI with node only: PATH names no folder at all, so npm cannot be found. */
async function runUnpacked(root: string, args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [path.join(root, 'bin', 'upn-match.js'), ...args], {
    cwd: root,
    env: { ...bare(root), ...env },
    extendEnv: false,
    reject: false,
    timeout: 180_000,
  });
}

describe('install without internet', function () {
  this.timeout(600_000);

  it('npm ci --omit=dev succeeds on a copy of the repository: no compiler, no build, production packages only', async () => {
    const copy = tempDir('upn-match-ci-');
    const tracked = (await execa('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: projectRoot })).stdout.split('\0').filter(Boolean);
    for (const file of tracked) {
      if (!existsSync(path.join(projectRoot, file))) continue;
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      cpSync(path.join(projectRoot, file), path.join(copy, file));
    }
    // --prefer-offline: packages come from npm's cache when it has them (a machine that ran `npm ci`).
    const result = await execa(npm, ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: copy,
      reject: false,
      timeout: 300_000,
      shell: process.platform === 'win32',
    });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).to.equal(0);
    expect(existsSync(path.join(copy, 'node_modules', 'yargs', 'package.json'))).to.equal(true);
    expect(existsSync(path.join(copy, 'node_modules', 'typescript'))).to.equal(false);
    expect(existsSync(path.join(copy, 'dist'))).to.equal(false);
    expect(String(result.stdout)).to.contain('not building');
  });

  it('npm run package: the unpacked release runs --help and doctor with node alone, and ships no simulator', async () => {
    const { unpacked } = await packageAndUnpack([]);
    expect(existsSync(path.join(unpacked, 'ps', 'sim'))).to.equal(false);
    expect(existsSync(path.join(unpacked, 'ps', 'steps', 'Get-CloudFacts.ps1'))).to.equal(true);
    expect(existsSync(path.join(unpacked, 'scripts', 'Register-UpnMatchTask.ps1'))).to.equal(true);
    expect(existsSync(path.join(unpacked, 'dist', 'test'))).to.equal(false);
    expect(existsSync(path.join(unpacked, 'node_modules', 'zod', 'package.json'))).to.equal(true);
    for (const dev of ['typescript', 'mocha', 'chai', 'sinon', 'fflate']) expect(existsSync(path.join(unpacked, 'node_modules', dev)), dev).to.equal(false);

    // Every shipped file is listed in SHA256SUMS with its hash.
    const sums = readFileSync(path.join(unpacked, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums.length).to.be.greaterThan(100);
    for (const line of sums) {
      const [hash, file] = line.split(/ {2}/);
      expect(createHash('sha256').update(readFileSync(path.join(unpacked, file!))).digest('hex'), file).to.equal(hash);
    }

    const help = await runUnpacked(unpacked, ['--help']);
    expect(help.exitCode, String(help.stderr)).to.equal(0);
    expect(String(help.stdout)).to.contain('upn-match <command>');

    const doctor = await runUnpacked(unpacked, ['doctor', '--json'], { UPN_MATCH_POWERSHELL: await resolveTestHost() });
    // This machine has none of the real modules: doctor runs, finds the host, and says what is missing (exit 6).
    expect(doctor.exitCode, String(doctor.stderr)).to.equal(6);
    const report = JSON.parse(String(doctor.stdout));
    expect(report.hosts[0].version).to.match(/^\d+\.\d+/);
    expect(report.modules.map((m: { name: string }) => m.name)).to.include('ActiveDirectory');
  });

  it('npm run package -- --with-sim: the unpacked release runs the demo on the simulator with node alone', async () => {
    const { unpacked } = await packageAndUnpack(['--with-sim']);
    expect(existsSync(path.join(unpacked, 'ps', 'sim', 'Modules'))).to.equal(true);
    const demo = await execa(process.execPath, [path.join(unpacked, 'scripts', 'demo.mjs'), '--json'], {
      cwd: unpacked,
      env: { ...bare(unpacked), UPN_MATCH_POWERSHELL: await resolveTestHost(), UPN_MATCH_SIM_SYNC_MS: '300' },
      extendEnv: false,
      reject: false,
      timeout: 300_000,
    });
    expect(demo.exitCode, String(demo.stderr)).to.equal(0);
    const report = JSON.parse(String(demo.stdout));
    expect(report.users.length).to.be.greaterThan(0);
    expect(report.users.every((u: { outcome: string }) => u.outcome === 'matched')).to.equal(true);
  });
});
