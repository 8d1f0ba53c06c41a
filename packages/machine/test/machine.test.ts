import {
  HZ,
  jiffies,
  LockstepUsageError,
  Machine,
  msleep,
  type RunResult,
  rotateChooser,
  TASK_DEAD,
  to_dmesg,
} from '@lockstep/kernel';
import { lockd_state, nlm_blocked_list } from '@lockstep/lockd';
import { describe, expect, it } from 'vitest';
import {
  boot,
  closeFile,
  fcntlLock,
  fcntlTest,
  fcntlUnlock,
  insmodModule,
  live_lockd_tasks,
  lockd_tasks,
  NlmClient,
  nfsMount,
  nfsUmount,
  openExport,
  pmSuspend,
  scenario,
  symbolExported,
} from '../src/index.js';

const FH = '/export/file';

function clean(r: RunResult, m: Machine): void {
  if (r.outcome !== 'clean')
    throw new Error(`${r.outcome}: ${r.report?.text ?? r.error ?? ''}\n${to_dmesg(m)}`);
}

function dmesg(m: Machine): string {
  return m.log.map((l) => l.text).join('\n');
}

const rotate = rotateChooser;

describe('NLM locking through lockd', () => {
  it('grants a free lock, denies a conflicting one, and grants it once unlocked', () => {
    const m = boot({ nlm_grace_period: 10 });
    const a = new NlmClient(m, 'client-a');
    const b = new NlmClient(m, 'client-b');
    const seen: string[] = [];
    m.spawn_user('mount.nfs', function* () {
      expect(yield* nfsMount()).toBe(0);
      yield* msleep(40_000);
      yield* nfsUmount();
    });
    a.spawn('p', function* () {
      yield* msleep(11_000);
      seen.push(`a lock ${yield* a.nlmLock({ fh: FH, start: 0, len: 100 })}`);
      yield* msleep(10_000);
      seen.push(`a unlock ${yield* a.nlmUnlock({ fh: FH, start: 0, len: 100 })}`);
    });
    b.spawn('p', function* () {
      yield* msleep(18_000);
      seen.push(`b lock ${yield* b.nlmLock({ fh: FH, start: 50, len: 10 })}`);
      const t = yield* b.nlmTest({ fh: FH, start: 50, len: 10 });
      seen.push(`b test ${t.status} ${t.holder?.l_offset}-${t.holder?.l_len}`);
      seen.push(`b lock elsewhere ${yield* b.nlmLock({ fh: FH, start: 200, len: 10 })}`);
      yield* msleep(10_000);
      seen.push(`b lock ${yield* b.nlmLock({ fh: FH, start: 50, len: 10 })}`);
    });
    const r = m.run();
    clean(r, m);
    expect(seen).toEqual([
      'a lock granted',
      'b lock denied',
      'b test denied 0-100',
      'b lock elsewhere granted',
      'a unlock granted',
      'b lock granted',
    ]);
    // umount invalidated the remaining locks and lockd is gone.
    expect(lockd_tasks(m)).toHaveLength(1);
    expect(live_lockd_tasks(m)).toHaveLength(0);
  });

  it('denies NLM locks during the grace period and serves them after it', () => {
    const m = boot({ nlm_grace_period: 10 });
    const c = new NlmClient(m, 'client1', { graceRetry: false });
    const seen: [string, number][] = [];
    m.spawn_user('mount.nfs', function* () {
      yield* nfsMount();
      yield* msleep(30_000);
      yield* nfsUmount();
    });
    c.spawn('p', function* () {
      yield* msleep(2000);
      seen.push([yield* c.nlmLock({ fh: FH }), jiffies]);
      yield* msleep(10_000);
      // lockd notices the end of the grace period when it next runs its loop.
      seen.push([yield* c.nlmLock({ fh: FH }), jiffies]);
      seen.push([yield* c.nlmLock({ fh: FH }), jiffies]);
    });
    clean(m.run(), m);
    expect(seen.map((s) => s[0])).toEqual([
      'denied_grace_period',
      'denied_grace_period',
      'granted',
    ]);
  });

  it('queues a blocking lock on nlm_blocked and grants it with GRANTED_MSG when the holder unlocks', () => {
    const m = boot({ nlm_grace_period: 10 });
    const c = new NlmClient(m, 'client1');
    const steps: string[] = [];
    let blockedWhileHeld: unknown = null;
    m.spawn_user('app', function* () {
      yield* nfsMount();
      const f = yield* openExport(FH);
      expect(yield* fcntlLock(f, { start: 0, len: 0 })).toBe(0);
      yield* msleep(25_000);
      blockedWhileHeld = nlm_blocked_list();
      steps.push('local unlock');
      expect(yield* fcntlUnlock(f)).toBe(0);
      yield* msleep(5000);
      // The client got the lock: the local process cannot have it now.
      const l = yield* fcntlTest(f);
      expect(typeof l === 'object' && l.l_type).toBe(1);
      yield* closeFile(f);
      yield* msleep(5000);
      yield* nfsUmount();
    });
    c.spawn('p', function* () {
      yield* msleep(11_000);
      steps.push(`lock ${yield* c.nlmLock({ fh: FH }, { block: true })}`);
      steps.push(`granted ${yield* c.waitGranted({ fh: FH }, 30 * HZ)}`);
    });
    const r = m.run();
    clean(r, m);
    expect(steps).toEqual(['lock blocked', 'local unlock', 'granted true']);
    expect(blockedWhileHeld).toEqual([
      { cookie: expect.any(String), host: 'client1', granted: false },
    ]);
    expect(c.granted).toHaveLength(1);
    expect(c.granted[0]!.answer).toBe('granted');
    expect(c.granted[0]!.lock.fh).toBe(FH);
    // No lockd complaints (unknown blocks, hosts left at shutdown).
    expect(dmesg(m)).not.toContain('lockd:');
  });

  it('removes the block once the client answers GRANTED_RES', () => {
    const m = boot({ nlm_grace_period: 10 });
    const c = new NlmClient(m, 'client1');
    let before: unknown = null;
    let after: unknown = null;
    const seen: unknown[] = [];
    m.spawn_user('app', function* () {
      yield* nfsMount();
      const f = yield* openExport(FH);
      yield* fcntlLock(f);
      yield* msleep(25_000);
      yield* fcntlUnlock(f);
      before = nlm_blocked_list();
      yield* msleep(2000);
      after = nlm_blocked_list();
      yield* nfsUmount();
    });
    c.spawn('p', function* () {
      yield* msleep(11_000);
      seen.push(yield* c.nlmLockWait({ fh: FH }));
      seen.push(c.holds({ fh: FH }));
    });
    clean(m.run(), m);
    expect(seen).toEqual(['granted', true]);
    // Right after the unlock the block is due for lockd; the GRANTED_RES took it away.
    expect(before).toHaveLength(1);
    expect(after).toEqual([]);
  });

  it('CANCEL takes a blocked request off nlm_blocked', () => {
    const m = boot({ nlm_grace_period: 10 });
    const c = new NlmClient(m, 'client1');
    const seen: unknown[] = [];
    m.spawn_user('app', function* () {
      yield* nfsMount();
      const f = yield* openExport(FH);
      yield* fcntlLock(f);
      yield* msleep(20_000);
      seen.push(nlm_blocked_list().length);
      yield* closeFile(f);
      yield* msleep(2000);
      yield* nfsUmount();
    });
    c.spawn('p', function* () {
      yield* msleep(11_000);
      seen.push(yield* c.nlmLock({ fh: FH }, { block: true }));
      seen.push(nlm_blocked_list().length);
      seen.push(yield* c.nlmCancel({ fh: FH }));
    });
    clean(m.run(), m);
    expect(seen).toEqual(['blocked', 1, 'granted', 0]);
    expect(c.granted).toHaveLength(0);
  });
});

