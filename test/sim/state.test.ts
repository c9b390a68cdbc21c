// The state schema (lib/sim/state.ts) against every world the project writes: the bundled scenarios, a
// generated large world, the file `sim init` writes, and the fixtures of the fake-module tests.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { initSimulator } from '../../lib/sim/init.js';
import { buildLargeWorld, buildScenario, scenarioNames } from '../../lib/sim/scenarios.js';
import { SimStateSchema } from '../../lib/sim/state.js';
import { World } from '../../lib/sim/world.js';
import { adUser, baseState, cloudUser } from './fixtures.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');

/** The world parses, and parsing keeps all of it: a key the schema does not name would be dropped. */
function expectStateShape(state: unknown): void {
  const result = SimStateSchema.safeParse(state);
  expect(result.success, result.error ? z.prettifyError(result.error) : '').to.equal(true);
  expect(result.data).to.deep.equal(state);
}

describe('sim: the state schema (lib/sim/state.ts)', () => {
  for (const name of scenarioNames) {
    it(`scenario ${name}: its world has the documented shape`, () => {
      expectStateShape(buildScenario(name, 1, NOW).state);
    });
  }

  it('a generated large world has the documented shape', () => {
    const world = new World(7, NOW);
    buildLargeWorld(world, 40, 60);
    // 2 from the background, 20 synced, 40 to match, and the mess: 1 guest, 2 with no AD account, 1 with two namesakes.
    expect(world.state.tenant.users).to.have.length(66);
    expect(world.state.tenant.users.filter((u) => u.userType === 'Guest')).to.have.length(1);
    expect(world.truth!.filter((t) => t.samAccountName !== null)).to.have.length(41);
    expect(new Set(world.truth!.map((t) => t.kind)).size).to.be.greaterThan(3);
    // A CN is unique in its container, as in AD.
    const dns = world.state.forest.users.map((u) => u.DistinguishedName.toLowerCase());
    expect(new Set(dns).size).to.equal(dns.length);
    expectStateShape(world.state);
  });

  it('the state.json that `sim init` writes has the documented shape', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'upn-sim-schema-'));
    try {
      for (const options of [{ users: 5, tenantUsers: 9 }, { scenario: 'cycle-running' }]) {
        const result = initSimulator({ dir, force: true, now: NOW, ...options });
        expectStateShape(JSON.parse(readFileSync(result.stateFile, 'utf8')));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the fake-module tests' fixtures have the documented shape", () => {
    const s = baseState();
    s.forest.users.push(adUser({ sam: 'ann', extra: { title: 'Engineer', userAccountControl: 514 } }));
    s.tenant.users.push(cloudUser({ upn: 'ann@contoso.com', immutableId: 'aW1tdXRhYmxl', synced: true }));
    s.tenant.deletedUsers.push({ ...cloudUser({ upn: 'gone@contoso.com' }), deletedDateTime: '2025-01-01T00:00:00Z' });
    expectStateShape(s);
  });

  it('catches a wrong shape: a missing field, a wrong type, a key it does not know', () => {
    const missing = buildScenario('happy-path', 1, NOW).state as unknown as { tenant: { users: Array<Record<string, unknown>> } };
    delete missing.tenant.users[0]!.id;
    expect(SimStateSchema.safeParse(missing).success).to.equal(false);

    const wrongType = buildScenario('happy-path', 1, NOW).state as unknown as { forest: { users: Array<Record<string, unknown>> } };
    wrongType.forest.users[0]!.proxyAddresses = 'SMTP:a@contoso.com';
    expect(SimStateSchema.safeParse(wrongType).success).to.equal(false);

    const unknownKey = buildScenario('happy-path', 1, NOW).state as unknown as { sync: Record<string, unknown> };
    unknownKey.sync.stagingMode = true;
    expect(SimStateSchema.safeParse(unknownKey).success).to.equal(true);
    expect(() => expectStateShape(unknownKey)).to.throw();
  });
});
