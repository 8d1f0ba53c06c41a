import { describe, expect, it } from 'vitest';
import type { ReproducerMeta } from '../src/lib/reproducers.js';
import type { PatchInfo } from '../src/series/patch-file.js';
import { expectedMatrix } from '../src/verify/expect.js';
import { linkText } from '../src/verify/matrix.js';
import { compare, type StepResult } from '../src/verify/verify.js';

function patch(
  name: string,
  t: Partial<
    Pick<PatchInfo, 'fixesReproducers' | 'introducesReproducers' | 'notObservable' | 'refuted'>
  >,
): PatchInfo {
  return {
    name,
    subject: name,
    author: 'A',
    email: 'a@example.invalid',
    date: 'Tue, 8 Jan 2008 19:34:03 -0500',
    body: '',
    trailers: [],
    fixesReproducers: t.fixesReproducers ?? [],
    introducesReproducers: t.introducesReproducers ?? [],
    notObservable: t.notObservable ?? [],
    refuted: t.refuted ?? [],
    signedOffBy: [],
    upstream: [],
  };
}

const repro = (id: string): ReproducerMeta => ({
  id,
  title: id,
  expects: `crash in ${id}`,
  kind: 'single',
  doc: '',
});

describe('expectedMatrix', () => {
  const infos = [
    patch('p1', { fixesReproducers: ['a'] }),
    patch('p2', { introducesReproducers: ['b'], notObservable: ['c'] }),
    patch('p3', { fixesReproducers: ['b'] }),
  ];
  const m = expectedMatrix(infos, [repro('a'), repro('b'), repro('c'), repro('d')]);

  it('expects a fixed bug before its patch and not after', () => {
    expect(m[0]!.expected).toEqual(['crash in a', null, null, null]);
    expect(m[0]!.links.fixedAt).toBe(1);
  });

  it('expects an introduced bug from its patch up to its fix', () => {
    expect(m[1]!.expected).toEqual([null, null, 'crash in b', null]);
  });

  it('expects a not-observable reproducer clean everywhere', () => {
    expect(m[2]!.expected).toEqual([null, null, null, null]);
    expect(m[2]!.links.notObservableAt).toEqual([2]);
  });

  it('expects a bug a later patch reintroduces before its fix and from that patch on', () => {
    const again = expectedMatrix(
      [
        patch('p1', { fixesReproducers: ['e'] }),
        patch('p2', {}),
        patch('p3', { introducesReproducers: ['e'] }),
      ],
      [repro('e')],
    );
    expect(again[0]!.expected).toEqual(['crash in e', null, null, 'crash in e']);
    expect(linkText(again[0]!)).toBe('fixed by 1, reintroduced by 3');
  });

  it('expects a reproducer no patch names to crash at every step', () => {
    expect(m[3]!.expected).toEqual(['crash in d', 'crash in d', 'crash in d', 'crash in d']);
  });

  it('rejects trailers naming unknown reproducers, listing the known ones', () => {
    expect(() => expectedMatrix([patch('p1', { fixesReproducers: ['zz'] })], [repro('a')])).toThrow(
      /names reproducers that do not exist/,
    );
  });

  it('rejects a reproducer fixed twice', () => {
    const twice = [
      patch('p1', { fixesReproducers: ['a'] }),
      patch('p2', { fixesReproducers: ['a'] }),
    ];
    expect(() => expectedMatrix(twice, [repro('a')])).toThrow(/more than one patch/);
  });
});

