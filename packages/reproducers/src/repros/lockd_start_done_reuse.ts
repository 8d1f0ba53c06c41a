/**
 * 3. lockd-start-done-reuse: does lockd_up() really wait for lockd to start on the second
 * and later starts? Patch 3 says it does not; in 2.6.24 it does, so this stays clean in try #6.
 * In the merged series d751a7cd stops waiting, and a mount can find no lockd (to abd1ec4e).
 */
import type { Machine } from '@lockstep/kernel';
import { live_lockd_tasks, nfsMount, nfsUmount, scenario } from '@lockstep/machine';
import { explored } from '../define.js';
import { reproFinding } from '../run.js';

const ID = 'lockd-start-done-reuse';
const TITLE = 'lockd: lockd_up returned before lockd started';

/** What 2.6.24's lockd_down() prints when it finds no lockd pid: lockd had not started yet. */
const NO_LOCKD = 'lockd_down: no lockd running';

function checkMounted(m: Machine, err: number): void {
  if (err !== 0) throw new Error(`mount failed with ${err}; the scenario expects lockd_up to work`);
  // lockd is named "lockd" once it runs (daemonize in 2.6.24); a mount that returned
  // without waiting would find none.
  if (live_lockd_tasks(m).length === 0)
    reproFinding(TITLE, ['mount returned 0 but no lockd task is running']);
}

function checkUnmounted(m: Machine): void {
  const line = m.log.find((l) => l.text.includes(NO_LOCKD));
  if (line !== undefined) reproFinding(TITLE, [`umount found no lockd pid: "${line.text}"`]);
}

/** Mount and umount `cycles` times, back to back, checking each step. */
function mounter(m: Machine, cycles: number) {
  return function* () {
    for (let i = 0; i < cycles; i++) {
      checkMounted(m, yield* nfsMount());
      yield* nfsUmount();
      checkUnmounted(m);
    }
  };
}

const sc = scenario({}, (m) => {
  m.spawn_user('mount-a', mounter(m, 2));
  m.spawn_user('mount-b', mounter(m, 1));
});

export const lockdStartDoneReuse = explored(
  {
    id: ID,
    title: 'lockd_start_done is reused across lockd restarts (patch 3): lockd_up still waits',
    expects: TITLE,
    doc: [
      'Two processes mount and umount NFS back to back (2 cycles and 1), so lockd is started',
      'and stopped again and again, under random schedules and all schedules with at most 2',
      'preemptions. Checks: after each mount a lockd runs, and no umount finds lockd without a',
      `pid ("${NO_LOCKD}"), which is what a lockd_up() that did not wait leaves behind.`,
      'Claim (patch 3): lockd_start_done is never re-initialised, so after the first start',
      'wait_for_completion() in lockd_up() would not wait. Not so in 2.6.24: complete() adds',
      'one to the done counter and wait_for_completion() takes one away, so the counter is back',
      'at zero after every start and each lockd_up() waits for its own lockd. The model shows',
      'no failure at any step of try #6; patch 3 was never merged upstream.',
      'Merged series: d751a7cd removes lockd_start_done and the wait. A umount that stops',
      'lockd before it ran leaves nlmsvc_serv set, so the next mount counts a user and returns',
      'with no lockd running: the check fails from d751a7cd on, and abd1ec4e ends it.',
    ].join('\n'),
    scenario: sc,
    machine: { panic_on_warn: true },
  },
  {},
);
