import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { ClientLog } from '../src/pure/clientLog';

test('#21 item 25: the client\'s messages lose their second timestamp, and the stray `true` after a restart is dropped', () => {
  const log = new ClientLog();
  assert.deepEqual(log.appendLine('[Info  - 10:13:09 PM] Connection to server got closed. Server will restart.'), [
    { level: 'info', text: 'Connection to server got closed. Server will restart.' },
  ]);
  assert.deepEqual(log.appendLine('true'), []);
  assert.deepEqual(log.appendLine('[Error - 10:13:09 PM] Server process exited with signal SIGKILL.'), [
    { level: 'error', text: 'Server process exited with signal SIGKILL.' },
  ]);
  // A `true` that is not the data of a client message is kept.
  assert.deepEqual(log.appendLine('[Warn  - 1:02:03 AM] something'), [{ level: 'warn', text: 'something' }]);
  assert.deepEqual(log.appendLine('other'), [{ level: 'info', text: 'other' }]);
  assert.deepEqual(log.appendLine('true'), [{ level: 'info', text: 'true' }]);
});

test('the sidecar\'s stderr, cut anywhere, comes out as whole lines at tracing\'s level', () => {
  const log = new ClientLog();
  assert.deepEqual(log.append(' WARN the portal answ'), []);
  assert.deepEqual(log.append('ered slowly\n  INFO published 1.0.1\nERR'), [
    { level: 'warn', text: 'the portal answered slowly' },
    { level: 'info', text: 'published 1.0.1' },
  ]);
  assert.deepEqual(log.append('OR gone\r\n\n'), [{ level: 'error', text: 'gone' }]);
  assert.deepEqual(log.append('a line without a level'), []);
  assert.deepEqual(log.flush(), [{ level: 'info', text: 'a line without a level' }]);
});
