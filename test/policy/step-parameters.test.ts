// Every input a step record sends is a parameter its script declares: a script whose param() block lags behind
// the registry (e.g. a sign-in parameter renamed in one place) fails at run time with "A parameter cannot be found".
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { psDir } from '../../lib/paths.js';
import { steps } from '../../lib/steps/registry.js';

/** The names declared in a script's top-level param( ... ) block. */
function declaredParameters(script: string): Set<string> {
  const text = readFileSync(path.join(psDir, script), 'utf8');
  const start = text.search(/^param\s*\(/im);
  expect(start, `${script} has a param() block`).to.be.greaterThan(-1);
  let depth = 0;
  let end = start;
  for (let i = text.indexOf('(', start); i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  const names = [...text.slice(start, end).matchAll(/\$([A-Za-z][A-Za-z0-9]*)\s*(?:=|,|\r?\n|$)/g)].map((m) => m[1]!.toLowerCase());
  // -WhatIf and -Confirm are PowerShell's own for a script with SupportsShouldProcess.
  if (/SupportsShouldProcess\s*=\s*\$true/i.test(text)) names.push('whatif', 'confirm');
  return new Set(names);
}

describe('policy: step records and their scripts', () => {
  for (const step of Object.values(steps)) {
    it(`${step.script} declares every input of the step ${step.id}`, () => {
      const input = step.input as unknown as z.ZodObject<z.ZodRawShape>;
      const declared = declaredParameters(step.script);
      const missing = Object.keys(input.shape).filter((key) => !declared.has(key.toLowerCase()));
      expect(missing, `parameters the registry sends but ${step.script} does not declare`).to.deep.equal([]);
    });
  }
});
