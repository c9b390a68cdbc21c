// How a session call's output is read off the pipe. node-powershell (child-shell 5) marks each call's
// output with a random delimiter before and after it, and reads it by appending every pipe chunk to one
// growing Buffer: a 4.6 MB answer (the cloud facts of 10,000 users) is copied about 170 MB over on the
// way. This reader keeps the same protocol and decodes each chunk to text as it comes, joining the texts once.
//
// Why text and not bytes: a chunk's bytes come from the C heap, and so does a Buffer holding a whole answer and
// the text node decodes from it (an external string, past 1 MB). glibc's allocator serves the next allocations
// below the size of the last large block freed from its heap, which it then keeps: after discover's two reads of
// 50,000 users node held about 45 MB more than it used. Decoded at once, each chunk's bytes are freed while small
// and the text lives in V8's heap, which gives its pages back after a collection.
import { StringDecoder } from 'node:string_decoder';
import { Writable, type Readable } from 'node:stream';

/**
 * A call's output as child-shell 5 uses it (toString, length), held as text. child-shell races each call's output
 * against the session's exit, and that race stays attached to the exit promise for the session's life, holding
 * every answer read (45 MB after discover's two reads of 50,000 users): releaseAnswer empties it once taken.
 */
export class Answer {
  constructor(private text: string) {}

  get length(): number {
    return this.text.length;
  }

  /** The text (child-shell passes its encoding: the text is decoded already). */
  toString(_encoding?: string): string {
    return this.text;
  }

  /** Lets go of the text. */
  release(): void {
    this.text = '';
  }
}

/** Frees an answer's text once taken; anything not read here is left alone. */
export function releaseAnswer(answer: unknown): void {
  if (answer instanceof Answer) answer.release();
}

/** Without leading and trailing spaces and line breaks (what node-powershell trims). */
export function trimBlank(text: string): string {
  const blank = (at: number) => text[at] === ' ' || text[at] === '\r' || text[at] === '\n';
  let start = 0;
  let end = text.length;
  while (start < end && blank(start)) start += 1;
  while (end > start && blank(end - 1)) end -= 1;
  // A slice, not a copy: the answer can be tens of megabytes.
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Reads `stream` until `delimiter` has gone by twice and resolves with what lies between, trimmed.
 * Whatever follows the second delimiter in its chunk is dropped, as node-powershell does. The stream is
 * unpiped then, so that it holds what comes next for the next call.
 */
export function readBetweenDelimiters(stream: Readable, delimiter: string): Promise<Answer> {
  return new Promise((resolve) => {
    const decoder = new StringDecoder('utf8');
    /** The texts after the first delimiter (before it: the text read so far, in `before`). */
    const pieces: string[] = [];
    let before = '';
    /** The last characters read, too few to hold a delimiter, which may be the start of one cut by the chunk's end. */
    let tail = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const text = decoder.write(chunk);
        if (pieces.length === 0) {
          before += text;
          const at = before.indexOf(delimiter);
          if (at < 0) {
            done();
            return;
          }
          pieces.push(before.slice(at + delimiter.length));
          before = '';
          tail = '';
        } else {
          pieces.push(text);
        }
        // The second delimiter: in the last piece, or across its start and the text before it.
        const last = pieces[pieces.length - 1]!;
        const window = tail + last;
        const at = window.indexOf(delimiter);
        if (at < 0) {
          tail = window.slice(Math.max(0, window.length - (delimiter.length - 1)));
          done();
          return;
        }
        stream.unpipe(sink);
        sink.end();
        const cut = at - tail.length; // where the delimiter starts in the last piece; negative: in the pieces before
        pieces[pieces.length - 1] = last.slice(0, Math.max(0, cut));
        const whole = pieces.join('');
        // The pieces go at once: this closure may be held after the call (the answer is released, they would not be).
        pieces.length = 0;
        tail = '';
        resolve(new Answer(trimBlank(cut < 0 ? whole.slice(0, whole.length + cut) : whole)));
        done();
      },
    });
    stream.pipe(sink);
  });
}
