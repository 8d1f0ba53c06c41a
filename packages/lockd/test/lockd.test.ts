import { Machine, msleep, PF_NOFREEZE, TASK_DEAD, type task_struct } from '@lockstep/kernel';
import { IPPROTO_UDP, pmap_getport } from '@lockstep/sunrpc';
import { F_SETLK, F_UNLCK, F_WRLCK, fcntl_setlk, open_file } from '@lockstep/vfs-locks';
import { describe, expect, it } from 'vitest';
import {
  lockd_down,
  lockd_state,
  lockd_up,
  NLM_PROGRAM,
  NLMPROC_GRANTED_MSG,
  NLMPROC_GRANTED_RES,
  NLMPROC_LOCK,
  NLMPROC_TEST,
  NLMPROC_UNLOCK,
  nlm_blocked_list,
  nlm_granted,
  nlm_lck_blocked,
  nlm_lck_denied,
  nlm_lck_denied_grace_period,
} from '../src/index.js';
import { installBinding, RawPeer } from './helpers.js';

function dmesg(m: Machine): string {
  return m.log.map((l) => l.text).join('\n');
}

function lockds(m: Machine): task_struct[] {
  return m.tasks.filter((t) => t.comm === 'lockd');
}

describe('lockd_up / lockd_down', () => {
  it('starts lockd as a freezable daemon registered with the portmapper, and stops it', () => {
    const m = new Machine();
    installBinding(m);
    const seen: unknown[] = [];
    m.spawn_user('mount.nfs', function* () {
      seen.push(yield* lockd_up(IPPROTO_UDP));
      seen.push(pmap_getport('server', NLM_PROGRAM, 4, IPPROTO_UDP) > 0);
      const [t] = lockds(m);
      seen.push(t!.pid === lockd_state().nlmsvc_pid, (t!.flags & PF_NOFREEZE) === 0);
      yield* lockd_down();
      // lockd unregisters in svc_destroy() after it woke lockd_down(): wait for its exit.
      while (lockds(m).some((l) => l.state !== TASK_DEAD)) yield* msleep(10);
      seen.push(pmap_getport('server', NLM_PROGRAM, 4, IPPROTO_UDP), lockd_state());
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(seen).toEqual([
      0,
      true,
      true,
      true,
      0,
      { nlmsvc_users: 0, nlmsvc_pid: 0, serv: false, lockd_start_done: 0 },
    ]);
    expect(lockds(m).map((t) => t.state)).toEqual([TASK_DEAD]);
  });

  it('counts users and warns about an unbalanced lockd_down', () => {
    const m = new Machine();
    installBinding(m);
    const users: number[] = [];
    m.spawn_user('t', function* () {
      yield* lockd_up(IPPROTO_UDP);
      yield* lockd_up(0);
      users.push(lockd_state().nlmsvc_users, lockds(m).length);
      yield* lockd_down();
      users.push(
        lockd_state().nlmsvc_users,
        lockd_state().nlmsvc_pid === lockds(m)[0]!.pid ? 1 : 0,
      );
      yield* lockd_down();
      yield* lockd_down();
      users.push(lockd_state().nlmsvc_users);
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(users).toEqual([2, 1, 1, 1, 0]);
    expect(dmesg(m)).toContain('lockd_down: no users! pid=0');
    expect(dmesg(m)).toContain('lockd_down: no lockd running.');
  });

  it('runs one lockd after another over repeated up/down cycles', () => {
    const m = new Machine();
    installBinding(m);
    const alive: number[] = [];
    m.spawn_user('t', function* () {
      for (let i = 0; i < 5; i++) {
        yield* lockd_up(IPPROTO_UDP);
        alive.push(lockds(m).filter((t) => t.state !== TASK_DEAD).length);
        yield* msleep(100);
        yield* lockd_down();
      }
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(alive).toEqual([1, 1, 1, 1, 1]);
    expect(lockds(m)).toHaveLength(5);
    expect(lockds(m).every((t) => t.state === TASK_DEAD)).toBe(true);
  });
});

describe('NLM procedures', () => {
  it('serves LOCK, TEST and UNLOCK, denying during the grace period and on conflict', () => {
    const m = new Machine();
    installBinding(m);
    const a = new RawPeer(m, 'host-a');
    const b = new RawPeer(m, 'host-b');
    const st: unknown[] = [];
    m.spawn_user('t', function* () {
      yield* lockd_up(IPPROTO_UDP);
      yield* msleep(60_000);
      yield* lockd_down();
    });
    m.create_task('host-a:p', 'kthread', function* () {
      yield* msleep(1000);
      st.push(
        (yield* a.call(NLMPROC_LOCK, {
          cookie: 'c1',
          block: false,
          exclusive: true,
          lock: a.lock(1, 0, 10),
          reclaim: false,
          state: 0,
        }))?.status,
      );
      yield* msleep(11_000);
      st.push(
        (yield* a.call(NLMPROC_LOCK, {
          cookie: 'c2',
          block: false,
          exclusive: true,
          lock: a.lock(1, 0, 10),
          reclaim: false,
          state: 0,
        }))?.status,
      );
      st.push(
        (yield* a.call(NLMPROC_LOCK, {
          cookie: 'c3',
          block: false,
          exclusive: true,
          lock: a.lock(1, 0, 10),
          reclaim: false,
          state: 0,
        }))?.status,
      );
      st.push(
        (yield* b.call(NLMPROC_LOCK, {
          cookie: 'c4',
          block: false,
          exclusive: true,
          lock: b.lock(2, 5, 10),
          reclaim: false,
          state: 0,
        }))?.status,
      );
      const t = (yield* b.call(NLMPROC_TEST, {
        cookie: 'c5',
        exclusive: false,
        lock: b.lock(2, 5, 1),
      })) as { status: number; holder: { svid: number; l_len: number } } | null;
      st.push(t?.status, t?.holder?.l_len);
      st.push((yield* a.call(NLMPROC_UNLOCK, { cookie: 'c6', lock: a.lock(1, 0, 10) }))?.status);
      st.push(
        (yield* b.call(NLMPROC_LOCK, {
          cookie: 'c7',
          block: false,
          exclusive: true,
          lock: b.lock(2, 5, 10),
          reclaim: false,
          state: 0,
        }))?.status,
      );
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(st).toEqual([
      nlm_lck_denied_grace_period, // still in the grace period
      nlm_lck_denied_grace_period, // lockd clears it when its loop comes round
      nlm_granted,
      nlm_lck_denied,
      nlm_lck_denied,
      10,
      nlm_granted,
      nlm_granted,
    ]);
  });

  it('blocks a LOCK, then sends GRANTED_MSG when the local holder unlocks and drops the block on GRANTED_RES', () => {
    const m = new Machine();
    const ino = installBinding(m);
    const c = new RawPeer(m, 'client');
    const st: unknown[] = [];
    m.spawn_user('app', function* () {
      yield* lockd_up(IPPROTO_UDP);
      const f = open_file(ino);
      st.push(
        yield* fcntl_setlk(f, F_SETLK, {
          l_type: F_WRLCK,
          l_whence: 0,
          l_start: 0,
          l_len: 0,
          l_pid: 0,
        }),
      );
      yield* msleep(20_000);
      st.push(nlm_blocked_list().length);
      st.push(
        yield* fcntl_setlk(f, F_SETLK, {
          l_type: F_UNLCK,
          l_whence: 0,
          l_start: 0,
          l_len: 0,
          l_pid: 0,
        }),
      );
      yield* msleep(5000);
      st.push(nlm_blocked_list().length);
      yield* lockd_down();
    });
    m.create_task('client:p', 'kthread', function* () {
      yield* msleep(11_000);
      yield* c.call(NLMPROC_TEST, { cookie: 'x', exclusive: true, lock: c.lock(9, 0, 0) }); // ends the grace period
      st.push(
        (yield* c.call(NLMPROC_LOCK, {
          cookie: 'c1',
          block: true,
          exclusive: true,
          lock: c.lock(9, 0, 0),
          reclaim: false,
          state: 0,
        }))?.status,
      );
      yield* msleep(12_000);
      const g = c.callbacks.find((x) => x.proc === NLMPROC_GRANTED_MSG);
      st.push(g !== undefined);
      const args = g?.args as {
        cookie: string;
        lock: { svid: number; fh: string; caller: string };
      };
      st.push(args.lock.svid, args.lock.fh, args.lock.caller);
      st.push(
        (yield* c.call(NLMPROC_GRANTED_RES, { cookie: args.cookie, status: nlm_granted }))
          ?.status ?? 'void',
      );
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(st).toEqual([0, nlm_lck_blocked, 1, 0, true, 9, '/f', 'server', 'void', 0]);
  });
});
