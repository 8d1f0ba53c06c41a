import { describe, expect, it } from 'vitest';
import {
  DEFINE_MUTEX,
  kfree,
  kmalloc,
  Machine,
  type mutex,
  mutex_lock,
  mutex_unlock,
  sched_point,
} from '../src/index.js';

/** Two tasks taking A and B in opposite orders, one after the other (no real deadlock). */
function abba(m: Machine, after: () => Generator<number, unknown, void>): void {
  const a = DEFINE_MUTEX('A');
  const b = DEFINE_MUTEX('B');
  const pair = (x: mutex, y: mutex) =>
    function* () {
      yield* mutex_lock(x);
      yield* mutex_lock(y);
      yield* mutex_unlock(y);
      yield* mutex_unlock(x);
    };
  m.spawn_user('ab', pair(a, b));
  m.spawn_user('ba', pair(b, a));
  m.spawn_user('later', after);
}

function* use_after_free() {
  const obj = yield* kmalloc('thing', () => ({ field: 1 }));
  kfree(obj);
  yield* sched_point();
  return obj!.field;
}

function* nothing() {
  yield* sched_point();
}

describe('panic_on_warn', () => {
  it('stops the run at the first lockdep report by default', () => {
    const m = new Machine();
    abba(m, use_after_free);
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-circular');
    expect(r.warnings).toEqual([]);
  });

  it('when off, prints the lockdep report, turns lockdep off and runs on to the oops', () => {
    const m = new Machine({ panic_on_warn: false });
    abba(m, use_after_free);
    const r = m.run();
    expect(r.report?.title).toBe('KASAN: use-after-free Read in use_after_free');
    expect(r.warnings.map((w) => w.kind)).toEqual(['lockdep-circular']);
    const dmesg = m.log.map((l) => l.text);
    expect(dmesg).toContain('[ INFO: possible circular locking dependency detected ]');
  });

  it('when off, a run with only a warning ends clean with the warning recorded', () => {
    const m = new Machine({ panic_on_warn: false });
    abba(m, nothing);
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(r.warnings).toHaveLength(1);
  });
});
