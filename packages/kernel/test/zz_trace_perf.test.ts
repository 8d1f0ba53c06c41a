import { it } from 'vitest';
import { DEFINE_MUTEX, Machine, msleep, mutex_lock, mutex_unlock, printk, to_chrome_trace, trace_lanes, type Chooser } from '../src/index.js';
const rotate: Chooser = { choose: (rq, prev) => (prev === null ? rq[0]! : rq[(rq.indexOf(prev) + 1) % rq.length]!) };
function build(trace: boolean, n: number) {
  const m = new Machine({ trace, stacks: false });
  const lock = DEFINE_MUTEX('busy');
  for (const c of ['a', 'b', 'c'])
    m.spawn_user(c, function* () {
      for (let i = 0; i < n; i++) { yield* mutex_lock(lock); yield* mutex_unlock(lock); }
    });
  return m;
}
it('perf', () => {
  for (const n of [20000, 20000, 20000, 20000]) {
    let t = performance.now(); const m0 = build(false, n); const r0 = m0.run({ chooser: rotate }); const untraced = performance.now() - t;
    t = performance.now(); const m1 = build(true, n); const r1 = m1.run({ chooser: rotate }); const traced = performance.now() - t;
    t = performance.now(); const tl = trace_lanes(m1); const lanesMs = performance.now() - t;
    t = performance.now(); const s = to_chrome_trace(m1); const chromeMs = performance.now() - t;
    console.log({ steps: r1.steps, events: m1.trace!.length, untraced: untraced.toFixed(0), traced: traced.toFixed(0), lanesMs: lanesMs.toFixed(0), chromeMs: chromeMs.toFixed(0), bytes: s.length, same: r0.steps === r1.steps });
  }
}, 120000);
