// Every precondition check, one record each: a stable code, its severity and scope, a title and the
// remedy. The CLI's --help and the README are generated from this table, and `evaluate` runs it in order.
// The rules are pure: they read the facts (through the context) and nothing else.
import type { CloudObject, RoleHolding } from '../facts.js';
import { domainOfDn, isUnderDn, normalizeDn, normalizeGuid, samAccountNameProblems, upnProblems } from './names.js';
import { outOfSyncScope } from './sync-scope.js';
import type { GlobalRule, Holder, Rule, RuleHit, UserContext, UserRule } from './types.js';

function tenantRule(rule: Omit<GlobalRule, 'scope'>): GlobalRule {
  return { scope: 'tenant', ...rule };
}
function syncRule(rule: Omit<GlobalRule, 'scope'>): GlobalRule {
  return { scope: 'sync', ...rule };
}
function userRule(rule: Omit<UserRule, 'scope'>): UserRule {
  return { scope: 'user', ...rule };
}

/** A cloud object, named for a message: its kind, a readable name and its id. */
export function describeObject(object: CloudObject): string {
  const kind = object.kind === 'deletedUser' ? 'deleted user' : object.kind;
  const name = object.userPrincipalName ?? object.mail ?? object.displayName ?? '(no name)';
  return `${kind} ${name} (${object.id})`;
}

function describeHolders(holders: Holder[]): string {
  const unique = new Map<string, Holder>();
  for (const holder of holders) if (!unique.has(holder.object.id)) unique.set(holder.object.id, holder);
  const via = { upn: 'as UPN', primary: 'as primary address', secondary: 'as proxy address' } as const;
  return [...unique.values()].map((h) => `${describeObject(h.object)} ${via[h.via]}`).join('; ');
}

/** The AD account of the row, named for a message. */
function account(ctx: UserContext): string {
  return ctx.adUser ? `AD account ${ctx.adUser.SamAccountName} (${ctx.adUser.DistinguishedName})` : 'the AD account';
}

/** One role a user holds, with its kind named: PIM-eligible or active, through which group, at which scope. */
export function describeHolding(holding: RoleHolding): string {
  const kind = [holding.kind === 'eligible' ? 'PIM-eligible' : 'active'];
  if (holding.viaGroup) kind.push(`through role-assignable group ${holding.viaGroup}`);
  const au = /^\/administrativeUnits\/(.+)$/i.exec(holding.directoryScopeId);
  if (au) kind.push(`scoped to administrative unit ${au[1]}`);
  else if (holding.directoryScopeId !== '/') kind.push(`scoped to ${holding.directoryScopeId}`);
  return `${holding.roleName} (${kind.join(', ')})`;
}

function isBlank(value: string | null): boolean {
  return value === null || value.trim() === '';
}

function hit(message: string, hint?: string): RuleHit {
  return hint === undefined ? { message } : { message, hint };
}