describe('refuted claims', () => {
  const repros = [repro('a'), repro('b')];

  it('expects a refuted claim to crash on from the claim, to the end of the series', () => {
    const infos = [
      patch('p1', { fixesReproducers: ['a'], refuted: ['a'] }),
      patch('p2', { fixesReproducers: ['b'] }),
      patch('p3', {}),
    ];
    const [a, b] = expectedMatrix(infos, repros);
    expect(a!.expected).toEqual(['crash in a', 'crash in a', 'crash in a', 'crash in a']);
    expect(a!.links).toMatchObject({ fixedAt: null, refuted: [{ claimedAt: 1, refutedAt: 1 }] });
    expect(b!.expected).toEqual(['crash in b', 'crash in b', null, null]);
    expect(b!.links.refuted).toEqual([]);
  });

  it('takes a refutation recorded by a later patch back to the claim', () => {
    const infos = [patch('p1', { fixesReproducers: ['a'] }), patch('p2', { refuted: ['a'] })];
    const [a] = expectedMatrix(infos, [repro('a')]);
    expect(a!.expected).toEqual(['crash in a', 'crash in a', 'crash in a']);
    expect(a!.links.refuted).toEqual([{ claimedAt: 1, refutedAt: 2 }]);
  });

  it('lets a later claim that is not refuted fix it', () => {
    const infos = [
      patch('p1', { fixesReproducers: ['a'], refuted: ['a'] }),
      patch('p2', {}),
      patch('p3', { fixesReproducers: ['a'] }),
    ];
    const [a] = expectedMatrix(infos, [repro('a')]);
    expect(a!.expected).toEqual(['crash in a', 'crash in a', 'crash in a', null]);
    expect(a!.links).toMatchObject({ fixedAt: 3, refuted: [{ claimedAt: 1, refutedAt: 1 }] });
  });

  it('rejects refuting what no earlier-or-same patch claims to fix', () => {
    expect(() => expectedMatrix([patch('p1', { refuted: ['a'] })], [repro('a')])).toThrow(
      /refutes a claim nobody made/,
    );
    // The claim comes after the refutation: still nobody had claimed it.
    expect(() =>
      expectedMatrix(
        [patch('p1', { refuted: ['a'] }), patch('p2', { fixesReproducers: ['a'] })],
        [repro('a')],
      ),
    ).toThrow(/refutes a claim nobody made/);
    // One claim, refuted twice.
    expect(() =>
      expectedMatrix(
        [patch('p1', { fixesReproducers: ['a'], refuted: ['a'] }), patch('p2', { refuted: ['a'] })],
        [repro('a')],
      ),
    ).toThrow(/refutes a claim nobody made/);
  });

  it('rejects an unknown id in Refuted, two claims that stand, and a refuted claim after a fix', () => {
    expect(() =>
      expectedMatrix([patch('p1', { fixesReproducers: ['a'], refuted: ['zz'] })], [repro('a')]),
    ).toThrow(/names reproducers that do not exist/);
    expect(() =>
      expectedMatrix(
        [
          patch('p1', { fixesReproducers: ['a'] }),
          patch('p2', { fixesReproducers: ['a'], refuted: ['a'] }),
        ],
        [repro('a')],
      ),
    ).toThrow(/a refuted claim follows a fix that stands/);
  });

  it('fails a cell that matches neither the claim nor the refutation', () => {
    const infos = [patch('p1', { fixesReproducers: ['a'], refuted: ['a'] })];
    const exp = expectedMatrix(infos, [repro('a')]);
    const step = (n: number, title: string | null): StepResult => ({
      step: n,
      patch: n === 0 ? null : `p${n}`,
      subject: null,
      versions: {},
      build: { ok: true, ms: 0, tasks: 0, cached: 0, failed: [], detail: [] },
      outcomes: [
        title === null
          ? { id: 'a', status: 'clean', verdict: 'clean-searched' }
          : { id: 'a', status: 'crash', verdict: 'crash', title },
      ],
    });
    const held = compare([repro('a')], exp, [step(0, 'crash in a'), step(1, 'crash in a')]);
    expect(held.problems).toEqual([]);
    expect(held.rows[0]!.cells.map((c) => c.verdict)).toEqual(['crash', 'crash']);
    const notHeld = compare([repro('a')], exp, [step(0, 'crash in a'), step(1, null)]);
    expect(notHeld.problems).toEqual([
      'a at step 1: expected crash in a, observed clean, searched',
    ]);
  });
});

describe('compare', () => {
  const step = (n: number, title: string | null, ok = true): StepResult => ({
    step: n,
    patch: n === 0 ? null : `p${n}`,
    subject: null,
    versions: {},
    build: { ok, ms: 0, tasks: 0, cached: 0, failed: ok ? [] : ['@x/y#test'], detail: [] },
    outcomes: [title === null ? { id: 'a', status: 'clean' } : { id: 'a', status: 'crash', title }],
  });

  it('accepts a matrix that matches and reports each differing cell', () => {
    const exp = expectedMatrix([patch('p1', { fixesReproducers: ['a'] })], [repro('a')]);
    const good = compare([repro('a')], exp, [step(0, 'crash in a'), step(1, null)]);
    expect(good.problems).toEqual([]);
    const bad = compare([repro('a')], exp, [step(0, null), step(1, 'crash in a')]);
    expect(bad.problems).toEqual([
      'a at step 0: expected crash in a, observed clean, searched',
      'a at step 1: expected clean, observed crash in a',
    ]);
  });

  it('counts a failed build or test as a problem', () => {
    const exp = expectedMatrix([], [repro('a')]);
    const r = compare([repro('a')], exp, [step(0, 'crash in a', false)]);
    expect(r.problems).toEqual(['step 0: build or tests failed (@x/y#test)']);
  });
});
