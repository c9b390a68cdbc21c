// A full garbage collection, asked for after a large answer. V8 collects its old generation only when the
// heap has grown well past its last size, so the garbage of one bulk read (the answer's text, the values parsed
// from it, the copy its schema check makes) was still held while the next read and pairing allocated: at
// 50,000 users a third of node's peak. One collection takes tens of milliseconds and happens a few times a run.
import v8 from 'node:v8';
import vm from 'node:vm';

/** Answers at least this long (characters) are followed by a collection. */
export const LARGE_ANSWER = 4_000_000;

let gc: (() => void) | null | undefined;

/** Collects garbage now, if this node lets a program ask (it does since V8 exposes `gc` on demand); a no-op otherwise. */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
