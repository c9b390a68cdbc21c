// The fake ActiveDirectory module: identities, properties, -Filter and -LDAPFilter parsing, writes, errors.
import { expect } from 'chai';
import type { SimState } from '../../lib/sim/state.js';
import { adUser, baseState, DOMAIN_DN, immutableIdOf, makeSimDir, readCalls, readState, removeSimDir, runSimJson, SCOPE_OU, type Json } from './fixtures.js';

const ANN = 'a0000000-0000-4000-8000-00000000a001';
const BOB = 'a0000000-0000-4000-8000-00000000b002';

function world(): SimState {
  const s = baseState();
  s.forest.users.push(adUser({ sam: 'ann', upn: 'ann@contoso.com', name: 'Ann Lee', objectGuid: ANN, mail: 'ann@contoso.com', proxyAddresses: ['SMTP:ann@contoso.com', 'smtp:a.lee@contoso.com'], consistencyGuid: immutableIdOf(ANN), extra: { title: 'Engineer' } }));
  s.forest.users.push(adUser({ sam: 'bob', upn: 'bob@contoso.com', name: 'Bob (Ops) *', objectGuid: BOB, enabled: false, extra: { description: 'C:\\temp*' } }));
  s.forest.users.push(adUser({ sam: "o'hara", upn: "o'hara@contoso.com", name: 'Kim O', ou: 'OU=Staff,DC=contoso,DC=local' }));
  return s;
}

