/** Every function of the illumos model files names its illumos source (see ./provenance.ts). */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { declarations, problems } from './provenance.js';

const SRC = new URL('../src/', import.meta.url);
const MODEL_FILES = readdirSync(SRC).filter((f) => f.endsWith('.ts') && f !== 'index.ts');

describe('every illumos function names its illumos source at 096e63b2^', () => {
  it('sees the model files, named as in illumos, and their exported functions', () => {
    expect(MODEL_FILES).toEqual(
      expect.arrayContaining([
        'mutex.ts',
        'condvar.ts',
        'kmem.ts',
        'queue.ts',
        'debug.ts',
        'panic.ts',
        'clock.ts',
        'thread.ts',
      ]),
    );
    const names = declarations('mutex.ts', readFileSync(new URL('mutex.ts', SRC), 'utf8'));
    expect(names.filter((d) => d.exported).map((d) => d.name)).toEqual(
      expect.arrayContaining(['mutex_enter', 'mutex_exit', 'mutex_destroy']),
    );
  });

  for (const f of MODEL_FILES)
    it(f, () => {
      expect(problems(f, readFileSync(new URL(f, SRC), 'utf8'))).toEqual([]);
    });

  it('rejects a missing comment, a comment without a path and a wrong name', () => {
    const src = [
      '/** mutex_enter(), illumos: no path. */',
      'export function mutex_enter() {}',
      'export function mutex_exit() {}',
      '/** Model helper: no path. */',
      'export function walk() {}',
      '/** the wrong name, illumos 096e63b2^:usr/src/uts/common/os/mutex.c. */',
      'function mutex_panic() {}',
      '/** cv_wait(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c. */',
      'export function cv_wait() {}',
    ].join('\n');
    expect(problems('x.ts', src)).toEqual([
      'mutex_enter: no illumos 096e63b2^:<path> in its comment',
      'mutex_exit: no comment',
      'walk: no illumos 096e63b2^:<path> in its comment',
      "mutex_panic: the comment does not start with the function's name",
    ]);
  });
});
