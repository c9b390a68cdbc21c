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
  /** The feature turned on, and whether it was off before. */
  changed: { feature: string; changed: boolean } | null;
  /** Where the features were recorded (null when they could not be read). */
  recordFile: string | null;
}

export async function runFeature(deps: EngineDeps, action: FeatureAction, options: { config: Config; workDir: string }): Promise<FeatureResult> {
  const signIn = graphSignIn(options.config);
  let changed: FeatureResult['changed'] = null;
  if (action !== 'show') {
    const feature = action === 'block-soft-match' ? 'blockSoftMatchEnabled' : 'softMatchOnUpnEnabled';
    const out = await deps.io.run(steps.enableFeature, { Feature: feature, Enable: true, Cloud: options.config.cloud, ...signIn });
    changed = { feature, changed: out.changed };
    deps.log?.('info', `${feature}: ${out.changed ? 'turned on' : 'was already on'}`);
  }
  const tenant = await deps.io.run(steps.tenantFacts, { Cloud: options.config.cloud, ...signIn });
  if (!tenant.features || !tenant.featuresReadAt) return { tenant, changed, recordFile: null };
  const record: FeatureRecord = { tenantId: tenant.tenantId, readAt: tenant.featuresReadAt, features: tenant.features };
  const file = featureRecordFile(options.workDir);
  ensurePrivateDir(options.workDir);
  writePrivateFile(file, `${JSON.stringify(record, null, 2)}\n`);
  return { tenant, changed, recordFile: file };
}