describe('sim: ActiveDirectory fake', function () {
  this.timeout(60_000);
  let dir = '';
  beforeEach(() => { dir = makeSimDir(world()); });
  afterEach(() => removeSimDir(dir));

  it('Get-ADUser -Identity resolves GUID, DN, SID and sAMAccountName (not UPN) and returns the real property names and types', async () => {
    const r = await runSimJson(dir, `
Import-Module ActiveDirectory
$byGuid = Get-ADUser -Identity '${ANN}'
$byDn = Get-ADUser -Identity 'CN=Ann Lee,OU=Users,${SCOPE_OU}'
$bySam = Get-ADUser ann -Properties mail, proxyAddresses, 'mS-DS-ConsistencyGuid', DisplayName, whenCreated, whenChanged, EmailAddress, title
$bySid = Get-ADUser -Identity ([string]$bySam.SID)
$all = Get-ADUser ann -Properties *
@{
  guidSam = $byGuid.SamAccountName; dnSam = $byDn.SamAccountName; sidSam = $bySid.SamAccountName
  defaultNames = @($byGuid.PSObject.Properties.Name | Where-Object { $_ -ne 'PropertyNames' })
  guidType = $bySam.ObjectGUID.GetType().FullName; objectClass = $bySam.ObjectClass; enabled = $bySam.Enabled
  mail = $bySam.mail; email = $bySam.EmailAddress; proxies = @($bySam.proxyAddresses); title = $bySam.Title
  cgType = $bySam.'mS-DS-ConsistencyGuid'.GetType().FullName; cg = [Convert]::ToBase64String($bySam.'mS-DS-ConsistencyGuid')
  created = $bySam.whenCreated.GetType().FullName
  starHasMail = ($null -ne $all.PSObject.Properties['mail']); starHasUac = $all.userAccountControl
  notFound = (Catch-Sim { Get-ADUser -Identity nobody })
  upnNotIdentity = (Catch-Sim { Get-ADUser -Identity 'ann@contoso.com' })
  badProperty = (Catch-Sim { Get-ADUser ann -Properties NoSuchAttribute })
}`);
    expect(r.guidSam).to.equal('ann');
    expect(r.dnSam).to.equal('ann');
    expect(r.sidSam).to.equal('ann');
    expect(r.defaultNames).to.deep.equal(['DistinguishedName', 'Enabled', 'GivenName', 'Name', 'ObjectClass', 'ObjectGUID', 'SamAccountName', 'SID', 'Surname', 'UserPrincipalName']);
    expect(r.guidType).to.equal('System.Guid');
    expect(r.objectClass).to.equal('user');
    expect(r.enabled).to.equal(true);
    expect(r.mail).to.equal('ann@contoso.com');
    expect(r.email).to.equal('ann@contoso.com');
    expect(r.proxies).to.deep.equal(['SMTP:ann@contoso.com', 'smtp:a.lee@contoso.com']);
    expect(r.title).to.equal('Engineer');
    expect(r.cgType).to.equal('System.Byte[]');
    expect(r.cg).to.equal(immutableIdOf(ANN));
    expect(r.created).to.equal('System.DateTime');
    expect(r.starHasMail).to.equal(true);
    expect(r.starHasUac).to.equal(512);
    expect(r.notFound.error).to.equal(`Cannot find an object with identity: 'nobody' under: '${DOMAIN_DN}'.`);
    expect(r.notFound.category).to.equal('ObjectNotFound');
    expect(r.notFound.type).to.equal('Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException');
    expect(r.notFound.fqid).to.match(/^ActiveDirectoryCmdlet:Microsoft\.ActiveDirectory\.Management\.ADIdentityNotFoundException,/);
    expect(r.upnNotIdentity.category).to.equal('ObjectNotFound');
    expect(r.badProperty.error).to.match(/One or more properties are invalid/);
  });

  it('-Filter: operators, quoting, variables, *, and the real parse errors', async () => {
    const r = await runSimJson(dir, `
Import-Module ActiveDirectory
function sams($f) { , @(Get-ADUser -Filter $f | ForEach-Object { $_.SamAccountName } | Sort-Object) }
$upn = 'bob@contoso.com'
$obj = [pscustomobject]@{ Upn = 'ann@contoso.com' }
@{
  star = sams '*'
  eq = sams "UserPrincipalName -eq 'ann@contoso.com'"
  eqCase = sams "userprincipalname -eq 'ANN@CONTOSO.COM'"
  ne = sams "SamAccountName -ne 'ann'"
  like = sams "Name -like 'Bob (Ops)*'"
  notlike = sams "UserPrincipalName -notlike '*@contoso.com'"
  andOr = sams "(SamAccountName -eq 'ann' -or SamAccountName -eq 'bob') -and Enabled -eq 'True'"
  not = sams "-not (Enabled -eq \`$true)"
  quoteEscape = sams "SamAccountName -eq 'o''hara'"
  doubleQuoted = sams 'SamAccountName -eq "o''hara"'
  variable = @(Get-ADUser -Filter { UserPrincipalName -eq $upn } | ForEach-Object { $_.SamAccountName })
  variableProperty = @(Get-ADUser -Filter 'UserPrincipalName -eq $obj.Upn' | ForEach-Object { $_.SamAccountName })
  proxyAny = sams "proxyAddresses -eq 'smtp:a.lee@contoso.com'"
  mailNull = sams "mail -notlike '*'"
  guid = sams "ObjectGUID -eq '${BOB}'"
  searchBase = @(Get-ADUser -Filter * -SearchBase 'OU=Staff,DC=contoso,DC=local' | ForEach-Object { $_.SamAccountName })
  oneLevel = @(Get-ADUser -Filter * -SearchBase '${SCOPE_OU}' -SearchScope OneLevel).Count
  sized = @(Get-ADUser -Filter * -ResultSetSize 1 -ResultPageSize 10).Count
  quoteError = (Catch-Sim { Get-ADUser -Filter "SamAccountName -eq 'k'walker'" })
  missingValue = (Catch-Sim { Get-ADUser -Filter "SamAccountName -eq" })
  badOperator = (Catch-Sim { Get-ADUser -Filter "SamAccountName -equals 'x'" })
  unclosed = (Catch-Sim { Get-ADUser -Filter "(SamAccountName -eq 'x'" })
  undefinedVar = (Catch-Sim { Get-ADUser -Filter 'SamAccountName -eq $nope' })
  badBase = (Catch-Sim { Get-ADUser -Filter * -SearchBase 'OU=Nowhere,DC=contoso,DC=local' })
  badServer = (Catch-Sim { Get-ADUser ann -Server 'dc99.fabrikam.local' })
  goodServer = (Get-ADUser ann -Server 'dc01.contoso.local:3268').SamAccountName
}`);
    expect(r.star).to.deep.equal(['ann', 'bob', "o'hara"]);
    expect(r.eq).to.deep.equal(['ann']);
    expect(r.eqCase).to.deep.equal(['ann']);
    expect(r.ne).to.deep.equal(['bob', "o'hara"]);
    expect(r.like).to.deep.equal(['bob']);
    expect(r.notlike).to.deep.equal([]);
    expect(r.andOr).to.deep.equal(['ann']);
    expect(r.not).to.deep.equal(['bob']);
    expect(r.quoteEscape).to.deep.equal(["o'hara"]);
    expect(r.doubleQuoted).to.deep.equal(["o'hara"]);
    expect(r.variable).to.deep.equal(['bob']);
    expect(r.variableProperty).to.deep.equal(['ann']);
    expect(r.proxyAny).to.deep.equal(['ann']);
    expect(r.mailNull).to.deep.equal(['bob', "o'hara"]);
    expect(r.guid).to.deep.equal(['bob']);
    expect(r.searchBase).to.deep.equal(["o'hara"]);
    expect(r.oneLevel).to.equal(0);
    expect(r.sized).to.equal(1);
    expect(r.quoteError.error).to.equal("Error parsing query: 'SamAccountName -eq 'k'walker'' Error Message: 'syntax error' at position: '23'.");
    expect(r.quoteError.category).to.equal('ParserError');
    expect(r.quoteError.type).to.equal('Microsoft.ActiveDirectory.Management.ADFilterParsingException');
    expect(r.missingValue.error).to.match(/^Error parsing query: 'SamAccountName -eq' .* at position: '19'\.$/);
    expect(r.badOperator.error).to.match(/at position: '16'/);
    expect(r.unclosed.error).to.match(/^Error parsing query/);
    expect(r.undefinedVar.error).to.equal("Variable: 'nope' found in expression: $nope is not defined.");
    expect(r.badBase.error).to.equal('Directory object not found');
    expect(r.badServer.error).to.match(/^Unable to contact the server/);
    expect(r.badServer.category).to.equal('ResourceUnavailable');
    expect(r.goodServer).to.equal('ann');
  });

  it('-LDAPFilter: RFC 4515 operators, escapes decoded, binary GUID match, bitwise UAC, malformed filters rejected', async () => {
    const guidEscaped = Buffer.from(immutableIdOf(BOB), 'base64').toString('hex').replace(/(..)/g, '\\$1');
    const r = await runSimJson(dir, `
Import-Module ActiveDirectory
function sams($f) { , @(Get-ADUser -LDAPFilter $f | ForEach-Object { $_.SamAccountName } | Sort-Object) }
@{
  and = sams '(&(objectClass=user)(objectCategory=person)(sAMAccountName=ann))'
  or = sams '(|(sAMAccountName=ann)(sAMAccountName=bob))'
  not = sams '(!(sAMAccountName=ann))'
  presence = sams '(mail=*)'
  substring = sams '(userPrincipalName=a*@contoso.*)'
  noParens = sams 'sAMAccountName=bob'
  escStar = sams '(name=Bob \\28Ops\\29 \\2a)'
  escStarIsLiteral = sams '(name=\\2a)'
  escBackslashNul = sams '(description=a\\5cb\\00)'
  escBackslash = sams '(description=C:\\5ctemp\\2a)'
  escBackslashSub = sams '(description=*\\5ct*)'
  escQuote = sams "(sAMAccountName=o\\27hara)"
  binaryGuid = sams '(objectGUID=${guidEscaped})'
  disabled = sams '(userAccountControl:1.2.840.113556.1.4.803:=2)'
  enabledOnly = sams '(!(userAccountControl:1.2.840.113556.1.4.803:=2))'
  proxy = sams '(proxyAddresses=smtp:A.LEE@contoso.com)'
  ge = sams '(whenCreated>=20230101000000.0Z)'
  unbalanced = (Catch-Sim { Get-ADUser -LDAPFilter '(&(sn=x)' })
  bareParen = (Catch-Sim { Get-ADUser -LDAPFilter '(cn=a(b)' })
  badEscape = (Catch-Sim { Get-ADUser -LDAPFilter '(cn=\\zz)' })
  shortEscape = (Catch-Sim { Get-ADUser -LDAPFilter '(cn=ab\\2)' })
  emptyAnd = (Catch-Sim { Get-ADUser -LDAPFilter '(&)' })
  noAttr = (Catch-Sim { Get-ADUser -LDAPFilter '(=x)' })
  trailing = (Catch-Sim { Get-ADUser -LDAPFilter '(cn=x))' })
  empty = (Catch-Sim { Get-ADUser -LDAPFilter ' ' })
}`);
    expect(r.and).to.deep.equal(['ann']);
    expect(r.or).to.deep.equal(['ann', 'bob']);
    expect(r.not).to.deep.equal(['bob', "o'hara"]);
    expect(r.presence).to.deep.equal(['ann']);
    expect(r.substring).to.deep.equal(['ann']);
    expect(r.noParens).to.deep.equal(['bob']);
    expect(r.escStar).to.deep.equal(['bob']);
    expect(r.escStarIsLiteral).to.deep.equal([]);
    expect(r.escBackslashNul).to.deep.equal([]);
    expect(r.escBackslash).to.deep.equal(['bob']);
    expect(r.escBackslashSub).to.deep.equal(['bob']);
    expect(r.escQuote).to.deep.equal(["o'hara"]);
    expect(r.binaryGuid).to.deep.equal(['bob']);
    expect(r.disabled).to.deep.equal(['bob']);
    expect(r.enabledOnly).to.deep.equal(['ann', "o'hara"]);
    expect(r.proxy).to.deep.equal(['ann']);
    expect(r.ge).to.deep.equal(['ann', 'bob', "o'hara"]);
    for (const key of ['unbalanced', 'bareParen', 'badEscape', 'shortEscape', 'emptyAnd', 'noAttr', 'trailing', 'empty']) {
      expect(r[key].error, key).to.equal('The search filter cannot be recognized');
      expect(r[key].type, key).to.equal('Microsoft.ActiveDirectory.Management.ADException');
    }
  });

  it('New-ADUser: creates, rejects a duplicate sAMAccountName and (2012 R2+ DC) a duplicate UPN, honours -WhatIf and the password policy', async () => {
    const r = await runSimJson(dir, `
Import-Module ActiveDirectory
$pw = ConvertTo-SecureString 'Str0ng!Passw0rd' -AsPlainText -Force
$new = New-ADUser -Name 'Carl New' -SamAccountName carl -UserPrincipalName 'carl@contoso.com' -GivenName Carl -Surname New -DisplayName 'Carl New' -Path '${SCOPE_OU}' -EmailAddress 'carl@contoso.com' -Enabled $true -AccountPassword $pw -OtherAttributes @{ proxyAddresses = @('SMTP:carl@contoso.com'); 'mS-DS-ConsistencyGuid' = [guid]'${BOB}'; title = 'Boss' } -PassThru
$carl = Get-ADUser carl -Properties mail, proxyAddresses, 'mS-DS-ConsistencyGuid', title, DisplayName
New-ADUser -Name 'What If' -SamAccountName whatif -WhatIf
New-ADUser -Name 'No Password' -SamAccountName nopw -Enabled $true
@{
  passThru = $new.DistinguishedName; enabled = $carl.Enabled; mail = $carl.mail; proxies = @($carl.proxyAddresses); title = $carl.title
  cg = [Convert]::ToBase64String($carl.'mS-DS-ConsistencyGuid'); display = $carl.DisplayName
  dupUpn = (Catch-Sim { New-ADUser -Name 'Dup Upn' -SamAccountName dupupn -UserPrincipalName 'ANN@contoso.com' })
  dupUpnByAttribute = (Catch-Sim { New-ADUser -Name 'Dup Upn2' -SamAccountName dupupn2 -OtherAttributes @{ userPrincipalName = 'carl@contoso.com' } })
  dupUpnCode = $(try { New-ADUser -Name 'Dup Upn3' -SamAccountName dupupn3 -UserPrincipalName 'ann@contoso.com' } catch { $_.Exception.ErrorCode })
  dupUpnCount = @(Get-ADUser -Filter "UserPrincipalName -eq 'ann@contoso.com'").Count
  whatIfExists = @(Get-ADUser -Filter "SamAccountName -eq 'whatif'").Count
  noPasswordEnabled = (Get-ADUser nopw).Enabled
  dupSam = (Catch-Sim { New-ADUser -Name 'Other Ann' -SamAccountName ANN })
  dupName = (Catch-Sim { New-ADUser -Name 'Carl New' -SamAccountName carl2 -Path '${SCOPE_OU}' })
  badPath = (Catch-Sim { New-ADUser -Name 'Lost' -SamAccountName lost -Path 'OU=Nowhere,DC=contoso,DC=local' })
  weak = (Catch-Sim { New-ADUser -Name 'Weak' -SamAccountName weak -Enabled $true -AccountPassword (ConvertTo-SecureString 'abc' -AsPlainText -Force) })
  weakCreatedDisabled = (Get-ADUser weak).Enabled
}`);
    expect(r.passThru).to.equal(`CN=Carl New,${SCOPE_OU}`);
    expect(r.enabled).to.equal(true);
    expect(r.mail).to.equal('carl@contoso.com');
    expect(r.proxies).to.deep.equal(['SMTP:carl@contoso.com']);
    expect(r.title).to.equal('Boss');
    expect(r.cg).to.equal(immutableIdOf(BOB));
    expect(r.display).to.equal('Carl New');
    // MS-ADTS 3.1.1.5.1.3; "SPN and UPN uniqueness" (error 8648), raised as ADException ActiveDirectoryServer:8648.
    expect(r.dupUpn.error).to.equal('The operation failed because UPN value provided for addition/modification is not unique forest-wide');
    expect(r.dupUpn.type).to.equal('Microsoft.ActiveDirectory.Management.ADException');
    expect(r.dupUpn.category).to.equal('NotSpecified');
    expect(r.dupUpn.fqid).to.equal('ActiveDirectoryServer:8648,New-ADUser');
    expect(r.dupUpnByAttribute.fqid).to.equal('ActiveDirectoryServer:8648,New-ADUser');
    expect(r.dupUpnCode).to.equal(8648);
    expect(r.dupUpnCount).to.equal(1);
    expect(r.whatIfExists).to.equal(0);
    expect(r.noPasswordEnabled).to.equal(false);
    expect(r.dupSam.error).to.equal('The specified account already exists');
    expect(r.dupSam.type).to.equal('Microsoft.ActiveDirectory.Management.ADIdentityAlreadyExistsException');
    expect(r.dupSam.fqid).to.equal('ActiveDirectoryServer:1316,New-ADUser');
    expect(r.dupName.error).to.match(/name that is already in use/);
    expect(r.badPath.error).to.equal('Directory object not found');
    expect(r.weak.error).to.match(/does not meet the length, complexity, or history requirement/);
    expect(r.weakCreatedDisabled).to.equal(false);
    const state = readState(dir);
    const carl = state.forest.users.find((u: Json) => u.SamAccountName === 'carl');
    expect(carl.whenCreated).to.be.a('string');
    expect(carl.SID).to.match(/^S-1-5-21-/);
  });

  it('Set-ADUser: parameters, -Replace/-Add/-Remove/-Clear in the documented order, whenChanged, -WhatIf, errors', async () => {
    const r = await runSimJson(dir, `
Import-Module ActiveDirectory
Set-ADUser bob -UserPrincipalName 'robert@contoso.com' -EmailAddress 'bob@contoso.com' -DisplayName 'Bobby' -Replace @{ 'mS-DS-ConsistencyGuid' = [byte[]](1..16); title = 'Ops' } -Add @{ proxyAddresses = 'SMTP:bob@contoso.com', 'smtp:b@contoso.com' } -Clear description
$b1 = Get-ADUser bob -Properties mail, proxyAddresses, DisplayName, whenChanged, title, 'mS-DS-ConsistencyGuid'
# Remove runs before Add: removing the old value and adding a new one in one call works
Set-ADUser bob -Remove @{ proxyAddresses = 'smtp:b@contoso.com' } -Add @{ proxyAddresses = 'smtp:b2@contoso.com' }
$b2 = Get-ADUser bob -Properties proxyAddresses
Set-ADUser bob -DisplayName 'Nope' -WhatIf
$p = Set-ADUser -Identity '${BOB}' -EmailAddress $null -PassThru
$b3 = Get-ADUser bob -Properties DisplayName, mail
@{
  upn = $b1.UserPrincipalName; mail = $b1.mail; display = $b1.DisplayName; title = $b1.title
  proxies1 = @($b1.proxyAddresses); proxies2 = @($b2.proxyAddresses)
  cg = [Convert]::ToBase64String($b1.'mS-DS-ConsistencyGuid'); changedYear = $b1.whenChanged.ToUniversalTime().Year
  whatIfDisplay = $b3.DisplayName; passThruSam = $p.SamAccountName; clearedMail = $b3.mail
  dupValue = (Catch-Sim { Set-ADUser bob -Add @{ proxyAddresses = 'SMTP:BOB@contoso.com' } })
  missingValue = (Catch-Sim { Set-ADUser bob -Remove @{ proxyAddresses = 'smtp:none@contoso.com' } })
  badAttribute = (Catch-Sim { Set-ADUser bob -Replace @{ notAnAttribute = 'x' } })
  systemOwned = (Catch-Sim { Set-ADUser bob -Replace @{ objectGUID = [guid]::NewGuid() } })
  dupSam = (Catch-Sim { Set-ADUser bob -SamAccountName ann })
  dupUpn = (Catch-Sim { Set-ADUser bob -UserPrincipalName 'Ann@Contoso.com' })
  dupUpnReplace = (Catch-Sim { Set-ADUser bob -Replace @{ userPrincipalName = 'ann@contoso.com' } })
  ownUpnCase = (Catch-Sim { Set-ADUser ann -UserPrincipalName 'ANN@contoso.com' })
  notFound = (Catch-Sim { Set-ADUser nobody -DisplayName x })
}`);
    expect(r.upn).to.equal('robert@contoso.com');
    expect(r.mail).to.equal('bob@contoso.com');
    expect(r.display).to.equal('Bobby');
    expect(r.title).to.equal('Ops');
    expect(r.proxies1).to.deep.equal(['SMTP:bob@contoso.com', 'smtp:b@contoso.com']);
    expect(r.proxies2).to.deep.equal(['SMTP:bob@contoso.com', 'smtp:b2@contoso.com']);
    expect(r.cg).to.equal(Buffer.from(Array.from({ length: 16 }, (_, i) => i + 1)).toString('base64'));
    expect(r.changedYear).to.be.greaterThan(2024);
    expect(r.whatIfDisplay).to.equal('Bobby');
    expect(r.passThruSam).to.equal('bob');
    expect(r.clearedMail).to.equal(null);
    expect(r.dupValue.error).to.equal('The specified value already exists');
    expect(r.missingValue.error).to.equal('The specified directory service attribute or value does not exist');
    expect(r.badAttribute.error).to.match(/^The specified directory service attribute or value does not exist\s+Parameter name: notAnAttribute/);
    expect(r.systemOwned.error).to.match(/owned by the system/);
    expect(r.dupSam.error).to.equal('The specified account already exists');
    expect(r.dupUpn.type).to.equal('Microsoft.ActiveDirectory.Management.ADException');
    expect(r.dupUpn.fqid).to.equal('ActiveDirectoryServer:8648,Set-ADUser');
    expect(r.dupUpnReplace.fqid).to.equal('ActiveDirectoryServer:8648,Set-ADUser');
    expect(r.ownUpnCase.error).to.equal(null); // its own UPN in other case is no duplicate
    expect(r.notFound.category).to.equal('ObjectNotFound');
    expect(r.notFound.type).to.equal('Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException');
  });

  it('a domain below Windows Server 2012 R2 mode accepts a duplicate UPN (its DCs do not check)', async () => {
    const s = world();
    s.forest.domains[0]!.DomainMode = 'Windows2012Domain';
    removeSimDir(dir);
    dir = makeSimDir(s);
    const r = await runSimJson(dir, `
Import-Module ActiveDirectory
Set-ADUser bob -UserPrincipalName 'ann@contoso.com'
New-ADUser -Name 'Dup' -SamAccountName dup -UserPrincipalName 'ann@contoso.com'
@(Get-ADUser -LDAPFilter '(userPrincipalName=ann@contoso.com)').Count`);
    expect(r).to.equal(3);
  });

  it('Remove-ADUser needs -Confirm:$false non-interactively; Move-ADObject moves; Get-ADForest / Get-ADDomain', async () => {
    const r = await runSimJson(dir, `
Import-Module ActiveDirectory
$prompt = Catch-Sim { Remove-ADUser bob }
Remove-ADUser ann -WhatIf
Remove-ADUser bob -Confirm:$false
$moved = Move-ADObject -Identity "CN=Kim O,OU=Staff,DC=contoso,DC=local" -TargetPath '${SCOPE_OU}' -PassThru
$f = Get-ADForest
$d = Get-ADDomain
@{
  promptFailed = ($null -ne $prompt.error); annStill = (Get-ADUser ann).SamAccountName
  bobGone = (Catch-Sim { Get-ADUser bob }).category
  moved = $moved.DistinguishedName
  forest = @{ Name = $f.Name; RootDomain = $f.RootDomain; Domains = @($f.Domains); UPNSuffixes = @($f.UPNSuffixes); GlobalCatalogs = @($f.GlobalCatalogs) }
  domain = @{ DNSRoot = $d.DNSRoot; NetBIOSName = $d.NetBIOSName; DistinguishedName = $d.DistinguishedName; PDCEmulator = $d.PDCEmulator; Forest = $d.Forest; UsersContainer = $d.UsersContainer }
  domainByName = (Get-ADDomain -Identity CONTOSO).DNSRoot
}`);
    expect(r.promptFailed).to.equal(true);
    expect(r.annStill).to.equal('ann');
    expect(r.bobGone).to.equal('ObjectNotFound');
    expect(r.moved).to.equal(`CN=Kim O,${SCOPE_OU}`);
    expect(r.forest).to.deep.equal({ Name: 'contoso.local', RootDomain: 'contoso.local', Domains: ['contoso.local'], UPNSuffixes: ['contoso.com'], GlobalCatalogs: ['dc01.contoso.local'] });
    expect(r.domain).to.deep.equal({ DNSRoot: 'contoso.local', NetBIOSName: 'CONTOSO', DistinguishedName: DOMAIN_DN, PDCEmulator: 'dc01.contoso.local', Forest: 'contoso.local', UsersContainer: `CN=Users,${DOMAIN_DN}` });
    expect(r.domainByName).to.equal('contoso.local');
    const calls = readCalls(dir).map((c) => c.command);
    expect(calls).to.include.members(['Remove-ADUser', 'Move-ADObject', 'Get-ADForest', 'Get-ADDomain']);
  });
});
