// The Report's TypeScript types are generated from the schema the Python side validates against; this
// fails when someone changes one without regenerating the other (`jlpm gen:types`). The generator runs
// in its own node process: prettier, which it formats with, needs dynamic imports jest does not allow.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'report-types.js');
const TYPES = path.join(__dirname, '..', 'report-types.ts');

test('src/report-types.ts is what the schema generates', () => {
  const run = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf-8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});

test('the check fails when the committed types differ', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbsec-types-'));
  const edited = path.join(dir, 'report-types.ts');
  fs.writeFileSync(edited, fs.readFileSync(TYPES, 'utf-8').replace('rule_id: string;', 'rule: string;'));
  const run = spawnSync(process.execPath, [SCRIPT, '--check', edited], { encoding: 'utf-8' });
  fs.rmSync(dir, { recursive: true });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('jlpm gen:types');
});
