// The work folder (journal, snapshots of cloud users, feature record, lock, logs) holds directory data: it is
// made readable by the run account only (POSIX: folders 0700, files 0600; Windows: an ACL for the built-in
// Administrators and the run account, without inheritance). A run file another account owns is refused: it
// may have been planted to make a run undo or write what it never did.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** A file of the work folder that this account does not own (code WorkFileNotOwned). */
export class WorkFileError extends Error {
  override readonly name = 'WorkFileError';
  readonly code = 'WorkFileNotOwned';
}

/** Well-known SID of BUILTIN\Administrators. */
const ADMINISTRATORS_SID = 'S-1-5-32-544';

/**
 * icacls arguments that leave `dir` to Administrators and the run account only (full control, inherited by
 * everything below it), removing inherited entries such as Users:Read of %ProgramData%.
 */
export function windowsAclArguments(dir: string, runAccountSid: string): string[] {
  return [dir, '/inheritance:r', '/grant:r', `*${ADMINISTRATORS_SID}:(OI)(CI)F`, '/grant:r', `*${runAccountSid}:(OI)(CI)F`, '/q'];
}

/** The run account's SID (`whoami /user`: a gMSA or SYSTEM too). Reviewed, not run: there is no Windows here. */
function currentUserSid(): string {
  const out = spawnSync('whoami', ['/user', '/fo', 'csv', '/nh'], { encoding: 'utf8', windowsHide: true });
  const sid = /"(S-1-[0-9-]+)"/.exec(out.stdout ?? '')?.[1];
  if (!sid) throw new Error(`cannot read the run account's SID (whoami /user): ${(out.stderr ?? '').trim() || 'no output'}`);
  return sid;
}

function restrictOnWindows(dir: string): void {
  const result = spawnSync('icacls', windowsAclArguments(dir, currentUserSid()), { encoding: 'utf8', windowsHide: true });
  if (result.status !== 0) throw new Error(`cannot restrict the access to ${dir} (icacls): ${(result.stderr || result.stdout || '').trim()}`);
}

/** Creates `dir` (and its parents) readable by the run account only, and tightens it when it already exists. */
export function ensurePrivateDir(dir: string): void {
  const existed = existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (process.platform === 'win32') {
    if (!existed) restrictOnWindows(dir);
    return;
  }
  const stat = statSync(dir);
  if (typeof process.getuid === 'function' && stat.uid === process.getuid() && (stat.mode & 0o077) !== 0) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Writes a work file atomically, readable by the run account only. */
export function writePrivateFile(file: string, text: string, options: { fsync?: boolean } = {}): void {
  writeFileAtomic.sync(file, text, { encoding: 'utf8', mode: PRIVATE_FILE_MODE, fsync: options.fsync ?? false });
}

function checkOwner(file: string, owner: number): void {
  if (typeof process.getuid !== 'function') return;
  const me = process.getuid();
  // root may read what it likes, but a run as root must not trust a file an ordinary account could have planted.
  if (owner !== me) throw new WorkFileError(`${file} belongs to another account (uid ${owner}, this run is uid ${me}): refusing to read it`);
}

/** Refuses a work file that another account owns (POSIX uid; on Windows the folder's ACL is the guard). */
export function assertOwnFile(file: string): void {
  checkOwner(file, statSync(file).uid);
}

/** Reads a work file after checking who owns it (the file opened is the file checked). */
export function readOwnFile(file: string): string {
  const fd = openSync(file, 'r');
  try {
    checkOwner(file, fstatSync(fd).uid);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
