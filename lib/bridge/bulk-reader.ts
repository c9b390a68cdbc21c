// How a session call's output is read off the pipe. node-powershell (child-shell 5) marks each call's
// output with a random delimiter before and after it, and reads it by appending every pipe chunk to one
// growing Buffer: a 4.6 MB answer (the cloud facts of 10,000 users) is copied about 170 MB over on the
// way. This reader keeps the same protocol with the chunks in a list, and joins them once.
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

/** The chunks joined in memory of their own (Buffer.concat may take a slice of the shared pool, which must never be released). */
function join(chunks: Buffer[], length: number): Buffer {
  const whole = Buffer.from(new ArrayBuffer(length));
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(whole, at);
  answers.add(whole.buffer as ArrayBuffer);
  return whole;
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
    const chunks: Buffer[] = [];
    let length = 0;
    /** Where the text starts: just after the first delimiter (-1 until it is seen). */
    let start = -1;
    /** The last bytes seen, too few to hold a delimiter, which may be the start of one cut by the chunk's end. */
    let carry = Buffer.alloc(0);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const windowOffset = length - carry.length;
        const window = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        chunks.push(chunk);
        length += chunk.length;
        for (let at = window.indexOf(mark); at >= 0; at = window.indexOf(mark, at + mark.length)) {
          const found = windowOffset + at;
          if (start < 0) {
            start = found + mark.length;
          } else {
            stream.unpipe(sink);
            sink.end();
            resolve(trimBlank(join(chunks, length).subarray(start, found)));
            done();
            return;
          }
        }
        carry = Buffer.from(window.subarray(Math.max(0, window.length - (mark.length - 1))));
        done();
      },
    });
    stream.pipe(sink);
  });
}
