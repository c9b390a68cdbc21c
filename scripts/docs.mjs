#!/usr/bin/env node
// Writes docs/reference.md from the registries (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { referencePage } from '../dist/lib/docs.js';
writeFileSync(new URL('../docs/reference.md', import.meta.url), referencePage(), 'utf8');
console.log('docs/reference.md written');
