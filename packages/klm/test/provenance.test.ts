/**
 * Every function of the klm model files names its illumos source: the same check as
 * @lockstep/illumos (packages/illumos/test/provenance.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { declarations, problems } from '../../illumos/test/provenance.js';

const SRC = new URL('../src/', import.meta.url);
const MODEL_FILES = readdirSync(SRC).filter((f) => f.endsWith('.ts') && f !== 'index.ts');

describe('every klm function names its illumos source at 096e63b2^', () => {
  it('sees the model files, named as in illumos, and the functions of nlm_impl.c', () => {
    expect(MODEL_FILES).toEqual(
      expect.arrayContaining(['nlm_impl.ts', 'nlm_service.ts', 'flock.ts']),
    );
    const names = declarations('nlm_impl.ts', readFileSync(new URL('nlm_impl.ts', SRC), 'utf8'));
    expect(names.map((d) => d.name)).toEqual(
      expect.arrayContaining([
        'nlm_gc',
        'nlm_host_findcreate',
        'nlm_host_find_locked',
        'nlm_host_release',
        'nlm_host_unregister',
        'nlm_host_destroy',
        'nlm_host_has_locks',
      ]),
    );
    for (const d of names)
      if (d.name.startsWith('nlm_') && !d.name.startsWith('nlm_svc'))
        expect(d.comment, d.name).toContain('usr/src/uts/common/klm/nlm_impl.c');
  });

  for (const f of MODEL_FILES)
    it(f, () => {
      expect(problems(f, readFileSync(new URL(f, SRC), 'utf8'))).toEqual([]);
    });
});
