import { Machine, msleep } from '@lockstep/kernel';
import { IPPROTO_UDP } from '@lockstep/sunrpc';
import { describe, expect, it } from 'vitest';
import {
  lockd_down,
  lockd_up,
  NLMPROC_LOCK,
  NLMPROC_TEST,
  nlm_granted,
  nlm_host_names,
} from '../src/index.js';
import { installBinding, RawPeer } from './helpers.js';

describe('nlm_host_mutex and file->f_mutex (255129d1, in 2.6.24)', () => {
  it('a LOCK that collects host garbage while another lock keeps the file open takes them in one order', () => {
    // panic_on_warn is on (the default): a lockdep report would end the run.
    const m = new Machine();
    installBinding(m);
    const a = new RawPeer(m, 'host-a');
    const b = new RawPeer(m, 'host-b');
    const c = new RawPeer(m, 'host-c');
    const st: unknown[] = [];
    let hosts: string[] = [];
    const lockArgs = (p: RawPeer, svid: number, start: number) => ({
      cookie: `c${svid}`,
      block: false,
      exclusive: true,
      lock: p.lock(svid, start, 1),
      reclaim: false,
      state: 0,
    });
    m.spawn_user('t', function* () {
      yield* lockd_up(IPPROTO_UDP);
      yield* msleep(200_000);
      yield* lockd_down();
    });
    m.create_task('peers', 'kthread', function* () {
      yield* msleep(11_000); // past the 10 s grace period
      yield* c.call(NLMPROC_TEST, { cookie: 't', exclusive: true, lock: c.lock(3, 0, 1) });
      // host-a's lock keeps the file open: host GC must take its f_mutex.
      st.push((yield* a.call(NLMPROC_LOCK, lockArgs(a, 1, 0)))?.status);
      // Past NLM_HOST_EXPIRE (120 s) and NLM_HOST_COLLECT (60 s): this LOCK's host lookup
      // collects garbage under nlm_host_mutex, and frees host-c, which holds nothing.
      yield* msleep(130_000);
      st.push((yield* b.call(NLMPROC_LOCK, lockArgs(b, 2, 5)))?.status);
      hosts = nlm_host_names().sort();
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(r.warnings.map((w) => w.title)).toEqual([]);
    expect(st).toEqual([nlm_granted, nlm_granted]);
    expect(hosts).toEqual(['host-a', 'host-b']);
  });
});
