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

// At the base of the series (2.6.24, what packages/ holds) these reproducers see their bug;
// the others are claims the model shows no failure for. Later steps are the verify matrix's job.
const CRASH_AT_BASE = [
  'svc-exit-thread-null-deref',
  'svc-sock-update-bufs-unknown-symbol',
  'lockd-down-slow-exit-second-lockd',
  'grant-callback-svc-wake-up-uaf',
  'nlm-file-host-mutex-inversion',
  'suspend-during-granted-ping',
];
const CLEAN_AT_BASE = [
  'lockd-start-done-reuse',
  'lockd-freezer-idle',
  'lockd-down-before-lockd-ran',
  // Bugs that later patches of the series introduce.
  'lockd-down-kthread-stop-lost-wakeup',
  'lockd-survives-last-umount',
];

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
    expect(new Set(reproducerIds())).toEqual(new Set([...CRASH_AT_BASE, ...CLEAN_AT_BASE]));
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

describe('at the base of the series', () => {
  for (const id of CRASH_AT_BASE)
    it(`${id} crashes with the title it expects`, () => {
      const o = outcome(id);
      expect(o.error).toBeUndefined();
      expect(o.status).toBe('crash');
      expect(o.title).toBe(getReproducer(id).expects);
      expect(o.report).toBeTruthy();
    }, 60_000);

  for (const id of CLEAN_AT_BASE)
    it(`${id} is clean`, () => {
      const o = outcome(id);
      expect(o.error).toBeUndefined();
      expect(o.status).toBe('clean');
    }, 60_000);

  it('svc-exit-thread-null-deref got there through the injected fault', () => {
    expect(outcome('svc-exit-thread-null-deref').dmesg).toContain(
      'FAULT_INJECTION: forcing a failure.',
    );
  });

  it("lockd-down-slow-exit-second-lockd: the kernel warned, the second lockd is the check's finding", () => {
    const o = outcome('lockd-down-slow-exit-second-lockd');
    expect(o.dmesg).toContain('lockd_down: lockd failed to exit, clearing pid');
    expect(o.report).toContain("reproducer's invariant check");
    expect(o.report).toMatch(/lockd\/\d+ .*, lockd\/\d+ /);
  });

  it('explores the clean claims: bounded exhaustive search with preemption bound 2', () => {
    const explored = [
      'lockd-start-done-reuse',
      'lockd-down-before-lockd-ran',
      'lockd-down-kthread-stop-lost-wakeup',
      'lockd-survives-last-umount',
    ];
    for (const id of explored) {
      const e = outcome(id).explored;
      expect(e?.preemptionBound, id).toBe(2);
      expect(e?.schedules, id).toBeGreaterThan(100);
    }
    // The mount-umount spaces are small enough to cover completely.
    for (const id of explored.slice(1)) expect(outcome(id).explored?.exhausted, id).toBe(true);
  }, 60_000);
});

describe('grant-callback-svc-wake-up-uaf', () => {
  const id = 'grant-callback-svc-wake-up-uaf';

  it('is found by bounded exhaustive search, and its schedule replays to the same title', () => {
    const o = outcome(id);
    expect(o.explored?.strategy).toBe('exhaustive');
    expect(o.explored?.preemptionBound).toBe(2);
    expect(o.schedule).toMatch(/^v1:/);
    const again = replayReproducer(id, o.schedule!);
    expect(again.status).toBe('crash');
    expect(again.title).toBe(o.title);
    const r = getReproducer(id);
    const run = replay(r.scenario, o.schedule!, { machine: r.machine });
    expect(run.preemptions).toBeLessThanOrEqual(2);
  }, 60_000);

  it('finds the same schedule every time', () => {
    const first = outcome(id);
    const second = runReproducer(getReproducer(id));
    expect(second.schedule).toBe(first.schedule);
    expect(second.explored?.schedules).toBe(first.explored?.schedules);
  }, 60_000);

  it('runs past the lockdep report of nlm-file-host-mutex-inversion (panic_on_warn off)', () => {
    expect(outcome(id).warnings).toContain(getReproducer('nlm-file-host-mutex-inversion').expects);
  }, 60_000);
});