describe('lockd start and stop', () => {
  it('starts and stops one lockd per mount/umount cycle, without leaks', () => {
    const m = boot({ kmemleak: true });
    const pids: number[] = [];
    m.spawn_user('mount.nfs', function* () {
      for (let i = 0; i < 4; i++) {
        expect(yield* nfsMount()).toBe(0);
        expect(live_lockd_tasks(m)).toHaveLength(1);
        pids.push(lockd_state().nlmsvc_pid);
        yield* msleep(3000);
        yield* nfsUmount();
        // Later steps of the series stop lockd without waiting for it: give it a second.
        yield* msleep(1000);
        // The start completion balanced: lockd completed it once, lockd_up waited once.
        expect(lockd_state()).toEqual({
          nlmsvc_users: 0,
          nlmsvc_pid: 0,
          serv: false,
          lockd_start_done: 0,
        });
      }
    });
    const r = m.run();
    clean(r, m);
    expect(new Set(pids).size).toBe(4);
    expect(lockd_tasks(m).every((t) => t.state === TASK_DEAD)).toBe(true);
    expect(dmesg(m)).not.toContain('failed to exit');
  });

  it('counts users: lockd stays up until the last umount', () => {
    const m = boot();
    const seen: number[] = [];
    m.spawn_user('mount.nfs', function* () {
      yield* nfsMount();
      yield* nfsMount({ proto: 'tcp' });
      seen.push(live_lockd_tasks(m).length);
      yield* nfsUmount();
      seen.push(live_lockd_tasks(m).length, lockd_state().nlmsvc_users);
      yield* nfsUmount();
      yield* msleep(1000); // a lockd_down that does not wait for lockd (patch 6) needs this
      seen.push(live_lockd_tasks(m).length, lockd_state().nlmsvc_users);
    });
    clean(m.run(), m);
    expect(seen).toEqual([1, 1, 1, 0, 0]);
  });

  it('keeps one lockd at a time when mounts and umounts interleave', () => {
    const m = boot();
    let most = 0;
    for (const name of ['mount-a', 'mount-b']) {
      m.spawn_user(name, function* () {
        for (let i = 0; i < 3; i++) {
          yield* nfsMount();
          most = Math.max(most, live_lockd_tasks(m).length);
          yield* msleep(500);
          yield* nfsUmount();
        }
      });
    }
    clean(m.run({ chooser: rotate }), m);
    expect(most).toBe(1);
    expect(live_lockd_tasks(m)).toHaveLength(0);
    expect(dmesg(m)).not.toContain('failed to exit');
  });

  it('suspends and resumes with lockd idle', () => {
    const m = boot();
    let err = -1;
    m.spawn_user('mount.nfs', function* () {
      yield* nfsMount();
      err = yield* pmSuspend();
      yield* nfsUmount();
    });
    clean(m.run(), m);
    expect(err).toBe(0);
    expect(dmesg(m)).toContain('Restarting tasks');
  });
});

