import { replay } from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import {
  getReproducer,
  type Outcome,
  replayReproducer,
  reproducerIds,
  reproducers,
  runReproducer,
} from '../src/index.js';

// These tests hold at every step of a series (the package is never patched): a reproducer
// either shows its own bug, with the title it expects, or is clean. Which one it should be at
// which step comes from the patch trailers; `lockstep verify` checks that matrix.
const IDS = [
  'svc-exit-thread-null-deref',
  'svc-sock-update-bufs-unknown-symbol',
  'lockd-start-done-reuse',
  'lockd-freezer-idle',
  'lockd-down-slow-exit-second-lockd',
  'grant-callback-svc-wake-up-uaf',
  'lockd-down-before-lockd-ran',
  'suspend-during-granted-ping',
  'lockd-down-kthread-stop-lost-wakeup',
  'lockd-survives-last-umount',
];

/** What an outcome's verdict claims agrees with how it was explored (DESIGN.md "Verdicts"). */
function verdictHolds(o: Outcome): void {
  const e = o.explored!;
  const phases = e.phases!;
  expect(e.schedules).toBe(phases.reduce((n, p) => n + p.schedules, 0));
  const exhaustive = phases.find((p) => p.strategy === 'exhaustive');
  if (o.status === 'crash') {
    expect(o.verdict).toBe('crash');
    const finder = phases.filter((p) => p.found === true);
    expect(finder.map((p) => p.label)).toEqual([e.foundBy]);
    expect(phases.at(-1)).toBe(finder[0]);
    expect(e.schedulesToFind).toBe(e.schedules);
  } else if (o.status === 'clean') {
    expect(e.foundBy).toBeUndefined();
    if (o.verdict === 'clean-exhausted') {
      expect(exhaustive?.exhausted).toBe(true);
      expect(exhaustive?.budget).toBeUndefined();
      expect(e.space).toBeTruthy();
    } else {
      expect(o.verdict).toBe('clean-searched');
      expect(exhaustive?.exhausted).toBe(false);
      expect(e.space).toBeUndefined();
    }
  } else expect(o.verdict).toBeUndefined();
}

const outcomes = new Map<string, Outcome>();
function outcome(id: string): Outcome {
  let o = outcomes.get(id);
  if (o === undefined) {
    o = runReproducer(getReproducer(id));
    outcomes.set(id, o);
  }
  return o;
}

describe('the registry', () => {
  it('has the reproducers of the series, each described', () => {
    expect(reproducerIds()).toEqual(IDS);
    for (const r of reproducers) {
      expect(r.expects, r.id).not.toBe('');
      expect(r.doc.split('\n').length, r.id).toBeGreaterThanOrEqual(3);
      expect(['single', 'race']).toContain(r.kind);
    }
  });

  it('rejects an unknown id, listing the valid ones', () => {
    expect(() => getReproducer('no-such-bug')).toThrow(
      /unknown reproducer 'no-such-bug'.*svc-exit-thread-null-deref/,
    );
  });
});

// Every reproducer explores the portfolio; the verify matrix runs them all at every step.
// Here only the single-schedule reproducers run, plus the use-after-free (replay below).
const SINGLE = IDS.filter((id) => getReproducer(id).kind === 'single');

describe('at any step of the series', () => {
  for (const id of SINGLE)
    it(`${id} shows its own bug or is clean`, () => {
      const o = outcome(id);
      expect(o.error).toBeUndefined();
      expect(['crash', 'clean']).toContain(o.status);
      if (o.status === 'crash') {
        expect(o.title).toBe(getReproducer(id).expects);
        expect(o.report).toBeTruthy();
      }
      verdictHolds(o);
    });

  it('svc-exit-thread-null-deref always goes through the injected fault', () => {
    expect(replayReproducer('svc-exit-thread-null-deref', 'v1:').dmesg).toContain(
      'FAULT_INJECTION: forcing a failure',
    );
  });

  it("lockd-down-slow-exit-second-lockd: when it crashes, two lockds are the check's finding", () => {
    const o = outcome('lockd-down-slow-exit-second-lockd');
    if (o.status !== 'crash') return;
    expect(o.report).toContain("reproducer's invariant check");
    expect(o.report).toMatch(/lockd\/\d+ .*, lockd\/\d+ /);
  });
});

describe('grant-callback-svc-wake-up-uaf', () => {
  const id = 'grant-callback-svc-wake-up-uaf';

  it('shows its bug or is clean after the whole portfolio', () => {
    const o = outcome(id);
    verdictHolds(o);
    const phases = o.explored!.phases!;
    expect(phases[0]!.label).toBe('default');
    if (o.status === 'crash') expect(o.title).toBe(getReproducer(id).expects);
    else expect(phases.at(-1)).toMatchObject({ strategy: 'exhaustive', preemptionBound: 2 });
  });

  it('when found, its shrunk schedule replays to the same title', () => {
    const o = outcome(id);
    if (o.status !== 'crash') return;
    expect(o.schedule).toMatch(/^v1:/);
    const again = replayReproducer(id, o.schedule!);
    expect(again.status).toBe('crash');
    expect(again.title).toBe(o.title);
    const r = getReproducer(id);
    const run = replay(r.scenario, o.schedule!, { machine: r.machine });
    expect(run.report?.title).toBe(o.title);
  });
});
