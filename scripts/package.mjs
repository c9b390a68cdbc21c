#!/usr/bin/env node
// npm run package [-- --out DIR] [-- --with-sim]: a self-contained release for a server without internet.
// It holds the built JavaScript, the production node_modules, ps/ (without the simulator's fakes unless
// --with-sim), the Task Scheduler script, the docs and SHA256SUMS; next to the folder, a zip and its
// checksum. Unpacked anywhere, `node bin/upn-match.js` runs with no npm and no network.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const withSim = args.includes('--with-sim');
const outIndex = args.indexOf('--out');
const outDir = path.resolve(outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1] : path.join(root, 'release'));
const { name, version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const releaseName = `${name}-${version}${withSim ? '-sim' : ''}`;
const release = path.join(outDir, releaseName);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function step(text) {
  console.log(`package: ${text}`);
}

/** Every file under dir, as paths relative to it with forward slashes, sorted (stable checksums and zip). */
function filesUnder(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesUnder(path.join(dir, entry.name), relative));
    else if (entry.isFile()) out.push(relative);
  }
  return out.sort();
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

rmSync(release, { recursive: true, force: true });
rmSync(`${release}.zip`, { force: true });
mkdirSync(release, { recursive: true });

// A fresh build in a temporary folder: a stale file in dist/ must never ship.
step('building the JavaScript');
const build = mkdtempSync(path.join(os.tmpdir(), 'upn-match-build-'));
try {
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root, '--outDir', build, '--sourceMap', 'false'], { stdio: 'inherit' });
  cpSync(path.join(build, 'lib'), path.join(release, 'dist', 'lib'), { recursive: true });
} finally {
  rmSync(build, { recursive: true, force: true });
}

step(`copying the scripts${withSim ? ' and the simulator' : ''}`);
const simDir = path.join(root, 'ps', 'sim');
cpSync(path.join(root, 'ps'), path.join(release, 'ps'), {
  recursive: true,
  filter: (source) => withSim || !(source === simDir || source.startsWith(simDir + path.sep)),
});
cpSync(path.join(root, 'bin'), path.join(release, 'bin'), { recursive: true });
cpSync(path.join(root, 'docs'), path.join(release, 'docs'), { recursive: true });
mkdirSync(path.join(release, 'scripts'));
const scripts = ['Register-UpnMatchTask.ps1', ...(withSim ? ['demo.mjs'] : [])];
for (const file of scripts) cpSync(path.join(root, 'scripts', file), path.join(release, 'scripts', file));
for (const file of ['README.md', 'package.json', 'package-lock.json']) cpSync(path.join(root, file), path.join(release, file));

// The installed tree, then npm removes the dev dependencies offline: exactly the lockfile's production
// packages, without downloading anything. node_modules may be a link (worktrees): copy what it points to.
step('copying the production node_modules');
cpSync(path.join(root, 'node_modules'), path.join(release, 'node_modules'), { recursive: true, dereference: true });
execFileSync(npm, ['prune', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
  cwd: release,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
rmSync(path.join(release, 'node_modules', '.bin'), { recursive: true, force: true });
for (const entry of readdirSync(path.join(release, 'node_modules'))) {
  const dir = path.join(release, 'node_modules', entry);
  if (statSync(dir).isDirectory() && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

step('writing SHA256SUMS');
const files = filesUnder(release);
writeFileSync(path.join(release, 'SHA256SUMS'), files.map((file) => `${sha256(path.join(release, file))}  ${file}\n`).join(''));

step('writing the zip');
const entries = {};
for (const file of filesUnder(release)) entries[`${releaseName}/${file}`] = readFileSync(path.join(release, file));
writeFileSync(`${release}.zip`, zipSync(entries, { level: 9 }));
writeFileSync(`${release}.zip.sha256`, `${sha256(`${release}.zip`)}  ${releaseName}.zip\n`);

if (!existsSync(path.join(release, 'dist', 'lib', 'cli', 'main.js'))) throw new Error('package: the build produced no dist/lib/cli/main.js');
console.log(`package: ${release} (${files.length} files) and ${release}.zip`);
