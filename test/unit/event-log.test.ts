// The Windows event log's arguments (eventcreate, reviewed not run: no Windows here), and the same events in the
// log file on every platform.
import { expect } from 'chai';
import { Writable } from 'node:stream';
import winston from 'winston';
import { EVENT_ID, eventcreateArguments, writeEvent } from '../../lib/event-log.js';

/** A logger whose JSON lines are kept in memory, as the log file's transport writes them. */
function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] }) };
}

describe('event log', () => {
  it('writes a Windows event under its own source, with its id and type, on one line', () => {
    expect(eventcreateArguments({ id: EVENT_ID.userFailed, type: 'error', message: 'anna: failed\r\n  (SyncExportError)' })).to.deep.equal([
      '/L', 'APPLICATION', '/SO', 'upn-match', '/ID', '200', '/T', 'ERROR', '/D', 'anna: failed (SyncExportError)',
    ]);
  });

  it('puts the same event in the log file where there is no event log', () => {
    const { lines, logger } = memoryLogger();
    writeEvent(logger, { id: EVENT_ID.runEnded, type: 'warning', message: 'ended with exit code 1', data: { exitCode: 1 } }, 'linux');
    expect(lines[0]).to.include({ level: 'warn', message: 'ended with exit code 1', event: 110, eventSource: 'upn-match', exitCode: 1 });
  });
});
