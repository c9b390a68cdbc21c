// The tenant's directory-sync features: show them, turn one on, and keep what was read in the work folder
// (the feature record), for later app-only runs that Graph does not let read them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { TenantFacts } from '../facts.js';
import { steps } from '../steps/registry.js';
import { graphSignIn, type FeatureRecord } from './collector.js';
import type { EngineDeps } from './deps.js';
import { ensurePrivateDir, readOwnFile, writePrivateFile } from './work-dir.js';

export type FeatureAction = 'show' | 'enable-upn-soft-match' | 'block-soft-match';

export function featureRecordFile(workDir: string): string {
  return path.join(workDir, 'feature-record.json');
}

export function readFeatureRecord(workDir: string): FeatureRecord | null {
  const file = featureRecordFile(workDir);
  return existsSync(file) ? (JSON.parse(readOwnFile(file)) as FeatureRecord) : null;
}

export interface FeatureResult {
  tenant: TenantFacts;
  /** The feature turned on (with --what-if: to turn on), and whether it was off before; null for `show` or when declined. */
  changed: { feature: string; changed: boolean } | null;
  whatIf: boolean;
  /** The admin said no at the prompt: nothing was changed. */
  declined: boolean;
  /** Where the features were recorded (null when they could not be read). */
  recordFile: string | null;
}

export interface FeatureOptions {
  config: Config;
  workDir: string;
  /** Run the change with -WhatIf: say what would change, change nothing, record nothing. */
  whatIf?: boolean;
  /** Asked before a change (a prompt, or --yes); not with --what-if. */
  confirm?: (feature: string) => Promise<boolean>;
}

const FEATURES: Record<Exclude<FeatureAction, 'show'>, 'softMatchOnUpnEnabled' | 'blockSoftMatchEnabled'> = {
  'enable-upn-soft-match': 'softMatchOnUpnEnabled',
  'block-soft-match': 'blockSoftMatchEnabled',
};

export async function runFeature(deps: EngineDeps, action: FeatureAction, options: FeatureOptions): Promise<FeatureResult> {
  const signIn = graphSignIn(options.config);
  const whatIf = Boolean(options.whatIf);
  let changed: FeatureResult['changed'] = null;
  let declined = false;
  if (action !== 'show') {
    const feature = FEATURES[action];
    if (!whatIf && options.confirm && !(await options.confirm(feature))) declined = true;
    else {
      const out = await deps.io.run(steps.enableFeature, { Feature: feature, Enable: true, WhatIf: whatIf, ...signIn });
      changed = { feature, changed: out.changed };
      if (!whatIf) deps.log?.('info', `${feature}: ${out.changed ? 'turned on' : 'was already on'}`);
    }
  }
  const tenant = await deps.io.run(steps.tenantFacts, { ...signIn });
  // -WhatIf changes nothing, so the step cannot tell: the feature would change when it is off now.
  if (whatIf && changed) changed = { ...changed, changed: tenant.features ? !tenant.features[changed.feature as keyof typeof tenant.features] : true };
  if (whatIf || !tenant.features || !tenant.featuresReadAt) return { tenant, changed, whatIf, declined, recordFile: null };
  const record: FeatureRecord = { tenantId: tenant.tenantId, readAt: tenant.featuresReadAt, features: tenant.features };
  const file = featureRecordFile(options.workDir);
  ensurePrivateDir(options.workDir);
  writePrivateFile(file, `${JSON.stringify(record, null, 2)}\n`);
  return { tenant, changed, whatIf, declined, recordFile: file };
}
