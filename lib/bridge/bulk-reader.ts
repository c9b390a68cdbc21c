// How a session call's output is read off the pipe. node-powershell (child-shell 5) marks each call's
// output with a random delimiter before and after it, and reads it by appending every pipe chunk to one
// growing Buffer: a 4.6 MB answer (the cloud facts of 10,000 users) is copied about 170 MB over on the
// way. This reader keeps the same protocol and copies each chunk once into memory that doubles as it fills.
import { Writable, type Readable } from 'node:stream';

/** The answers this reader handed out and that are not released yet: their memory is theirs alone. */
const answers = new WeakSet<ArrayBuffer>();

/**
 * Frees an answer's memory once its text has been taken. node-powershell (child-shell 5) races each call's
 * output against the session's exit, and that race stays attached to the exit promise for the session's life,
 * holding every answer read (45 MB after discover's two reads of 50,000 users). Transferring the answer's own
 * memory to a clone that nothing keeps leaves the held Buffer empty. Anything not read here is left alone.
 */
export function releaseAnswer(buffer: Buffer | undefined): void {
  if (!buffer || !answers.has(buffer.buffer as ArrayBuffer)) return;
  answers.delete(buffer.buffer as ArrayBuffer);
  structuredClone(buffer.buffer, { transfer: [buffer.buffer as ArrayBuffer] });
}

/**
 * The bytes read so far, in memory of their own (never a slice of Buffer's shared pool, which must never be
 * released) that doubles as it fills. Each pipe chunk is copied in as it comes and let go: kept in a list until the
 * answer was whole, the chunks (64 KB each, from the C heap) grew that heap by the size of the answer, 25 MB at
 * discover's 52,000 AD accounts, which it did not give back.
 */
class Received {
  private bytes = Buffer.from(new ArrayBuffer(65_536));
  length = 0;

  append(chunk: Buffer): void {
    if (this.length + chunk.length > this.bytes.length) {
      const larger = Buffer.from(new ArrayBuffer(Math.max(2 * this.bytes.length, this.length + chunk.length)));
      this.bytes.copy(larger, 0, 0, this.length);
      this.bytes = larger;
    }
    this.length += chunk.copy(this.bytes, this.length);
  }

  /** Where `mark` is, from `from` on, in what was read (-1 when it is not there yet). */
  indexOf(mark: Buffer, from: number): number {
    return this.bytes.subarray(0, this.length).indexOf(mark, from);
  }

  /** The bytes from start to end, as an answer that releaseAnswer may free. */
  answer(start: number, end: number): Buffer {
    answers.add(this.bytes.buffer as ArrayBuffer);
    return this.bytes.subarray(start, end);
  }
}

const isBlank = (byte: number | undefined) => byte === 0x0a || byte === 0x0d || byte === 0x20;

/** Without leading and trailing spaces and line breaks (what node-powershell trims). */
export function trimBlank(buffer: Buffer): Buffer {
  let start = 0;
  let end = buffer.length;
  while (start < end && isBlank(buffer[start])) start += 1;
  while (end > start && isBlank(buffer[end - 1])) end -= 1;
  return buffer.subarray(start, end);
}

/**
 * Reads `stream` until `delimiter` has gone by twice and resolves with what lies between, trimmed.
 * Whatever follows the second delimiter in its chunk is dropped, as node-powershell does. The stream is
 * unpiped then, so that it holds what comes next for the next call.
 */
export function readBetweenDelimiters(stream: Readable, delimiter: string): Promise<Buffer> {
  const mark = Buffer.from(delimiter, 'utf8');
  return new Promise((resolve) => {
    const received = new Received();
    /** Where the text starts: just after the first delimiter (-1 until it is seen). */
    let start = -1;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        // A delimiter may be cut by the chunk's end: look again from just before the new chunk (after the first delimiter).
        let from = Math.max(start, received.length - (mark.length - 1), 0);
        received.append(chunk);
        for (let at = received.indexOf(mark, from); at >= 0; at = received.indexOf(mark, from)) {
          if (start < 0) {
            start = at + mark.length;
            from = start;
            continue;
          }
          stream.unpipe(sink);
          sink.end();
          resolve(trimBlank(received.answer(start, at)));
          done();
          return;
        }
        done();
      },
    });
    stream.pipe(sink);
  });
}
