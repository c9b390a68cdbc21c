#!/usr/bin/env node
// The upn-match command (compiled TypeScript lives in dist/; `npm ci` builds it).
import('../dist/lib/cli/main.js').catch((error) => {
  console.error(`upn-match: cannot start (${error.message}); run "npm ci" or "npm run build" first`);
  process.exit(70);
});
