// The command line as typed, and one argument of a command the tool prints for an admin to paste.
import { SECRET_KEY } from './log.js';

/**
 * One argument of a command to paste into PowerShell or cmd, quoted only when it must be: double quotes, which both
 * take, unless PowerShell would expand or end them ($, backtick, "), then single quotes, PowerShell's literal string
 * (the side taken: admins run the tool from PowerShell; cmd reads single quotes as part of the value). A comma or a
 * first @ is quoted: PowerShell reads a,b as two arguments and @name as splatting.
 */
export function quoteArg(arg: string): string {
  if (/^[\w%+=:./\\-][\w@%+=:./\\-]*$/.test(arg)) return arg;
  return /[$`"]/.test(arg) ? `'${arg.replace(/'/g, "''")}'` : `"${arg}"`;
}

/**
 * The command line as typed, for the journal and the log. The CLI takes no secret on its command line; should a
 * flag ever look like one (--client-secret X, --token=X), its value is masked all the same.
 */
export function commandLine(args: string[] = process.argv.slice(2)): string {
  const masked = args.map((arg, k) => {
    const inline = /^(--?[^=]+)=/.exec(arg);
    if (inline?.[1] && SECRET_KEY.test(inline[1])) return `${inline[1]}=[redacted]`;
    const previous = args[k - 1];
    return previous && /^--?[^=]+$/.test(previous) && SECRET_KEY.test(previous) && !arg.startsWith('-') ? '[redacted]' : arg;
  });
  return ['upn-match', ...masked.map(quoteArg)].join(' ');
}
