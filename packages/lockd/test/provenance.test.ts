import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, declarations } from './provenance.js';

const SRC = new URL('../src/', import.meta.url);
/** The model files: every source file but the package's index of re-exports. */
const MODEL_FILES = readdirSync(SRC).filter((f) => f.endsWith('.ts') && f !== 'index.ts');

describe('every modelled function names its v2.6.24 source', () => {
  it('finds the model files and their exported functions', () => {
    expect(MODEL_FILES).toContain('svclock.ts');
    const names = declarations('svclock.ts', readFileSync(new URL('svclock.ts', SRC), 'utf8'));
    expect(names.filter((d) => d.exported).map((d) => d.name)).toContain('nlmsvc_lock');
  });

  for (const f of MODEL_FILES)
    it(f, () => {
      const findings = check(f, readFileSync(new URL(f, SRC), 'utf8'));
      expect(findings.map((x) => `${f}:${x.line} ${x.name}: ${x.problem}`)).toEqual([]);
    });

  it('rejects a function without a path, with a foreign path, or with no comment', () => {
    const src = [
      '/** nlmsvc_lock(), 2.6.24: no tree path. */',
      'export function* nlmsvc_lock() {}',
      '/** nlmsvc_unlock(), v2.6.24:fs/lockd/host.c: the wrong file. */',
      'export function nlmsvc_unlock() {}',
      'export function nlmsvc_testlock() {}',
      'export const nlmsvc_lock_operations = Object.freeze({});',
      '/** nlmsvc_grant_reply(), v2.6.24:fs/lockd/svclock.c. */',
      'export function nlmsvc_grant_reply() {}',
      '/** Model helper: a snapshot for tests. */',
      'export function nlm_blocked_list() {}',
    ].join('\n');
    const problems = check('svclock.ts', src).map((x) => `${x.name}: ${x.problem}`);
    expect(problems).toEqual([
      'nlmsvc_lock: no v2.6.24:<path> in its comment',
      'nlmsvc_unlock: names fs/lockd/host.c, not the file svclock.ts mirrors',
      'nlmsvc_testlock: no comment',
      'nlmsvc_lock_operations: no comment',
    ]);
  });
});
