// The precondition checks: pure functions of the facts and the batch, run from one rule registry.
export { evaluate, analyseKeys, predictMatch, overwritesOf, PASSWORD_OVERWRITE } from './evaluate.js';
export { buildIndex, type FactsIndex } from './facts-index.js';
export { rules, rulesByCode, describeObject } from './registry.js';
export {
  upnProblems,
  samAccountNameProblems,
  UPN_MAX_LENGTH,
  UPN_PREFIX_MAX_LENGTH,
  UPN_DOMAIN_MAX_LENGTH,
  SAM_MAX_LENGTH,
} from './names.js';
export type * from './types.js';