describe('modules', () => {
  // These hold at every step of a series: the machine package is never patched, so it
  // names a symbol no step exports rather than one a patch will export.
  it('fails to load a module that needs a symbol its provider does not export', () => {
    const m = boot();
    let res: unknown = null;
    m.spawn_user('insmod', function* () {
      res = yield* insmodModule('lockd_kthread', {
        sunrpc: ['svc_create', 'svc_exit_thread', 'svc_no_such_symbol'],
        kernel: ['kthread_run', 'kthread_stop'],
      });
    });
    clean(m.run(), m);
    expect(res).toEqual({ error: -2, missing: ['svc_no_such_symbol'] });
    expect(dmesg(m)).toContain('lockd_kthread: Unknown symbol svc_no_such_symbol');
  });

  it('loads a module whose symbols are all exported', () => {
    const m = boot();
    let res: unknown = null;
    m.spawn_user('insmod', function* () {
      res = yield* insmodModule('nfs', { lockd: ['lockd_up', 'lockd_down', 'nlmsvc_ops'] });
    });
    clean(m.run(), m);
    expect(res).toEqual({ error: 0, missing: [] });
    expect(symbolExported('sunrpc', 'svc_create')).toBe(true);
    expect(symbolExported('sunrpc', 'svc_no_such_symbol')).toBe(false);
  });
});

describe('setup checks', () => {
  it('rejects bad boot options and bad client options', () => {
    expect(() => boot({ nlm_timeout: 1 })).toThrow(LockstepUsageError);
    expect(() => boot({ exports: ['/x', '/x'] })).toThrow(LockstepUsageError);
    expect(() => boot({ bogus: 1 } as never)).toThrow(LockstepUsageError);
    const m = boot();
    expect(() => new NlmClient(m, 'server')).toThrow(LockstepUsageError);
    expect(() => new NlmClient(m, 'c', { version: 2 as never })).toThrow(LockstepUsageError);
  });

  it('builds a scenario the explorer can run on fresh machines', () => {
    const sc = scenario({ nlm_grace_period: 10 }, (m) => {
      m.spawn_user('mount.nfs', function* () {
        yield* nfsMount();
        yield* nfsUmount();
      });
    });
    for (let i = 0; i < 2; i++) {
      const m = new Machine();
      sc(m);
      clean(m.run(), m);
      expect(lockd_tasks(m)).toHaveLength(1);
    }
    expect(() => scenario({ nlm_timeout: 99 }, () => {})).toThrow(LockstepUsageError);
  });
});
