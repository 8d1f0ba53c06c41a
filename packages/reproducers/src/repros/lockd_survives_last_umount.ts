/**
 * 11. lockd-survives-last-umount: with patch 6, lockd_down() drops lockd's last reference
 * and sends SIGKILL without waiting; if the signal lands while lockd is between its
 * reference check and its signal check, lockd eats it and sleeps on with no users.
 */
import { nfsMount, nfsUmount, scenario } from '@lockstep/machine';
import { explored } from '../define.js';
import { checkNoLockdLeft, LOCKD_SURVIVES } from '../util.js';

const ID = 'lockd-survives-last-umount';

const sc = scenario({}, (m) => {
  m.spawn_user('mount.nfs', function* () {
    for (let i = 0; i < 2; i++) {
      const err = yield* nfsMount();
      if (err !== 0) throw new Error(`mount failed with ${err}`);
      yield* nfsUmount();
    }
  });
  m.endChecks.push(() => checkNoLockdLeft(m));
});

export const lockdSurvivesLastUmount = explored(
  {
    id: ID,
    title: 'lockd keeps running after the last umount: its SIGKILL is flushed',
    expects: LOCKD_SURVIVES,
    doc: [
      'A process mounts and at once unmounts NFS, twice, under random schedules and all',
      "schedules with at most 2 preemptions. Check (the reproducer's own): once everything",
      'is quiet, no lockd task is alive.',
      'Cause (patch 6 of try #6): lockd tests nlmsvc_ref under nlmsvc_mutex, drops the mutex,',
      'and then treats a pending signal as "drop all locks": flush_signals(), invalidate,',
      'carry on. lockd_down() drops the last reference and sends SIGKILL without waiting. If',
      "that happens between lockd's reference test and its signalled() test, the signal is",
      'flushed, and lockd sleeps in svc_recv() with no timeout and no users until some',
      'request wakes it.',
      'Absent before patch 6 (lockd_down waits for lockd: 2.6.24 for a second, patch 5 in',
      'kthread_stop). Patch 6 was not merged; nothing in try #6 fixes it. The merged series',
      'never has it: its lockd runs until kthread_stop(), and a SIGKILL only drops locks.',
    ].join('\n'),
    scenario: sc,
    machine: { panic_on_warn: true },
  },
  {},
);
