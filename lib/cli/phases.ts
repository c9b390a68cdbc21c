// Phase lines on stderr for a person watching a long run: a phase that lasts more than a second is named,
// with its elapsed time (one line updated in place on a terminal, a line every 10 s in a task's log).
// Nothing goes to stdout, which carries the report only.

export interface PhaseLines {
  /** A new phase starts (the previous one ends); an empty label only ends the previous one. */
  phase(label: string): void;
  /** The run is over: stop the timers, end the line. */
  close(): void;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function phaseLines(stream: NodeJS.WriteStream = process.stderr, options: { delayMs?: number; everyMs?: number } = {}): PhaseLines {
  const tty = Boolean(stream.isTTY);
  const delay = options.delayMs ?? 1000;
  const every = options.everyMs ?? (tty ? 1000 : 10_000);
  let timer: NodeJS.Timeout | undefined;
  let open = false; // a terminal line waits for its end
  const end = () => {
    clearTimeout(timer);
    clearInterval(timer);
    timer = undefined;
    if (open) stream.write('\n');
    open = false;
  };
  return {
    phase(label) {
      end();
      if (!label) return;
      const started = Date.now();
      const say = () => {
        const line = `upn-match: ${label} ${clock(Date.now() - started)}`;
        if (tty) {
          stream.write(`\r${line}\u001b[K`);
          open = true;
        } else stream.write(`${line}\n`);
      };
      timer = setTimeout(() => {
        say();
        timer = setInterval(say, every);
        timer.unref();
      }, delay);
      timer.unref();
    },
    close: end,
  };
}
