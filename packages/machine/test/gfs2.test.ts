/**
 * GFS2 plocks over lock_dlm as 2.6.24 has them (gfs2_plock.ts) with the gfs_controld model:
 * lockd's LOCK is deferred (-EINPROGRESS) and granted through fl_grant, a local fcntl lock and
 * every unlock sleep uninterruptibly until the daemon answers.
 */
import {
  format_backtrace,
  HZ,
  type Machine,
  msleep,
  TASK_DEAD,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
} from '@lockstep/kernel';
import { rpcbind_start } from '@lockstep/sunrpc';
import { describe, expect, it } from 'vitest';
import {
  boot,
  export_inode,
  fcntlLock,
  fcntlUnlock,
  gfs_controld_pid,
  gfsControldStop,
  live_lockd_tasks,
  NlmClient,
  nfsMount,
  nfsUmount,
  openExport,
} from '../src/index.js';

const GFS = '/export/gfs';
const DELAY = 10 * HZ;

function gfsMachine(): Machine {
  const m = boot({ exports: [{ path: GFS, fs: 'gfs2', plockDelay: DELAY }], stacks: true });
  // lockd_up registers with rpcbind (svc_register), so the machine runs one.
  rpcbind_start(m);
  return m;
}

describe('gfs2 plocks through gfs_controld (v2.6.24 plock.c)', () => {
  it('a local F_SETLK waits in gdlm_plock for the daemon, then records the lock', () => {
    const m = gfsMachine();
    const seen: { ret: number; waited: number; listed: boolean }[] = [];
    m.spawn_user('locker', function* () {
      const f = yield* openExport(GFS);
      const t0 = m.jiffies;
      const ret = yield* fcntlLock(f, { type: 'write' });
      seen.push({ ret, waited: m.jiffies - t0, listed: export_inode(GFS)!.i_flock !== null });
      const t1 = m.jiffies;
      const ret2 = yield* fcntlUnlock(f);
      seen.push({ ret: ret2, waited: m.jiffies - t1, listed: export_inode(GFS)!.i_flock !== null });
      yield* gfsControldStop();
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(seen).toEqual([
      { ret: 0, waited: expect.any(Number), listed: true },
      { ret: 0, waited: expect.any(Number), listed: false },
    ]);
    for (const s of seen) expect(s.waited).toBeGreaterThanOrEqual(DELAY);
  });

  it("lockd's blocking LOCK is deferred and granted by the daemon's answer (fl_grant)", () => {
    const m = gfsMachine();
    const client = new NlmClient(m, 'client-a');
    let mounted = false;
    const got: { status: string; at: number }[] = [];
    m.spawn_user('mount.nfs', function* () {
      yield* nfsMount();
      mounted = true;
    });
    client.spawn('p', function* () {
      while (!mounted) yield* msleep(HZ);
      const status = yield* client.nlmLockWait({ fh: GFS });
      got.push({ status, at: m.jiffies });
      yield* gfsControldStop();
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(got.map((g) => g.status)).toEqual(['granted']);
    // One GRANTED callback; lockd's LOCK itself did not wait for the daemon.
    expect(client.granted).toHaveLength(1);
    const fl = export_inode(GFS, m)!.i_flock!;
    expect(fl.fl_lmops?.fl_grant).toBeTypeOf('function');
  });

  // Holds at every step of the lockd series: how lockd_down() stops lockd changes (SIGKILL and
  // a 1 s wait, kthread_stop, SIGKILL alone), but lockd drops the client's gfs2 lock on its way
  // out and sleeps uninterruptibly in gdlm_punlock until gfs_controld answers.
  it('lockd going down drops a gfs2 lock and sleeps uninterruptibly in gdlm_punlock', () => {
    const m = gfsMachine();
    const client = new NlmClient(m, 'client-a');
    let mounted = false;
    let locked = false;
    let down = false;
    let oldLockd: task_struct | null = null;
    let bt = '';
    m.spawn_user('mount.nfs', function* () {
      yield* nfsMount();
      mounted = true;
      while (!locked) yield* msleep(HZ);
      oldLockd = live_lockd_tasks(m)[0]!;
      yield* nfsUmount();
      down = true;
      while (oldLockd.state !== TASK_DEAD) yield* msleep(HZ / 10);
      yield* gfsControldStop();
    });
    m.spawn_user('watch', function* () {
      while (oldLockd === null) yield* msleep(HZ / 10);
      while (oldLockd.state !== TASK_DEAD) {
        if (oldLockd.state === TASK_UNINTERRUPTIBLE && bt === '')
          bt = format_backtrace(oldLockd.sleep_bt).join('\n');
        yield* msleep(HZ / 10);
      }
    });
    client.spawn('p', function* () {
      while (!mounted) yield* msleep(HZ);
      locked = (yield* client.nlmLockWait({ fh: GFS })) === 'granted';
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(down).toBe(true);
    expect(bt).toMatch(/gdlm_punlock[\s\S]*nlm_traverse_locks[\s\S]*nlmsvc_invalidate_all/);
    // The daemon answered later and lockd finished its exit path.
    expect(live_lockd_tasks(m)).toEqual([]);
  });

  it('one daemon per machine; a gfs2 export needs it, a local one has none', () => {
    expect(gfs_controld_pid(boot({}))).toBe(0);
    expect(gfs_controld_pid(gfsMachine())).toBeGreaterThan(0);
    expect(() => boot({ exports: [{ path: '/x', plockDelay: 5 }] })).toThrow(/needs fs: 'gfs2'/);
    expect(() =>
      boot({
        exports: [
          { path: '/a', fs: 'gfs2', plockDelay: 1 },
          { path: '/b', fs: 'gfs2', plockDelay: 2 },
        ],
      }),
    ).toThrow(/one daemon per machine/);
  });
});
