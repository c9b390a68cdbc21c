#!/usr/bin/env node
// npm's prepare hook: a development install (`npm ci`) builds dist/. A production install
// (`npm ci --omit=dev`) has no TypeScript compiler and skips the build: servers get the built
// JavaScript from the release package (`npm run package`), not from a compiler.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (existsSync(tsc)) {
  execFileSync(process.execPath, [tsc, '-p', root], { stdio: 'inherit' });
} else {
  console.log('upn-match: no TypeScript compiler (production install): not building; use a release package built with "npm run package"');
}
