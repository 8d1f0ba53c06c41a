// Scenario modules for lockstep-explore and the bench: the classic suite, from the build.
import { classicPrograms } from '../dist/index.js';

const by = (name) => classicPrograms.find((p) => p.name === name);
/** A clean search (the fixed variant): every shard runs its whole budget. */
export const scenario = by('account_3').fixed;
/** A buggy one: the find a single process reports. */
export const buggy = by('stack_3').scenario;

/** The reference shape: three tasks, about 100 scheduling points, nothing else. */
export function reference(m) {
  for (const name of ['t1', 't2', 't3'])
    m.spawn_user(name, function* ref_task() {
      for (let i = 0; i < 33; i++) yield 0; // SP_PREEMPT, what sched_point() yields
    });
}
