// Where the project's own files are, wherever it is installed or compiled to.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'ps'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`upn-match: cannot find the project folder above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const psDir = path.join(projectRoot, 'ps');
