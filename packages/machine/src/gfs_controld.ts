/**
 * A model of gfs_controld, the userspace daemon that answers lock_dlm's plock requests in
 * 2.6.24-era clusters (cluster-2's group/gfs_controld/plock.c). It polls the plock misc device
 * (dev_poll: send_wq), reads one request (dev_read), spends `delay` jiffies on the cluster
 * round trip (the request goes to every node through openais CPG and comes back in order),
 * decides it against its own table of the cluster's plocks, and writes the answer (dev_write).
 * A slow daemon is a large delay. It is one user process per machine, and exits on SIGTERM
 * once send_list is empty (gfsControldStop), which a scenario does before it ends.
 *
 * The decision table is this model's, not gfs_controld's code: per resource (fsid, number)
 * the held ranges by owner; LOCK grants unless another owner holds an overlapping range with a
 * write on either side (then -EAGAIN, or for wait=1 the request waits for an UNLOCK), UNLOCK
 * removes the owner's range (-ENOENT when the owner holds nothing there), GET returns 1 and
 * the first conflicting range, or 0.
 */
import {
  current,
  EAGAIN,
  ENOENT,
  type Kfn,
  kill_proc,
  LockstepUsageError,
  type Machine,
  msleep,
  SIGTERM,
  syscall,
  this_machine,
  wait_event_interruptible,
} from '@lockstep/kernel';
import type { fl_owner_t } from '@lockstep/vfs-locks';
import {
  dev_read,
  dev_write,
  GDLM_PLOCK_OP_GET,
  GDLM_PLOCK_OP_LOCK,
  GDLM_PLOCK_OP_UNLOCK,
  type gdlm_plock_info,
  plock_statics,
} from './gfs2_plock.js';

interface range {
  owner: fl_owner_t;
  pid: number;
  ex: number;
  start: number;
  end: number;
}

interface resource {
  held: range[];
  waiters: gdlm_plock_info[];
}

interface Daemon {
  readonly delay: number;
  pid: number;
  readonly resources: Map<string, resource>;
}

const DAEMON = Symbol('gfs_controld');

function holder(m: Machine): { d: Daemon | undefined } {
  return m.slot(DAEMON, () => ({ d: undefined as Daemon | undefined }));
}

function daemonOf(m: Machine): Daemon | undefined {
  return holder(m).d;
}

function conflict(held: range[], info: gdlm_plock_info): range | undefined {
  return held.find(
    (r) =>
      r.owner !== info.owner &&
      r.start <= info.end &&
      info.start <= r.end &&
      (r.ex !== 0 || info.ex !== 0),
  );
}

/** Remove [start, end] from owner's ranges (splitting one that covers it); true if any was held. */
function cut(res: resource, owner: fl_owner_t, start: number, end: number): boolean {
  let had = false;
  const out: range[] = [];
  for (const r of res.held) {
    if (r.owner !== owner || r.end < start || r.start > end) {
      out.push(r);
      continue;
    }
    had = true;
    if (r.start < start) out.push({ ...r, end: start - 1 });
    if (r.end > end) out.push({ ...r, start: end + 1 });
  }
  res.held = out;
  return had;
}

function grant(res: resource, info: gdlm_plock_info): void {
  cut(res, info.owner, info.start, info.end);
  const { owner, pid, ex, start, end } = info;
  res.held.push({ owner, pid, ex, start, end });
}

/** Decide one request; the answers to write (none for a LOCK that now waits). */
function decide(d: Daemon, info: gdlm_plock_info): gdlm_plock_info[] {
  const key = `${info.fsid}:${info.number}`;
  let res = d.resources.get(key);
  if (res === undefined) {
    res = { held: [], waiters: [] };
    d.resources.set(key, res);
  }
  const a = { ...info };
  switch (info.optype) {
    case GDLM_PLOCK_OP_LOCK: {
      if (conflict(res.held, info) === undefined) {
        grant(res, info);
        a.rv = 0;
      } else if (info.wait) {
        res.waiters.push(info);
        return [];
      } else a.rv = -EAGAIN;
      return [a];
    }
    case GDLM_PLOCK_OP_UNLOCK: {
      a.rv = cut(res, info.owner, info.start, info.end) ? 0 : -ENOENT;
      const answers = [a];
      for (const w of [...res.waiters]) {
        if (conflict(res.held, w) !== undefined) continue;
        res.waiters.splice(res.waiters.indexOf(w), 1);
        grant(res, w);
        answers.push({ ...w, rv: 0 });
      }
      return answers;
    }
    case GDLM_PLOCK_OP_GET: {
      const c = conflict(res.held, info);
      a.rv = 0;
      if (c !== undefined)
        Object.assign(a, { rv: 1, ex: c.ex, pid: c.pid, start: c.start, end: c.end });
      return [a];
    }
    default:
      throw new Error(`gfs_controld: unknown plock op ${info.optype}`);
  }
}

/** The daemon's main loop: poll, read, the cluster round trip, write; exits when signalled. */
function* gfs_controld(d: Daemon): Kfn {
  const s = plock_statics();
  for (;;) {
    const err = yield* syscall('poll', () =>
      wait_event_interruptible(s.send_wq, () => s.send_list.length > 0),
    );
    if (err) return;
    const info = yield* syscall('read', dev_read);
    if (typeof info === 'number') continue;
    if (d.delay > 0) yield* msleep(d.delay);
    for (const a of decide(d, info)) yield* syscall('write', () => dev_write(a));
  }
}

/**
 * Start the machine's gfs_controld (setup code, once per machine; nfsd_export does it for a
 * gfs2 export). `delay` is the jiffies each answer takes.
 */
export function gfs_controld_start(m: Machine, delay: number): void {
  if (!Number.isSafeInteger(delay) || delay < 0)
    throw new LockstepUsageError(`gfs_controld delay must be jiffies >= 0, got ${String(delay)}`);
  const old = daemonOf(m);
  if (old !== undefined) {
    if (old.delay !== delay)
      throw new LockstepUsageError(
        `gfs_controld already runs with delay ${old.delay}, not ${delay} (one daemon per machine)`,
      );
    return;
  }
  const d: Daemon = { delay, pid: 0, resources: new Map() };
  holder(m).d = d;
  d.pid = m.spawn_user('gfs_controld', () => gfs_controld(d)).pid;
}

/** The pid of the machine's gfs_controld, or 0 when none was started. */
export function gfs_controld_pid(m: Machine = this_machine()): number {
  return daemonOf(m)?.pid ?? 0;
}

/** kill -TERM $(pidof gfs_controld), from a user task: the daemon exits once idle. */
export function* gfsControldStop(): Kfn<number> {
  const pid = gfs_controld_pid();
  if (pid === 0) throw new LockstepUsageError('gfsControldStop: no gfs_controld on this machine');
  if (current.pid === pid) throw new LockstepUsageError('gfsControldStop: called by the daemon');
  // biome-ignore lint/correctness/useYield: a syscall body is a Kfn; kill() does not sleep.
  return yield* syscall('kill', function* () {
    return kill_proc(pid, SIGTERM, 0);
  });
}
