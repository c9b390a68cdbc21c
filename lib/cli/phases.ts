// The console's status lines on stderr, for a person watching a long run: a phase that lasts more than a second is
// named with its elapsed time, and a step's counted progress ("Reading cloud users 12,000/50,000", "Waiting for the
// running sync cycle 2:10 of 15:00") is shown as it comes from PowerShell. On a terminal: one line updated in place,
// a progress bar (cli-progress) when the whole is known. In a task's log (no terminal): plain lines, at most one per
// 10 % of an activity and one every few seconds. Nothing goes to stdout, which carries the report only.
import { createRequire } from 'node:module';
import type { ProgressEvent } from '../bridge/progress.js';

export interface PhaseLines {
  /** A new phase starts (the previous one ends); an empty label only ends the previous one. */
  phase(label: string): void;
  /** A step's progress (lib/bridge/progress.ts). */
  progress(event: ProgressEvent): void;
  /**
   * Ends the line being drawn (a bar or a phase line) so that a message can follow on a line of its own (a prompt,
   * the message on Ctrl-C). The timers go on: a later event draws again.
   */
  endLine(): void;
  /** The run is over: stop the timers, end the line. */
  close(): void;
}

export interface PhaseLineOptions {
  /** How long a phase or an activity lasts before it is shown (default 1 s). */
  delayMs?: number;
  /** How often a phase's elapsed time is told again (default 1 s on a terminal, 10 s in a task). */
  everyMs?: number;
  /** In a task: the least time between two lines of one activity, unless it ended (default 3 s). */
  minGapMs?: number;
  now?: () => number;
}

export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const count = (n: number) => Math.floor(n).toLocaleString('en-US');

/** The words of a progress event: "Reading cloud users 12,000/50,000", "Delta sync running 0:40". */
export function progressText(event: ProgressEvent): string {
  if (event.unit === 'seconds') return `${event.activity} ${clock(event.done)}${event.total === null ? '' : ` of ${clock(event.total)}`}`;
  return `${event.activity} ${count(event.done)}${event.total === null ? '' : `/${count(event.total)}`}`;
}

/** How long after a progress line the phase line keeps quiet. */
const PROGRESS_QUIET_MS = 5000;

const isFinal = (event: ProgressEvent) => event.total !== null && event.done >= event.total;
const tenth = (event: ProgressEvent) => (event.total ? Math.floor((10 * event.done) / event.total) : -1);

interface Bar {
  start(total: number, value: number, payload: object): void;
  update(value: number, payload: object): void;
  stop(): void;
}

const requireCjs = createRequire(import.meta.url);

/** A cli-progress bar drawing "upn-match: <activity> [bar] <done>/<total>" (loaded on first use: a task never needs it). */
function newBar(stream: NodeJS.WriteStream): Bar {
  const cliProgress = requireCjs('cli-progress') as typeof import('cli-progress');
  return new cliProgress.SingleBar(
    {
      stream,
      barsize: 20,
      hideCursor: false,
      linewrap: false,
      // Our own text for the numbers: thousands separators, and m:ss for a wait.
      format: (options, params, payload: { event: ProgressEvent }) => {
        const bar = cliProgress.Format.BarFormat(params.progress, options);
        const { event } = payload;
        const numbers = progressText(event).slice(event.activity.length + 1);
        return `upn-match: ${event.activity} [${bar}] ${numbers}`;
      },
    },
    cliProgress.Presets.shades_classic,
  );
}

export function phaseLines(stream: NodeJS.WriteStream = process.stderr, options: PhaseLineOptions = {}): PhaseLines {
  const tty = Boolean(stream.isTTY);
  const delay = options.delayMs ?? 1000;
  const every = options.everyMs ?? (tty ? 1000 : 10_000);
  const minGap = options.minGapMs ?? 3000;
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  /** A terminal line (a phase's or an activity's without a bar) waits for its end. */
  let open = false;
  let bar: Bar | undefined;
  /** The activity being shown and what was last shown of it. */
  let activity: { name: string; firstAt: number; shownAt?: number; shownTenth: number; shownFinal: boolean } | undefined;

  const endLine = () => {
    if (bar) bar.stop(); // cli-progress ends its line itself
    else if (open) stream.write('\n');
    bar = undefined;
    open = false;
  };
  const stopTimer = () => {
    clearTimeout(timer);
    clearInterval(timer);
    timer = undefined;
  };
  const drawLine = (line: string) => {
    if (tty) {
      stream.write(`\r${line}\u001b[K`);
      open = true;
    } else stream.write(`${line}\n`);
  };
  /**
   * A progress line was shown a moment ago (its next event may take a few seconds: a page of 999 cloud users):
   * the phase's elapsed time would only interrupt it.
   */
  const progressShowing = () =>
    bar !== undefined || (activity?.shownAt !== undefined && !activity.shownFinal && now() - activity.shownAt < Math.max(every, PROGRESS_QUIET_MS));

  return {
    phase(label) {
      stopTimer();
      endLine();
      activity = undefined;
      if (!label) return;
      const started = now();
      const say = () => {
        if (!progressShowing()) drawLine(`upn-match: ${label} ${clock((now() - started) / 1000)}`);
      };
      timer = setTimeout(() => {
        say();
        timer = setInterval(say, every);
        timer.unref();
      }, delay);
      timer.unref();
    },
    progress(event) {
      const at = now();
      if (activity?.name !== event.activity) {
        // A new activity ends the line of the last one (a finished bar stays on the screen).
        if (bar || activity?.shownAt !== undefined) endLine();
        activity = { name: event.activity, firstAt: at, shownTenth: -1, shownFinal: false };
      }
      const final = isFinal(event);
      // A short activity (done within the delay) is not shown at all.
      if (at - activity.firstAt < delay && activity.shownAt === undefined) return;
      if (tty) {
        if (open && !bar) stream.write('\r\u001b[K');
        if (event.total !== null) {
          if (!bar) {
            open = false;
            bar = newBar(stream);
            bar.start(event.total, event.done, { event });
          } else bar.update(event.done, { event });
          if (final) endLine();
        } else drawLine(`upn-match: ${progressText(event)}`);
        activity.shownAt = at;
        activity.shownFinal = final;
        return;
      }
      // A task's log: the first line, the last, each further tenth or every `every` ms, never two within minGap.
      const shown = activity.shownAt;
      const due =
        shown === undefined ||
        (final && !activity.shownFinal) ||
        (at - shown >= minGap && (tenth(event) > activity.shownTenth || at - shown >= every));
      if (!due) return;
      drawLine(`upn-match: ${progressText(event)}`);
      activity.shownAt = at;
      activity.shownTenth = tenth(event);
      activity.shownFinal = final;
    },
    endLine,
    close() {
      stopTimer();
      endLine();
      activity = undefined;
    },
  };
}
