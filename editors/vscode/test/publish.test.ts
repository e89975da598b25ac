// Publishing (issues #19 and #21): typed progress, the description, dry-run words, build
// errors for the Problems panel. The extension reads typed fields, never Rust's English.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  describeError,
  descriptionInput,
  failureView,
  phaseOf,
  problemOf,
  progressPercent,
  publishText,
} from '../src/pure/messages';
import { notesPrefill } from '../src/pure/args';
import { COMMAND_TABLE } from '../src/pure/protocol';

const src = path.join(__dirname, '..', '..', 'src');

test('#19 A: the bar follows the typed phase: only the upload’s bytes (and the end) give a percentage', () => {
  assert.equal(progressPercent(phaseOf({ kind: 'report', message: 'Uploading 1.0.1: 50%', percentage: 60 })), undefined, 'no phase: no bar, whatever the words say');
  assert.equal(progressPercent(phaseOf({ kind: 'report', percentage: 10, phase: { kind: 'build', version: '1.0.1', command: 'npm run build' } })), undefined);
  assert.equal(progressPercent(phaseOf({ kind: 'report', phase: { kind: 'upload', version: '1.0.1', done: 512, total: 2048 } })), 25);
  assert.equal(progressPercent(phaseOf({ kind: 'report', phase: { kind: 'upload', version: '1.0.1', done: 0, total: 0 } })), 100);
  assert.equal(progressPercent(phaseOf({ kind: 'report', phase: { kind: 'done' } })), 100);
  assert.equal(phaseOf({ phase: { kind: 'upload', done: 'x' } }), undefined, 'a malformed phase is none');
  assert.equal(phaseOf({ phase: 'upload' }), undefined);
});

test('#19 A, B: no regex over the sidecar’s progress or description words in the extension', () => {
  for (const file of ['commands.ts', 'ctx.ts', 'pure/args.ts', 'pure/messages.ts']) {
    const text = readFileSync(path.join(src, file), 'utf8');
    assert.doesNotMatch(text, /barFrom|\/\^Uploading|Published with gopay-miniapp/, file);
  }
});

test('#21 item 17: the description box is prefilled from the last commit; the default is only a placeholder', () => {
  const fromGit = descriptionInput({ description: 'Fix the checkout button', source: 'lastCommit' });
  assert.equal(fromGit.value, 'Fix the checkout button');
  assert.match(fromGit.prompt, /last commit/);
  const noGit = descriptionInput({ description: 'Published with gopay-miniapp 0.1.0', source: 'default' });
  assert.equal(noGit.value, '');
  assert.equal(noGit.placeholder, 'Published with gopay-miniapp 0.1.0');
  assert.equal(descriptionInput(undefined).value, '');
  // The command is in the table the extension reads.
  const command = COMMAND_TABLE.commands.find((c) => c.name === 'miniapp.publishDescription');
  assert.equal(command?.result, 'Description');
});

test('#19 B: Apply Release prefills the version’s description unless the typed field says it is the default', () => {
  assert.equal(notesPrefill({ description: 'Published with gopay-miniapp 0.1.0', descriptionIsDefault: true }), '');
  assert.equal(notesPrefill({ description: 'Faster home page', descriptionIsDefault: false }), 'Faster home page');
  // Words that look like the default but are the user's own stay.
  assert.equal(notesPrefill({ description: 'Published with gopay-miniapp 0.1.0', descriptionIsDefault: false }), 'Published with gopay-miniapp 0.1.0');
  assert.equal(notesPrefill(undefined), '');
});

test('#21 item 14: a dry run says what it would write and build, and that nothing was written', () => {
  const text = publishText({
    version: '1.0.1', appId: 'a', app: 'Hello', dryRun: true, packageJsonVersion: '1.0.0', bumpedFiles: ['package.json', 'package-lock.json'],
    buildCommand: 'npm run build', built: false, description: 'x', descriptionSource: 'given', size: 2048, sha256: 's', files: 3, identicalToPrevious: false, elapsedMs: 5,
  });
  assert.equal(
    text,
    'Dry run: would write 1.0.1 to package.json and package-lock.json, build with “npm run build” (not run: the output folder was packed as it is now) and upload 3 files, 2.0 KiB as Hello 1.0.1. Nothing was written, built or uploaded.',
  );
  assert.doesNotMatch(text, /^Writing|nothing was changed/);
});

const buildFailure = {
  code: -32803,
  message: 'the build command `npm run build` failed (exit status: 1): src/main.js:61:55: [PARSE_ERROR] Error: Expected `,`',
  data: {
    code: 'build_failed', message: 'the build command `npm run build` failed (exit status: 1): src/main.js:61:55: [PARSE_ERROR] Error: Expected `,`', retryable: false,
    hint: { kind: 'fixBuild', text: 'Fix the build' }, buildCommand: 'npm run build', buildExitCode: 1, buildOutputAvailable: true,
    firstErrorLine: 'src/main.js:61:55: [PARSE_ERROR] Error: Expected `,`',
    buildError: { file: 'src/main.js', line: 61, column: 55, message: '[PARSE_ERROR] Error: Expected `,`' },
  },
};

test('#21 item 15: a failed build names its first error with file:line:col, typed, for the Problems panel', () => {
  const failure = describeError(buildFailure);
  assert.deepEqual(failure.buildError, { file: 'src/main.js', line: 61, column: 55, message: '[PARSE_ERROR] Error: Expected `,`' });
  const view = failureView('Publish', failure, 'http://127.0.0.1:8780');
  assert.match(view.text, /src\/main\.js:61:55/);
  assert.doesNotMatch(view.text, /error during build:\./);
  assert.deepEqual(problemOf('/home/me/app/', failure.buildError!), { path: '/home/me/app/src/main.js', line: 60, column: 54, message: '[PARSE_ERROR] Error: Expected `,`' });
});

test('#21 item 15: a build error’s path never leaves the project, and a malformed one is none', () => {
  const at = (file: string) => problemOf('/p', { file, line: 1, message: 'm' });
  assert.equal(at('../etc/passwd'), undefined);
  assert.equal(at('/etc/passwd'), undefined);
  assert.equal(at('C:/x.js'), undefined);
  assert.equal(at('src//x.js'), undefined);
  assert.equal(at('src/x.js')?.path, '/p/src/x.js');
  assert.equal(at('src/x.js')?.column, 0);
  const bad = describeError({ ...buildFailure, data: { ...buildFailure.data, buildError: { file: 'a.js', line: 0 } } });
  assert.equal(bad.buildError, undefined);
});