export const rules: readonly Rule[] = [
  // ---- Tenant -------------------------------------------------------------------------------
  tenantRule({
    code: 'DirSyncDisabled',
    severity: 'block',
    title: 'Directory synchronization must be enabled in the tenant',
    hint: 'Install and configure Microsoft Entra Connect Sync for this tenant and let it complete a first sync, then rerun.',
    evaluate: ({ facts }) =>
      facts.tenant.directorySyncEnabled ? null : hit(`Directory synchronization is not enabled in tenant ${facts.tenant.tenantId}`),
  }),
  tenantRule({
    code: 'SoftMatchBlocked',
    severity: 'block',
    title: 'Soft match must not be blocked in the tenant (blockSoftMatchEnabled)',
    hint: 'Turn blockSoftMatchEnabled off in the tenant (Update-MgDirectoryOnPremiseSynchronization, Features.BlockSoftMatchEnabled = $false) for the migration, and back on afterwards.',
    evaluate: ({ facts }) =>
      facts.tenant.features?.blockSoftMatchEnabled
        ? hit(`Soft match (SMTP and UPN) is blocked in tenant ${facts.tenant.tenantId}: blockSoftMatchEnabled is on`)
        : null,
  }),
  tenantRule({
    code: 'UpnSoftMatchDisabled',
    severity: 'block',
    title: 'UPN soft match must be enabled in the tenant (softMatchOnUpnEnabled)',
    hint: 'Let upn-match enable it: rerun with --enable-feature (or allow it in the config), or enable softMatchOnUpnEnabled yourself as a Global Administrator.',
    evaluate: ({ facts }) =>
      facts.tenant.features && !facts.tenant.features.softMatchOnUpnEnabled && !facts.enableFeatureAllowed
        ? hit(`UPN soft match is disabled in tenant ${facts.tenant.tenantId} (softMatchOnUpnEnabled is off)`)
        : null,
  }),
  tenantRule({
    code: 'UpnSoftMatchWillBeEnabled',
    severity: 'warn',
    title: 'UPN soft match is disabled and will be enabled by the run',
    hint: 'Nothing to do if intended: the run enables softMatchOnUpnEnabled for the whole tenant before writing to AD. Drop --enable-feature to prevent it.',
    evaluate: ({ facts }) =>
      facts.tenant.features && !facts.tenant.features.softMatchOnUpnEnabled && facts.enableFeatureAllowed
        ? hit(`UPN soft match is disabled in tenant ${facts.tenant.tenantId}; the run will enable it`)
        : null,
  }),
  tenantRule({
    code: 'FeatureRecordStale',
    severity: 'block',
    title: 'A recorded feature read relied on is recent (config featureRecordMaxAgeHours, default 24)',
    hint: 'The tenant\'s features may have changed since they were recorded (another admin, Microsoft\'s defaults): run `upn-match feature` interactively as a Global Administrator to read and record them again, then rerun.',
    evaluate: ({ facts }) => {
      const age = facts.featureRecordAge;
      const stale = age && (!Number.isFinite(age.ageHours) || age.ageHours > age.maxAgeHours);
      if (!age || !stale) return null;
      const hours = Number.isFinite(age.ageHours) ? `${Math.floor(age.ageHours)} h` : 'an unknown time';
      return hit(`The directory synchronization features of tenant ${facts.tenant.tenantId} come from a record read ${hours} ago (${facts.tenant.featuresReadAt ?? 'no date'}); at most ${age.maxAgeHours} h is accepted`);
    },
  }),
  tenantRule({
    code: 'FeaturesUnknown',
    severity: 'warn',
    title: 'The tenant’s directory synchronization features could be read',
    hint: 'Run `upn-match feature` interactively once as a Global Administrator: it reads the features and records them for later app-only runs. Until then the tool relies on verifying each match after the sync.',
    evaluate: ({ facts }) =>
      facts.tenant.features === null
        ? hit(
            `The directory synchronization features of tenant ${facts.tenant.tenantId} could not be read` +
              (facts.tenant.featuresError ? `: ${facts.tenant.featuresError.split(/\r?\n/)[0]}` : ' (an app-only sign-in cannot read them)'),
          )
        : null,
  }),

  tenantRule({
    code: 'EligibleRolesUnknown',
    severity: 'warn',
    title: 'The PIM-eligible directory role assignments could be read',
    hint: 'Grant RoleEligibilitySchedule.Read.Directory (or RoleManagement.Read.Directory) and check that the tenant has Privileged Identity Management; until then a user eligible for a role is not seen, and Entra would not match it but create a duplicate.',
    evaluate: ({ facts }) =>
      facts.tenant.roleEligibilityError ? hit(`The PIM-eligible role assignments of tenant ${facts.tenant.tenantId} could not be read: ${facts.tenant.roleEligibilityError}`) : null,
  }),

  // ---- Sync server --------------------------------------------------------------------------
  syncRule({
    code: 'SyncServerUnknown',
    severity: 'warn',
    title: 'The Entra Connect server could be inspected',
    hint: 'Make the Entra Connect server reachable (its name in the config, PowerShell remoting allowed) and rerun: without it staging mode, the scheduler and the sync scope go unchecked.',
    evaluate: ({ facts }) => (facts.syncServer === null ? hit('The Entra Connect server could not be inspected') : null),
  }),
  syncRule({
    code: 'StagingMode',
    severity: 'block',
    title: 'The Entra Connect server must not be in staging mode',
    hint: 'Run upn-match against the active Entra Connect server, or take this server out of staging mode (Entra Connect wizard, "Configure staging mode").',
    evaluate: ({ facts }) =>
      facts.syncServer?.stagingModeEnabled
        ? hit(`Entra Connect server ${facts.syncServer.serverName} is in staging mode: it exports nothing to Entra ID`)
        : null,
  }),
  syncRule({
    code: 'SyncCycleRunning',
    severity: 'warn',
    title: 'No sync cycle is running',
    hint: 'Nothing to do: the run waits for the cycle to finish before it starts its own.',
    evaluate: ({ facts }) =>
      facts.syncServer?.syncCycleInProgress ? hit(`A sync cycle is running on ${facts.syncServer.serverName}; the run will wait for it`) : null,
  }),
  syncRule({
    code: 'SchedulerSuspended',
    severity: 'block',
    title: 'The sync scheduler is not suspended',
    // Rule sheet 7.3: Entra Connect suspends it while the wizard is open and during upgrades; a cycle started then fails.
    hint:
      'Close the Entra Connect installation wizard on the server, or let the upgrade finish, then rerun. If it stays suspended with neither (an upgrade that failed), resume it on the server with `Set-ADSyncScheduler -SchedulerSuspended $false` (Microsoft does not support setting it by hand otherwise).',
    evaluate: ({ facts }) =>
      facts.syncServer?.schedulerSuspended
        ? hit(`The sync scheduler on ${facts.syncServer.serverName} is suspended (installation wizard open or upgrade running): no sync cycle can run, so nothing is written to AD`)
        : null,
  }),
  syncRule({
    code: 'SchedulerOff',
    severity: 'warn',
    title: 'The sync scheduler runs cycles',
    hint: 'Nothing to do for this run (it starts its own delta cycle); turn scheduled cycles back on afterwards (Set-ADSyncScheduler -SyncCycleEnabled $true) so changes keep flowing.',
    evaluate: ({ facts }) => {
      const server = facts.syncServer;
      if (!server || server.syncCycleEnabled) return null;
      return hit(`Scheduled sync cycles are off on ${server.serverName} (SyncCycleEnabled false); the run starts its own delta cycle`);
    },
  }),

  syncRule({
    code: 'AlternateLoginId',
    severity: 'block',
    title: 'Entra Connect takes the cloud UPN from userPrincipalName (no alternate login ID)',
    hint: 'UPN soft match compares the UPN Entra Connect sends, which this server takes from another AD attribute (alternate login ID): the AD userPrincipalName upn-match writes is not what Entra compares, so the match would fail and Entra would create a duplicate. Match these users another way (hard match by onPremisesImmutableId, or SMTP match), or reconfigure Entra Connect to use userPrincipalName, then rerun.',
    evaluate: ({ facts }) => {
      const attribute = facts.syncServer?.upnAttribute;
      if (!attribute || attribute.toLowerCase() === 'userprincipalname') return null;
      return hit(`Entra Connect server ${facts.syncServer?.serverName ?? ''} takes the cloud UPN from the AD attribute ${attribute} (Microsoft.SynchronizationOption.UPNAttribute), not userPrincipalName`);
    },
  }),
  syncRule({
    code: 'SourceAnchorUnknown',
    severity: 'warn',
    title: 'The Entra Connect server’s source anchor attribute could be read',
    hint: 'Nothing to do if the server uses mS-DS-ConsistencyGuid (the default since Entra Connect 1.1.524): upn-match assumes it. Otherwise make Get-ADSyncGlobalSettings readable on the server, so that the anchors the plan checks and the run verifies are the server’s.',
    evaluate: ({ facts }) =>
      facts.syncServer && !facts.syncServer.anchorAttribute
        ? hit(`The source anchor attribute of ${facts.syncServer.serverName} could not be read; upn-match assumes mS-DS-ConsistencyGuid`)
        : null,
  }),

  // ---- The batch itself ---------------------------------------------------------------------
  userRule({
    code: 'DuplicateInBatch',
    severity: 'block',
    title: 'Each cloud user and each AD account appears once in the batch',
    hint: 'Keep one row per cloud user and per AD account, then rerun.',
    evaluate: (ctx) => {
      const { cloudUpn, adAccount } = ctx.duplicateRows;
      if (cloudUpn.count === 0 && adAccount.count === 0) return null;
      const rows = (d: { count: number; rows: number[] }): string =>
        `${d.count} other row${d.count === 1 ? '' : 's'} (row ${d.rows.join(', ')}${d.count > d.rows.length ? ', …' : ''})`;
      const parts: string[] = [];
      if (cloudUpn.count > 0) parts.push(`cloud user ${ctx.upn} is also named in ${rows(cloudUpn)}`);
      if (adAccount.count > 0) {
        const name = ctx.adUser?.SamAccountName ?? ctx.user.samAccountName ?? ctx.user.distinguishedName ?? '?';
        parts.push(`AD account ${name} is also named in ${rows(adAccount)}`);
      }
      return hit(`${ctx.upn}: ${parts.join('; ')}`);
    },
  }),

  // ---- The cloud user -----------------------------------------------------------------------
  userRule({
    code: 'CloudUserNotFound',
    severity: 'block',
    title: 'The cloud user exists in the tenant',
    hint: 'Check the cloudUpn column: it must be the cloud user’s current UPN (Entra admin center, Users, "User principal name").',
    evaluate: (ctx) => (ctx.cloudUser ? null : hit(`${ctx.upn}: no cloud user has this UPN in the tenant`)),
  }),
  userRule({
    code: 'CloudUserIsGuest',
    severity: 'block',
    title: 'The cloud user is a member, not a guest',
    hint: 'Guests are not matched to AD accounts; remove the row (or convert the guest to a member first).',
    evaluate: (ctx) =>
      ctx.cloudUser?.userType?.toLowerCase() === 'guest' ? hit(`${ctx.upn}: the cloud user is a guest (userType Guest)`) : null,
  }),
  userRule({
    code: 'CloudUserAlreadySynced',
    severity: 'block',
    title: 'The cloud user is cloud-only: not synced, no onPremisesImmutableId',
    hint: 'A match happens once: this user is (or was) already bound to an on-premises account. Remove the row, or clear the binding first if it is wrong.',
    evaluate: (ctx) => {
      const user = ctx.cloudUser;
      if (!user) return null;
      const why = [
        user.onPremisesSyncEnabled === true ? 'onPremisesSyncEnabled is true' : null,
        user.onPremisesImmutableId ? `onPremisesImmutableId is ${user.onPremisesImmutableId}` : null,
      ].filter((s): s is string => s !== null);
      return why.length > 0 ? hit(`${ctx.upn}: the cloud user is already synced (${why.join(', ')})`) : null;
    },
  }),
  userRule({
    code: 'CloudUserPreviouslySynced',
    severity: 'block',
    title: 'The cloud user was never synced from on-premises (onPremisesSyncEnabled not false, no on-premises SID)',
    hint: 'The cloud user still carries the mapping to the on-premises account it was synced from. Since the July 2026 hardening Entra ID refuses to remap it ("Hard match operation blocked due to security hardening. Review OnPremisesObjectIdentifier mapping."). Clear the mapping first: PATCH https://graph.microsoft.com/beta/users/{id} with {"onPremisesObjectIdentifier": null} (permission User-OnPremisesSyncBehavior.ReadWrite.All, as a Global Administrator or Hybrid Identity Administrator), clear onPremisesImmutableId if it is set, then rerun.',
    // Rule sheet 2.5: whether a soft match onto a user that still carries OnPremisesObjectIdentifier is blocked is
    // not documented (open question 10.8): the safe side is taken - block, with the documented recovery.
    evaluate: (ctx) => {
      const user = ctx.cloudUser;
      if (!user || user.onPremisesSyncEnabled === true) return null;
      const why = [
        user.onPremisesSyncEnabled === false ? 'onPremisesSyncEnabled is false (it was synced)' : null,
        user.onPremisesSecurityIdentifier ? `it keeps the on-premises SID ${user.onPremisesSecurityIdentifier}` : null,
      ].filter((s): s is string => s !== null);
      return why.length > 0 ? hit(`${ctx.upn}: the cloud user was synced from an on-premises account before: ${why.join('; ')}`) : null;
    },
  }),
  userRule({
    code: 'CloudUserHoldsRole',
    severity: 'block',
    title: 'The cloud user holds no directory role of any kind (active, PIM-eligible, through a role-assignable group, or scoped to an administrative unit)',
    hint: 'Remove the user’s directory role assignments of every kind (active and eligible, direct and through role-assignable groups, tenant-wide and administrative-unit scoped) before the match and reassign them after, or keep the account cloud-only: Entra never soft-matches a cloud user with an admin role (it creates a duplicate instead), and hard match of role holders is blocked since June 2026.',
    // Which roles and which kinds of assignment stop a soft match is not documented (rule sheet 3.3, open
    // question 10.1): the safe side is taken - any directory role, of any kind, blocks.
    evaluate: (ctx) => {
      const holdings = ctx.cloudUser ? (ctx.index.roleHoldings.get(ctx.cloudUser.id.toLowerCase()) ?? []) : [];
      if (holdings.length === 0) return null;
      const named = [...new Set(holdings.map(describeHolding))];
      return hit(`${ctx.upn}: the cloud user holds ${named.length === 1 ? 'a directory role' : 'directory roles'}: ${named.join('; ')}`);
    },
  }),
  userRule({
    code: 'CloudUserProvisioningError',
    severity: 'block',
    title: 'The cloud user has no on-premises provisioning errors',
    hint: 'Resolve the provisioning errors shown for the user (Entra admin center, Users, the user, or the Entra Connect Health sync errors), then rerun.',
    evaluate: (ctx) => {
      const errors = ctx.cloudUser?.onPremisesProvisioningErrors ?? [];
      return errors.length > 0
        ? hit(`${ctx.upn}: the cloud user has ${errors.length} on-premises provisioning error${errors.length === 1 ? '' : 's'}`)
        : null;
    },
  }),

  // ---- The UPN ------------------------------------------------------------------------------
  userRule({
    code: 'UpnInvalid',
    severity: 'block',
    title: 'The UPN is valid by Entra ID’s rules (one @; A–Z a–z 0–9 \' . - _ ! # ^ ~ before it; ≤ 64 + ≤ 48, ≤ 113 in all; no leading, trailing or double period)',
    hint: 'Rename the cloud user to a valid UPN first (Entra admin center), then put the new UPN in the batch.',
    evaluate: (ctx) => {
      const problems = upnProblems(ctx.upn);
      return problems.length > 0 ? hit(`${JSON.stringify(ctx.user.cloudUpn)}: the UPN ${problems.join('; ')}`) : null;
    },
  }),
  userRule({
    code: 'UpnDomainUnverified',
    severity: 'block',
    title: 'The UPN suffix is a verified domain of the tenant',
    hint: 'Verify the domain in the tenant (Entra admin center, Domain names), or use a UPN in a verified domain: Entra Connect replaces unverified suffixes with the .onmicrosoft.com domain, so no UPN match would happen.',
    evaluate: (ctx) => {
      if (ctx.upnSuffix === '') return null;
      const domain = ctx.index.domains.get(ctx.upnSuffix);
      if (!domain) return hit(`${ctx.upn}: ${ctx.upnSuffix} is not a domain of the tenant`);
      return domain.isVerified ? null : hit(`${ctx.upn}: domain ${ctx.upnSuffix} is not verified in the tenant`);
    },
  }),
  userRule({
    code: 'UpnDomainFederated',
    severity: 'block',
    title: 'The UPN suffix is a managed (not federated) domain',
    hint: 'Convert the domain to managed authentication first, or move the cloud user to a managed domain: the match would hand its sign-in to the federation service.',
    evaluate: (ctx) =>
      ctx.index.domains.get(ctx.upnSuffix)?.authenticationType.toLowerCase() === 'federated'
        ? hit(`${ctx.upn}: domain ${ctx.upnSuffix} is federated`)
        : null,
  }),
  userRule({
    code: 'UpnSuffixNotInForest',
    severity: 'warn',
    title: 'The UPN suffix is a UPN suffix or domain of the AD forest',
    hint: 'Add the suffix to the forest (Active Directory Domains and Trusts, "Alternative UPN suffixes") so users and tools can use the UPN on-premises.',
    evaluate: (ctx) =>
      ctx.upnSuffix !== '' && !ctx.index.forestSuffixes.has(ctx.upnSuffix)
        ? hit(`${ctx.upn}: ${ctx.upnSuffix} is not a UPN suffix or domain of forest ${ctx.facts.forest.name}`)
        : null,
  }),

  // ---- The AD account -----------------------------------------------------------------------
  userRule({
    code: 'AdAccountNotFound',
    severity: 'block',
    title: 'The AD account to update exists (by sAMAccountName or distinguished name)',
    hint: 'Check the samAccountName and distinguishedName columns; name the account by DN when its sAMAccountName exists in several domains.',
    evaluate: (ctx) => {
      const lookup = ctx.adLookup;
      switch (lookup.status) {
        case 'found':
        case 'create':
          return null;
        case 'unnamed':
          return hit(`${ctx.upn}: the row names no AD account (give samAccountName or distinguishedName, or create: yes)`);
        case 'notFound':
          return hit(`${ctx.upn}: no AD account ${lookup.by} in forest ${ctx.facts.forest.name}`);
        case 'ambiguous':
          return hit(`${ctx.upn}: ${lookup.count} AD accounts have ${lookup.by}`, 'Name the account by its distinguishedName: this sAMAccountName exists in several domains of the forest.');
        case 'mismatch':
          return hit(
            `${ctx.upn}: distinguishedName ${lookup.dn} is AD account ${lookup.actualSam}, not ${lookup.sam}`,
            'Give samAccountName and distinguishedName of the same account, or only one of them.',
          );
      }
    },
  }),
  userRule({
    code: 'CreateDetailsMissing',
    severity: 'block',
    title: 'A row that creates an AD account gives samAccountName, givenName, surname and ou',
    hint: 'Fill in samAccountName, givenName, surname and ou (the DN of the OU to create the account in) for rows with create: yes.',
    evaluate: (ctx) => {
      if (!ctx.user.create) return null;
      const missing = (['samAccountName', 'givenName', 'surname', 'ou'] as const).filter((k) => isBlank(ctx.user[k]));
      return missing.length > 0 ? hit(`${ctx.upn}: creating an AD account needs ${missing.join(', ')}`) : null;
    },
  }),
  userRule({
    code: 'SamAccountNameInvalid',
    severity: 'block',
    title: 'A new account’s sAMAccountName is valid (≤ 20 characters; none of " / \\ [ ] : ; | = , + * ? < >; not only periods or spaces; no control characters; no final period)',
    hint: 'Choose a sAMAccountName of at most 20 characters without " / \\ [ ] : ; | = , + * ? < > or control characters.',
    evaluate: (ctx) => {
      const sam = ctx.user.samAccountName;
      if (!ctx.user.create || sam === null || sam === '') return null;
      const problems = samAccountNameProblems(sam);
      return problems.length > 0 ? hit(`${ctx.upn}: sAMAccountName ${JSON.stringify(sam)} ${problems.join('; ')}`) : null;
    },
  }),
  userRule({
    code: 'SamAccountNameTaken',
    severity: 'block',
    title: 'A new account’s sAMAccountName is free in its domain',
    hint: 'Choose another sAMAccountName, or update the existing account instead (create: no).',
    evaluate: (ctx) => {
      const sam = ctx.user.samAccountName?.trim();
      if (!ctx.user.create || !sam) return null;
      const domain = ctx.user.ou ? domainOfDn(ctx.user.ou) : '';
      const taken = (ctx.index.adBySam.get(sam.toLowerCase()) ?? []).filter(
        (u) => domain === '' || domainOfDn(u.DistinguishedName) === domain,
      );
      const first = taken[0];
      return first ? hit(`${ctx.upn}: sAMAccountName ${sam} is taken by ${first.DistinguishedName}`) : null;
    },
  }),
  userRule({
    code: 'UpnNotUniqueInForest',
    severity: 'block',
    title: 'No other AD account in the forest has the UPN',
    hint: 'Give the other AD account a different UPN (or remove it) first: UPNs must be unique, or the sync fails.',
    evaluate: (ctx) => {
      const self = ctx.adUser ? normalizeGuid(ctx.adUser.ObjectGUID) : null;
      const others = (ctx.index.adByUpn.get(ctx.upnKey) ?? []).filter((u) => normalizeGuid(u.ObjectGUID) !== self);
      if (others.length === 0) return null;
      return hit(`${ctx.upn}: the UPN is already on ${others.map((u) => `AD account ${u.SamAccountName} (${u.DistinguishedName})`).join(', ')}`);
    },
  }),
  userRule({
    code: 'NotInSyncScope',
    severity: 'block',
    title: 'The AD account (or the OU to create it in) is in Entra Connect’s sync scope (partitions, OU inclusions and exclusions, group filter)',
    hint: 'Move the account into a synchronised OU (or pick such an OU for create), add its OU to the Entra Connect OU filtering (and out of the exclusions), or with group-based filtering make the account a direct member of the filtering group.',
    evaluate: (ctx) => {
      const dn = ctx.user.create ? ctx.user.ou : (ctx.adUser?.DistinguishedName ?? null);
      if (dn === null || dn.trim() === '') return null;
      const why = outOfSyncScope({ dn, create: Boolean(ctx.user.create), memberOf: ctx.adUser?.memberOf }, ctx.facts.syncServer);
      if (why === null) return null;
      const what = ctx.user.create ? `OU ${dn}` : account(ctx);
      return hit(`${ctx.upn}: ${what} is outside the sync scope of ${ctx.facts.syncServer?.serverName ?? 'Entra Connect'}: ${why}`);
    },
  }),

  // ---- Earlier match rules must not win -----------------------------------------------------
  userRule({
    code: 'AnchorTaken',
    severity: 'block',
    title: 'The AD account’s source anchor is not another cloud object’s onPremisesImmutableId (hard match comes first)',
    hint: 'This AD account is already bound to another cloud object, which a hard match would join instead: use another AD account, or resolve the old binding first.',
    evaluate: (ctx) =>
      ctx.keys.anchorHolders.length > 0
        ? hit(`${ctx.upn}: ${account(ctx)} has source anchor ${ctx.keys.anchor}, already the onPremisesImmutableId of ${ctx.keys.anchorHolders.map(describeObject).join(', ')}`)
        : null,
  }),
  userRule({
    code: 'SourceAnchorMissing',
    severity: 'block',
    title: 'The AD account has a value in the server’s source anchor attribute',
    hint: 'Entra Connect does not provision an account without a source anchor: fill in the custom source anchor attribute on the AD account (the value the cloud user will keep for good), then rerun.',
    evaluate: (ctx) =>
      ctx.adUser && ctx.keys.anchor === null
        ? hit(`${ctx.upn}: ${account(ctx)} has no value in the source anchor attribute ${ctx.facts.syncServer?.anchorAttribute ?? ''}`)
        : null,
  }),
  userRule({
    code: 'SmtpMatchesOtherUser',
    severity: 'block',
    title: 'The AD account’s primary SMTP address is not any address (primary or secondary proxy address, mail) of another cloud user (SMTP match comes before UPN match)',
    hint: 'Change the AD account’s mail and primary SMTP proxy address (or remove the address from the other cloud user) first, or SMTP matching could join the wrong user, or Entra would quarantine the address.',
    // Whether SMTP soft match compares the incoming primary SMTP with the candidate's primary address only or
    // with any of its proxy addresses is not settled (rule sheet 1.5, open question 10.2): the safe side is
    // taken - any address of another cloud user blocks.
    evaluate: (ctx) =>
      ctx.keys.smtpOtherUsers.length > 0
        ? hit(`${ctx.upn}: ${account(ctx)} has primary SMTP address ${ctx.keys.primarySmtp}, an address of ${ctx.keys.smtpOtherUsers.map(describeObject).join(', ')}`)
        : null,
  }),
  userRule({
    code: 'SmtpMatchesTarget',
    severity: 'warn',
    title: 'The AD account’s primary SMTP address equals the cloud user’s: SMTP match will be used, not UPN',
    hint: 'Nothing to do if the AD account belongs to this cloud user: Entra Connect matches by SMTP address before UPN, with the same result.',
    evaluate: (ctx) =>
      ctx.keys.smtpOnTarget ? hit(`${ctx.upn}: ${account(ctx)} has the cloud user’s primary SMTP address ${ctx.keys.primarySmtp}; SMTP match will join them`) : null,
  }),
  userRule({
    code: 'UpnHeldByOtherObject',
    severity: 'block',
    title: 'No other cloud object (group, contact, deleted user…) holds the UPN or the primary SMTP address',
    hint: 'Remove the address from the other object, or purge the deleted user (Entra admin center, Deleted users), then rerun.',
    evaluate: (ctx) => {
      const parts: string[] = [];
      if (ctx.keys.upnHolders.length > 0) parts.push(`the UPN is held by ${describeHolders(ctx.keys.upnHolders)}`);
      if (ctx.keys.smtpHolders.length > 0) parts.push(`primary SMTP address ${ctx.keys.primarySmtp} is held by ${describeHolders(ctx.keys.smtpHolders)}`);
      return parts.length > 0 ? hit(`${ctx.upn}: ${parts.join('; ')}`) : null;
    },
  }),
  userRule({
    code: 'ProxyAddressConflict',
    severity: 'warn',
    title: 'The AD account’s other proxy addresses are not held by other cloud objects',
    hint: 'Remove the duplicate addresses from the AD account or the other objects: duplicate-attribute resiliency quarantines them (the object syncs without them).',
    evaluate: (ctx) =>
      ctx.keys.proxyConflicts.length > 0
        ? hit(`${ctx.upn}: ${account(ctx)} has addresses held by other cloud objects: ${ctx.keys.proxyConflicts.map((c) => `${c.address} (${describeHolders(c.holders)})`).join('; ')}`)
        : null,
  }),
  userRule({
    code: 'ReviewPending',
    severity: 'block',
    title: 'A pair that discover proposed on weak evidence must be reviewed first (review column)',
    hint: 'Check that the AD account and the cloud user are the same person (the evidence column says why discover paired them), then set review to no in the batch file, or delete the row.',
    evaluate: ({ user }) => (user.review ? hit(`${user.cloudUpn}: discover proposed this pair on weak evidence and nobody has reviewed it yet`) : null),
  }),
];

/** The rules by code. */
export const rulesByCode: ReadonlyMap<string, Rule> = new Map(rules.map((rule) => [rule.code, rule]));
