#!/usr/bin/env node
// npm run demo [-- --json]: a simulator in a temporary folder, then plan and apply on its
// happy-path batch, through the real CLI. Nothing outside the temporary folder is touched.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const json = process.argv.includes('--json');
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'upn-match.js');

/** The build is current when its entry point is newer than every source file of lib/ (`npm ci` builds it). */
function buildIsCurrent() {
  const built = path.join(root, 'dist', 'lib', 'cli', 'main.js');
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  const newer = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? newer(path.join(dir, e.name)) : e.name.endsWith('.ts') && statSync(path.join(dir, e.name)).mtimeMs > builtAt));
  // A release ships the built JavaScript without the TypeScript sources: its build is the one it came with.
  return !existsSync(path.join(root, 'lib')) || !newer(path.join(root, 'lib'));
}
if (!buildIsCurrent()) {
  if (!json) console.log('Building (lib/ changed since the last build)...');
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 70);
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-demo-'));
const csv = path.join(dir, 'users.csv');

function run(args, { show }) {
  if (!json) console.log(`\n$ upn-match ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (show) process.stdout.write(result.stdout);
  return result.status ?? 70;
}

let code = run(['sim', 'init', dir, '--scenario', 'happy-path'], { show: !json });
if (code === 0) code = run(['plan', '--sim', dir, '--csv', csv, ...(json ? ['--json'] : [])], { show: !json });
const html = path.join(dir, 'report.html');
if (code === 0) code = run(['apply', '--sim', dir, '--csv', csv, '--yes', '--html', html, ...(json ? ['--json'] : [])], { show: true });
if (!json) console.log(`\nThe simulator is in ${dir} (state.json, calls.jsonl, work/); the HTML report is ${html}.`);
process.exit(code);
