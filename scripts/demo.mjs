#!/usr/bin/env node
// npm run demo [-- --json]: a simulator in a temporary folder, then plan and apply on its
// happy-path batch, through the real CLI. Nothing outside the temporary folder is touched.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const json = process.argv.includes('--json');
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'upn-match.js');
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
if (code === 0) code = run(['apply', '--sim', dir, '--csv', csv, '--yes', ...(json ? ['--json'] : [])], { show: true });
if (!json) console.log(`\nThe simulator is in ${dir} (state.json, calls.jsonl, work/).`);
process.exit(code);
