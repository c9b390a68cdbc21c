// The configuration file: defaults, the strict schema, and error messages that name the key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig, parseConfig } from '../../lib/config.js';
import { thrown } from '../helpers/thrown.js';

const THUMBPRINT = '0123456789abcdefABCDEF0123456789abcdef01';

/** The message a bad config is refused with. */
const refusal = (load: () => unknown) => thrown(load, ConfigError).message;

describe('config: schema', () => {
  it('defaults to graph, no feature change, and no optional sections', () => {
    expect(loadConfig(undefined)).to.deep.equal({ cloud: 'graph', enableFeature: false });
  });

  it('fills the defaults inside a section that is given', () => {
    expect(parseConfig({ graph: { tenantId: 't', clientId: 'c', certificateThumbprint: THUMBPRINT }, syncServer: {} })).to.deep.equal({
      cloud: 'graph',
      enableFeature: false,
      graph: { auth: 'certificate', environment: 'Global', tenantId: 't', clientId: 'c', certificateThumbprint: THUMBPRINT },
      syncServer: { computerName: 'local' },
    });
  });

  it('keeps what is given', () => {
    const config = { cloud: 'graph', enableFeature: true, graph: { auth: 'interactive', tenantId: 't', environment: 'USGov' }, syncServer: { computerName: 'aadc01', powershell: 'powershell.exe' } };
    expect(parseConfig(config)).to.deep.equal(config);
  });

  it('refuses unknown keys, at the top level and in a section, naming where', () => {
    expect(refusal(() => parseConfig({ clould: 'graph' }))).to.equal('config: (top level): Unrecognized key: "clould"');
    expect(refusal(() => parseConfig({ syncServer: { computername: 'aadc01' } }))).to.match(/^config: syncServer: .*"computername"/);
  });

  it('refuses a cloud other than graph, and a wrong type', () => {
    expect(refusal(() => parseConfig({ cloud: 'azuread' }))).to.match(/^config: cloud: /);
    expect(refusal(() => parseConfig({ enableFeature: 'yes' }))).to.match(/^config: enableFeature: /);
    expect(refusal(() => parseConfig({ syncServer: { computerName: '' } }))).to.match(/^config: syncServer\.computerName: /);
  });

  it('takes a 40-character hexadecimal thumbprint in either case, and nothing else', () => {
    expect(parseConfig({ graph: { tenantId: 't', clientId: 'c', certificateThumbprint: THUMBPRINT } }).graph?.certificateThumbprint).to.equal(THUMBPRINT);
    const message = 'config: graph.certificateThumbprint: a certificate thumbprint is 40 hexadecimal characters';
    for (const bad of [THUMBPRINT.slice(1), `${THUMBPRINT}0`, `${THUMBPRINT.slice(1)}g`, THUMBPRINT.replace(/(..)(?!$)/g, '$1:'), ` ${THUMBPRINT}`]) {
      // (tenant and client are missing too: every problem is listed, one a line)
      expect(refusal(() => parseConfig({ graph: { certificateThumbprint: bad } })).split('\n'), bad).to.include(message);
    }
  });
});

describe('config: sign-in', () => {
  it('refuses a client secret anywhere, saying why and pointing to the certificate recipe (not "Unrecognized key")', () => {
    for (const [config, where] of [
      [{ graph: { clientSecret: 'x' } }, 'graph.clientSecret'],
      [{ graph: { auth: 'certificate', client_secret: 'x' } }, 'graph.client_secret'],
      [{ clientSecret: 'x' }, 'clientSecret'],
      [{ ad: { password: 'x' } }, 'ad.password'],
    ] as const) {
      const message = refusal(() => parseConfig(config, 'c.json'));
      expect(message, where).to.match(new RegExp(`^c\\.json: ${where.replace('.', '\\.')}: a client secret \\(or password\\) is not accepted: `));
      expect(message).to.contain('whoever can read it could sign in as the app');
      expect(message).to.contain('App-only sign-in with a certificate');
      expect(message).to.not.contain('Unrecognized');
    }
  });

  it('refuses "cloud": "msonline" with the reason: MSOnline is retired', () => {
    const message = refusal(() => parseConfig({ cloud: 'msonline' }));
    expect(message).to.match(/^config: cloud: MSOnline is retired: Microsoft turned it off between April and May 2025/);
  });

  it('checks certificate sign-in when the config is read: tenant, client, and the certificate by thumbprint or subject', () => {
    expect(refusal(() => parseConfig({ graph: {} })).split('\n')).to.deep.equal([
      'config: graph.tenantId: certificate sign-in needs graph.tenantId and graph.clientId',
      "config: graph.certificateThumbprint: certificate sign-in needs graph.certificateThumbprint or graph.certificateSubject (the certificate in the machine's store)",
    ]);
    expect(refusal(() => parseConfig({ graph: { tenantId: 't', certificateThumbprint: THUMBPRINT } }))).to.equal('config: graph.clientId: certificate sign-in needs graph.clientId');
    expect(refusal(() => parseConfig({ graph: { tenantId: 't', clientId: 'c' } }))).to.match(/^config: graph\.certificateThumbprint: certificate sign-in needs graph\.certificateThumbprint or graph\.certificateSubject/);
    expect(refusal(() => parseConfig({ graph: { tenantId: 't', clientId: 'c', certificateThumbprint: THUMBPRINT, certificateSubject: 'CN=a' } }))).to.match(/not both/);
    expect(parseConfig({ graph: { tenantId: 't', clientId: 'c', certificateSubject: 'CN=upn-match' } }).graph?.certificateSubject).to.equal('CN=upn-match');
  });

  it('needs nothing more for a managed identity or a person signing in; refuses an unknown cloud environment', () => {
    expect(parseConfig({ graph: { auth: 'managed-identity' } }).graph).to.deep.equal({ auth: 'managed-identity', environment: 'Global' });
    expect(parseConfig({ graph: { auth: 'device-code', environment: 'China' } }).graph).to.deep.equal({ auth: 'device-code', environment: 'China' });
    expect(refusal(() => parseConfig({ graph: { auth: 'interactive', environment: 'Germany' } }))).to.match(/^config: graph\.environment: /);
  });
});

