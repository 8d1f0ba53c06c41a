/**
 * 5. lockd-down-slow-exit-second-lockd: lockd_down() gives up on a busy lockd after one
 * second and the next mount starts a second lockd beside it; fixed by patch 5 (kthreads).
 */
import { HZ, type Machine, msleep } from '@lockstep/kernel';
import { live_lockd_tasks, NlmClient, nfsMount, nfsUmount, scenario } from '@lockstep/machine';
import { single } from '../define.js';
import { reproFinding } from '../run.js';
import { Flag, lockdWaitsIn } from '../util.js';

const ID = 'lockd-down-slow-exit-second-lockd';
const TITLE = 'lockd: second lockd started while the old one still runs';
const GFS = '/export/gfs';
/** How long the cluster filesystem's ->lock waits for its lock manager: well over HZ. */
const CLUSTER_DELAY = 30 * HZ;

function checkOneLockd(m: Machine): void {
  const live = live_lockd_tasks(m);
  if (live.length > 1)
    reproFinding(TITLE, [
      `lockd tasks alive at once: ${live.map((t) => `${t} (wchan ${t.wchan || '-'})`).join(', ')}`,
    ]);
}

const sc = scenario({ exports: [{ path: GFS, fs: 'cluster', lockDelay: CLUSTER_DELAY }] }, (m) => {
  const client = new NlmClient(m, 'client-a');
  const mounted = new Flag('mounted');
  m.spawn_user('mount.nfs', function* () {
    yield* nfsMount();
    mounted.set(true);
    // Wait (as ps would show it) until lockd serves the LOCK inside the filesystem's ->lock.
    for (let s = 0; !lockdWaitsIn(m, 'clusterfs_lock'); s++) {
      if (s === 300) throw new Error("lockd never waited in the cluster filesystem's ->lock");
      yield* msleep(HZ);
    }
    yield* nfsUmount();
    yield* nfsMount();
    checkOneLockd(m);
    yield* nfsUmount();
  });
  client.spawn('p', function* () {
    yield* mounted.wait();
    // Waits out the grace period, then lockd spends CLUSTER_DELAY in the filesystem.
    yield* client.nlmLock({ fh: GFS });
  });
});

export const lockdDownSlowExitSecondLockd = single({
  id: ID,
  title: 'lockd_down gives up on a busy lockd; the next lockd_up starts a second one',
  expects: TITLE,
  doc: [
    'A client locks a file on a cluster filesystem whose ->lock waits uninterruptibly for its',
    'lock manager (30 s, as GFS2/OCFS2 plocks could). While lockd waits there, NFS is',
    'unmounted and mounted again.',
    'Cause (2.6.24): lockd_down() sends SIGKILL and waits at most one second (HZ) for lockd to',
    'exit; lockd is asleep in the filesystem, so lockd_down prints "lockd failed to exit,',
    'clearing pid" and clears nlmsvc_pid, and the next lockd_up() starts a second lockd while',
    'the first still runs.',
    'Detector: the reproducer checks, after the second mount, that at most one lockd task is',
    `alive; two at once is its finding "${TITLE}". The kernel itself prints only the warning.`,
    'Fix: patch 5 (kthreads, merged in 2.6.26): lockd_down() waits in kthread_stop() until',
    'lockd has exited, so the next lockd_up() finds none running.',
    'Runs with panic_on_warn off, so the unrelated lockdep report of',
    'nlm-file-host-mutex-inversion does not end the run first.',
  ].join('\n'),
  scenario: sc,
  machine: { panic_on_warn: false },
});
