/**
 * The clock: lbolt ticks at hz (usr/src/uts/common/os/sunddi.c ddi_get_lbolt; os/clock.c delay;
 * usr/src/uts/common/sys/time.h SEC_TO_TICK). The machine's virtual time is lbolt, so ticks
 * pass only when every thread sleeps, and a 300 s timeout costs nothing.
 */
import {
  current,
  jiffies,
  type Kfn,
  machine,
  schedule,
  set_current_state,
  TASK_UNINTERRUPTIBLE,
  title_skip,
  wake_up_process,
} from '@lockstep/kernel';
import { hz } from './param.js';

/** ddi_get_lbolt(), illumos 096e63b2^:usr/src/uts/common/os/sunddi.c: clock ticks since boot (the machine's virtual time). */
export function ddi_get_lbolt(): number {
  return jiffies;
}

/** ddi_get_lbolt64(), illumos 096e63b2^:usr/src/uts/common/os/sunddi.c. */
export function ddi_get_lbolt64(): number {
  return jiffies;
}

/** SEC_TO_TICK(), illumos 096e63b2^:usr/src/uts/common/sys/time.h: `((sec) * hz)`. */
export function SEC_TO_TICK(sec: number): number {
  return sec * hz;
}

/** TICK_TO_SEC(), illumos 096e63b2^:usr/src/uts/common/sys/time.h: `((tick) / hz)` (integer division). */
export function TICK_TO_SEC(tick: number): number {
  return Math.trunc(tick / hz);
}

/**
 * delay(), illumos 096e63b2^:usr/src/uts/common/os/clock.c: sleep for `ticks` clock ticks
 * (not interruptible). The blog's inserted delays were calls like delay(SEC_TO_TICK(10)).
 */
export function* delay(ticks: number): Kfn {
  if (ticks <= 0) return;
  const t = current;
  const m = machine();
  const e = m.add_timer(jiffies + ticks, () => {
    wake_up_process(t);
  });
  t.wchan = 'delay';
  do {
    set_current_state(TASK_UNINTERRUPTIBLE);
    yield* schedule();
  } while (e.pending);
}

title_skip('delay');