describe('config: file', () => {
  let dir = '';
  const write = (name: string, text: string | Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, with or without a byte order mark', () => {
    expect(loadConfig(write('a.json', '{ "cloud": "graph" }')).cloud).to.equal('graph');
    expect(loadConfig(write('b.json', '\uFEFF{ "enableFeature": true }')).enableFeature).to.equal(true);
  });

  it('names the file in a schema error', () => {
    const file = write('c.json', '{ "graph": { "auth": "password" } }');
    expect(refusal(() => loadConfig(file))).to.match(new RegExp(`^${file.replace(/[.\\/]/g, '\\$&')}: graph\\.auth: `));
  });

  it('reports a missing file with its error code', () => {
    const file = path.join(dir, 'missing.json');
    expect(refusal(() => loadConfig(file))).to.equal(`cannot read config file ${file}: ENOENT`);
  });

  it('reports invalid JSON without echoing the file, which may hold a secret', () => {
    const secret = 'S3cr3t-P4ssw0rd';
    const texts = [
      `{ "graph": { "clientSecret": ${secret} } }`, // V8 quotes the text around an unexpected token
      `${secret}`,
      `{ "graph": { "clientSecret": "${secret}" } oops`,
      `{ "graph": { "clientSecret": "${secret}`,
      `{ "note": "${'padding '.repeat(20)}", "graph": { "clientSecret": ${secret} } }`,
    ];
    for (const [i, text] of texts.entries()) {
      const file = write(`bad${i}.json`, text);
      const message = refusal(() => loadConfig(file));
      expect(message, text).to.match(new RegExp(`^config file .*bad${i}\\.json is not valid JSON: \\S`));
      expect(message, text).to.not.contain(secret.slice(0, 4));
    }
  });

  it('lists every problem at once, each with its JSON path', () => {
    const file = write('many.json', JSON.stringify({ graph: { tenantId: 't', clientId: 'c', certificateThumbprint: 'abc' }, enableFeature: 'yes', retentionDays: 0, syncServer: { computername: 'x' } }));
    const lines = refusal(() => loadConfig(file)).split('\n');
    const paths = lines.map((l) => l.slice(file.length + 2).split(': ')[0]);
    expect(paths).to.have.members(['graph.certificateThumbprint', 'enableFeature', 'retentionDays', 'syncServer']);
    for (const line of lines) expect(line.startsWith(`${file}: `), line).to.equal(true);
  });

  it('a Windows path with single backslashes: each bad escape by line and column, and the hint to double them', () => {
    const file = write('path.json', '{\n  "workDir": "C:\\Temp\\upn-match",\n  "logDir": "D:\\Logs"\n}');
    const message = refusal(() => loadConfig(file));
    expect(message).to.contain('line 2, column 17: \\T is not a JSON escape');
    expect(message).to.contain('line 2, column 22: \\u is not a JSON escape');
    expect(message).to.contain('line 3, column 16: \\L is not a JSON escape');
    expect(message).to.contain('a backslash is written twice ("C:\\\\upn-match\\\\work")');
  });

  it('a Windows path whose backslashes JSON read as escapes ("C:\\temp" is a tab): named, with the hint', () => {
    const file = write('tab.json', '{ "workDir": "C:\\temp\\new", "syncServer": { "powershell": "C:\\\\Windows\\\\powershell.exe" } }');
    const message = refusal(() => loadConfig(file));
    expect(message.split('\n')).to.have.length(1);
    expect(message).to.match(/: workDir: holds a tab \(\\t\): a Windows path with single backslashes\? in JSON a backslash is written twice/);
    expect(loadConfig(write('ok.json', '{ "workDir": "C:\\\\temp\\\\new" }')).workDir).to.equal('C:\\temp\\new');
  });
});
