/**
 * NLM clients on other machines: each NlmClient is a remote host on the simulated network,
 * with a lock-manager daemon (a task standing for that host's lockd, answering our
 * GRANTED_MSG and NULL pings and sending GRANTED_RES back) and processes that send LOCK,
 * UNLOCK, CANCEL and TEST to our lockd the way the Linux NLM client does (UDP with
 * retransmits; a blocked LOCK waits for GRANTED and polls every 30 s).
 *
 * The remote host's tasks run on the simulated machine but are not part of its kernel: they
 * are not frozen by its suspend and hold none of its locks.
 */
import {
  current,
  HZ,
  jiffies,
  type Kfn,
  LockstepUsageError,
  type Machine,
  schedule_timeout_interruptible,
  type task_struct,
  wait_event_interruptible,
  wait_event_interruptible_timeout,
  wait_queue_head_t,
  wake_up_all,
} from '@lockstep/kernel';
import {
  NLM_PROGRAM,
  NLMPROC_CANCEL,
  NLMPROC_GRANTED,
  NLMPROC_GRANTED_MSG,
  NLMPROC_GRANTED_RES,
  NLMPROC_LOCK,
  NLMPROC_NULL,
  NLMPROC_TEST,
  NLMPROC_UNLOCK,
  type nlm_xdr_holder,
  type nlm_xdr_lock,
  type nlm_xdr_testargs,
  type nlm_xdr_testres,
} from '@lockstep/lockd';
import {
  IPPROTO_UDP,
  net_bind,
  net_next_xid,
  net_sendto,
  pmap_getport,
  pmap_set,
  type rpc_call_msg,
  type rpc_datagram,
  rpc_proc_unavail,
  type rpc_reply_msg,
  rpc_success,
  utsname_nodename,
} from '@lockstep/sunrpc';

/** An NLM status as a client sees it, or what went wrong on the way. */
export type NlmStatus =
  | 'granted'
  | 'denied'
  | 'denied_nolocks'
  | 'blocked'
  | 'denied_grace_period'
  | 'deadlock'
  | 'rofs'
  | 'stale_fh'
  | 'fbig'
  | 'failed'
  /** No NLM service registered, or nothing listening on its port. */
  | 'unreachable'
  /** No reply after every retransmit. */
  | 'timeout'
  /** The server rejected the call itself (PROG_UNAVAIL, GARBAGE_ARGS, ...). */
  | 'rpc_error';

const STATUS_NAMES: readonly NlmStatus[] = [
  'granted',
  'denied',
  'denied_nolocks',
  'blocked',
  'denied_grace_period',
  'deadlock',
  'rofs',
  'stale_fh',
  'fbig',
  'failed',
];

function statusName(n: unknown): NlmStatus {
  return (typeof n === 'number' && STATUS_NAMES[n]) || 'failed';
}

/** A byte-range lock as a client process asks for it. */
export interface NlmLockSpec {
  /** The file handle: the export's path. */
  readonly fh: string;
  /** Default 'write'. */
  readonly type?: 'read' | 'write';
  /** Default 0. */
  readonly start?: number;
  /** Default 0: to the end of the file. */
  readonly len?: number;
  /** The owning process id on the client (svid); default the calling task's pid. */
  readonly svid?: number;
}

/** A GRANTED / GRANTED_MSG call the client received. */
export interface GrantedRecord {
  readonly cookie: string;
  readonly lock: nlm_xdr_lock;
  readonly exclusive: boolean;
  /** What the client answered (in GRANTED_RES): 'granted' if a process was waiting for it. */
  readonly answer: NlmStatus;
  readonly jiffies: number;
}

export interface NlmClientOptions {
  /** Answer calls from the server (GRANTED_MSG, pings). Default true. */
  readonly responsive?: boolean;
  /** Wait this many jiffies before answering a GRANTED_MSG. Default 0. */
  readonly grantedReplyDelay?: number;
  /** NLM version of its calls: 1, 3 or 4. Default 4. */
  readonly version?: 1 | 3 | 4;
  /** Retransmit timeout of its calls, in jiffies. Default 10 s. */
  readonly retransmit?: number;
  /** Retransmits before a call times out. Default 5. */
  readonly retries?: number;
  /** Wait out grace-period denials and call again, as the Linux client does. Default true. */
  readonly graceRetry?: boolean;
}

/** NLMCLNT_POLL_TIMEOUT: a blocked client re-sends its LOCK this often. */
const NLMCLNT_POLL_TIMEOUT = 30 * HZ;
/** NLMCLNT_GRACE_WAIT: how long a client waits out a grace-period denial before retrying. */
const NLMCLNT_GRACE_WAIT = 5 * HZ;

function checkJiffies(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new LockstepUsageError(`${name} must be a number of jiffies >= 0, got ${String(v)}`);
}

/** A remote host that takes NLM locks on the simulated machine's exports. */
export class NlmClient {
  readonly name: string;
  readonly version: number;
  /** GRANTED / GRANTED_MSG calls received, in order. */
  readonly granted: GrantedRecord[] = [];
  /** Calls from the server dropped because the host did not answer. */
  dropped = 0;
  responsive: boolean;
  grantedReplyDelay: number;
  graceRetry: boolean;
  private readonly retransmit: number;
  private readonly retries: number;
  private readonly port: number;
  private readonly inbox: rpc_call_msg[] = [];
  private readonly inq: wait_queue_head_t;
  private readonly replyq: wait_queue_head_t;
  private readonly grantq: wait_queue_head_t;
  private readonly pending = new Map<number, { reply: rpc_reply_msg | null }>();
  /** Blocked requests waiting for GRANTED, and locks granted that way. */
  private readonly waiting = new Set<string>();
  private readonly grantedKeys = new Set<string>();
  readonly daemon: task_struct;

  constructor(
    private readonly m: Machine,
    name: string,
    opts: NlmClientOptions = {},
  ) {
    if (typeof name !== 'string' || name === '' || name === utsname_nodename(m))
      throw new LockstepUsageError(
        `an NLM client needs a host name of its own, got ${String(name)}`,
      );
    const version = opts.version ?? 4;
    if (version !== 1 && version !== 3 && version !== 4)
      throw new LockstepUsageError(`NLM version must be 1, 3 or 4, got ${String(version)}`);
    checkJiffies('grantedReplyDelay', opts.grantedReplyDelay ?? 0);
    checkJiffies('retransmit', opts.retransmit ?? 1);
    if ((opts.retransmit ?? 1) === 0) throw new LockstepUsageError('retransmit must be > 0');
    checkJiffies('retries', opts.retries ?? 0);
    this.name = name;
    this.version = version;
    this.responsive = opts.responsive ?? true;
    this.grantedReplyDelay = opts.grantedReplyDelay ?? 0;
    this.graceRetry = opts.graceRetry ?? true;
    this.retransmit = opts.retransmit ?? 10 * HZ;
    this.retries = opts.retries ?? 5;
    this.inq = new wait_queue_head_t(`${name}:nlm_inbox`);
    this.replyq = new wait_queue_head_t(`${name}:rpc_reply`);
    this.grantq = new wait_queue_head_t(`${name}:nlm_granted`);
    const port = net_bind(name, 0, (msg) => this.onDatagram(msg), m);
    if (port < 0) throw new LockstepUsageError(`host ${name} exists already`);
    this.port = port;
    for (const v of [1, 3, 4]) pmap_set(name, NLM_PROGRAM, v, IPPROTO_UDP, port, m);
    this.daemon = m.create_task(`${name}:lockd`, 'kthread', () => this.daemonLoop(), true);
  }

  /** Start a process on this host (a task of the machine that is not part of its kernel). */
  spawn(comm: string, body: () => Kfn<unknown>): task_struct {
    return this.m.create_task(`${this.name}:${comm}`, 'kthread', body, true);
  }

  /** Did a GRANTED callback give this lock to a waiting process? */
  holds(spec: NlmLockSpec): boolean {
    return this.grantedKeys.has(this.lockKey(this.wireLock(spec)));
  }

  /** LOCK: a non-blocking request, or a blocking one that may come back 'blocked'. */
  *nlmLock(spec: NlmLockSpec, opts: { block?: boolean; reclaim?: boolean } = {}): Kfn<NlmStatus> {
    const lock = this.wireLock(spec);
    const k = this.lockKey(lock);
    if (opts.block) this.waiting.add(k);
    const r = yield* this.nlmCall(NLMPROC_LOCK, {
      cookie: this.nextCookie(),
      block: opts.block === true,
      exclusive: (spec.type ?? 'write') === 'write',
      lock,
      reclaim: opts.reclaim === true,
      state: 0,
    });
    if (r !== 'blocked') this.waiting.delete(k);
    return r;
  }

  /**
   * A blocking lock the way nlmclnt_lock() does it: LOCK with block set; while blocked, wait
   * up to 30 s for GRANTED and then ask again; wait out grace-period denials. Gives up after
   * `timeout` jiffies ('timeout').
   */
  *nlmLockWait(spec: NlmLockSpec, opts: { timeout?: number } = {}): Kfn<NlmStatus> {
    const timeout = opts.timeout ?? Number.MAX_SAFE_INTEGER;
    checkJiffies('timeout', timeout);
    const end = jiffies + timeout;
    const lock = this.wireLock(spec);
    const k = this.lockKey(lock);
    while (jiffies < end) {
      const r = yield* this.nlmLock(spec, { block: true });
      if (r === 'denied_grace_period') {
        yield* this.sleepFor(Math.min(NLMCLNT_GRACE_WAIT, end - jiffies));
        continue;
      }
      if (r !== 'blocked') return r;
      if (yield* this.waitGranted(spec, Math.min(NLMCLNT_POLL_TIMEOUT, end - jiffies)))
        return 'granted';
    }
    this.waiting.delete(k);
    return 'timeout';
  }

  /** Wait up to `timeout` jiffies for GRANTED of a blocked request; true if it came. */
  *waitGranted(spec: NlmLockSpec, timeout: number): Kfn<boolean> {
    checkJiffies('timeout', timeout);
    const k = this.lockKey(this.wireLock(spec));
    if (!this.grantedKeys.has(k))
      yield* wait_event_interruptible_timeout(this.grantq, () => this.grantedKeys.has(k), timeout);
    return this.grantedKeys.has(k);
  }

  /** UNLOCK. */
  *nlmUnlock(spec: NlmLockSpec): Kfn<NlmStatus> {
    const lock = this.wireLock(spec);
    this.grantedKeys.delete(this.lockKey(lock));
    return yield* this.nlmCall(NLMPROC_UNLOCK, { cookie: this.nextCookie(), lock });
  }

  /** CANCEL a blocked LOCK. */
  *nlmCancel(spec: NlmLockSpec): Kfn<NlmStatus> {
    const lock = this.wireLock(spec);
    this.waiting.delete(this.lockKey(lock));
    return yield* this.nlmCall(NLMPROC_CANCEL, {
      cookie: this.nextCookie(),
      block: true,
      exclusive: (spec.type ?? 'write') === 'write',
      lock,
    });
  }

  /** TEST: the status and, when denied, the conflicting lock's holder. */
  *nlmTest(spec: NlmLockSpec): Kfn<{ status: NlmStatus; holder: nlm_xdr_holder | null }> {
    let holder: nlm_xdr_holder | null = null;
    const status = yield* this.nlmCall(
      NLMPROC_TEST,
      {
        cookie: this.nextCookie(),
        exclusive: (spec.type ?? 'write') === 'write',
        lock: this.wireLock(spec),
      },
      (res) => {
        holder = (res as nlm_xdr_testres | null)?.holder ?? null;
      },
    );
    return { status, holder };
  }

  private wireLock(spec: NlmLockSpec): nlm_xdr_lock {
    if (spec === null || typeof spec !== 'object' || typeof spec.fh !== 'string')
      throw new LockstepUsageError('an NLM lock needs at least { fh: string }');
    const start = spec.start ?? 0;
    const len = spec.len ?? 0;
    if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(len) || len < 0)
      throw new LockstepUsageError('lock start and len must be integers >= 0');
    const svid = spec.svid ?? current.pid;
    if (spec.type !== undefined && spec.type !== 'read' && spec.type !== 'write')
      throw new LockstepUsageError(`lock type must be 'read' or 'write', got ${String(spec.type)}`);
    return {
      caller: this.name,
      fh: spec.fh,
      oh: `${svid}@${this.name}`,
      svid,
      l_offset: start,
      l_len: len,
    };
  }

  private lockKey(l: nlm_xdr_lock): string {
    return `${l.fh}:${l.svid}:${l.l_offset}:${l.l_len}`;
  }

  private cookieSeq = 0;
  private nextCookie(): string {
    return `${this.name}-${++this.cookieSeq}`;
  }

  private *sleepFor(t: number): Kfn {
    const until = jiffies + t;
    while (jiffies < until) yield* schedule_timeout_interruptible(until - jiffies);
  }

  /**
   * An NLM call to the server's lockd, with retransmits; its status. Like nlmclnt_call(), a
   * grace-period denial is waited out (5 s) and the call made again, unless it is a reclaim.
   */
  private *nlmCall(proc: number, args: unknown, onResult?: (res: unknown) => void): Kfn<NlmStatus> {
    for (;;) {
      const reply = yield* this.rpcCall(utsname_nodename(), proc, args);
      if (typeof reply === 'string') return reply;
      if (reply.accept_stat !== rpc_success) return 'rpc_error';
      const status = statusName((reply.res as { status?: unknown } | null)?.status);
      if (
        status === 'denied_grace_period' &&
        this.graceRetry &&
        !(args as { reclaim?: boolean }).reclaim
      ) {
        yield* this.sleepFor(NLMCLNT_GRACE_WAIT);
        continue;
      }
      onResult?.(reply.res);
      return status;
    }
  }

  private *rpcCall(
    host: string,
    proc: number,
    args: unknown,
  ): Kfn<rpc_reply_msg | 'unreachable' | 'timeout'> {
    const port = pmap_getport(host, NLM_PROGRAM, this.version, IPPROTO_UDP);
    if (port === 0) return 'unreachable';
    const xid = net_next_xid();
    const slot: { reply: rpc_reply_msg | null } = { reply: null };
    this.pending.set(xid, slot);
    let result: rpc_reply_msg | 'unreachable' | 'timeout' = 'timeout';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const sent = net_sendto(
        { host, port },
        {
          dir: 'call',
          xid,
          prog: NLM_PROGRAM,
          vers: this.version,
          proc,
          prot: IPPROTO_UDP,
          args,
          src: { host: this.name, port: this.port },
        },
      );
      if (!sent) {
        result = 'unreachable';
        break;
      }
      yield* wait_event_interruptible_timeout(
        this.replyq,
        () => slot.reply !== null,
        this.retransmit,
      );
      if (slot.reply !== null) {
        result = slot.reply;
        break;
      }
    }
    this.pending.delete(xid);
    return result;
  }

  /** The host's network input (softirq context: queue and wake, never sleep). */
  private onDatagram(msg: rpc_datagram): void {
    if (msg.dir === 'reply') {
      const slot = this.pending.get(msg.xid);
      if (slot !== undefined && slot.reply === null) {
        slot.reply = msg;
        wake_up_all(this.replyq);
      }
      return;
    }
    if (!this.responsive) {
      this.dropped++;
      return;
    }
    this.inbox.push(msg);
    wake_up_all(this.inq);
  }

  private sendReply(call: rpc_call_msg, accept_stat: number, res: unknown): void {
    net_sendto(call.src, {
      dir: 'reply',
      xid: call.xid,
      accept_stat,
      res,
      src: { host: this.name, port: this.port },
    });
  }

  /** nlmclnt_grant(): a process waits for this lock? Then it has it now. */
  private grantWaiter(args: nlm_xdr_testargs): NlmStatus {
    const k = this.lockKey(args.lock);
    let answer: NlmStatus = 'denied';
    if (this.waiting.delete(k)) {
      this.grantedKeys.add(k);
      answer = 'granted';
      wake_up_all(this.grantq);
    }
    this.granted.push({
      cookie: args.cookie,
      lock: args.lock,
      exclusive: args.exclusive,
      answer,
      jiffies,
    });
    return answer;
  }

  /** The remote lockd: answer the server's calls one at a time. */
  private *daemonLoop(): Kfn<number> {
    for (;;) {
      yield* wait_event_interruptible(this.inq, () => this.inbox.length > 0);
      const call = this.inbox.shift()!;
      if (call.proc === NLMPROC_GRANTED_MSG || call.proc === NLMPROC_GRANTED)
        yield* this.sleepFor(this.grantedReplyDelay);
      if (!this.responsive) {
        this.dropped++;
        continue;
      }
      switch (call.proc) {
        case NLMPROC_NULL:
          this.sendReply(call, rpc_success, null);
          break;
        case NLMPROC_GRANTED: {
          const args = call.args as nlm_xdr_testargs;
          const answer = this.grantWaiter(args);
          this.sendReply(call, rpc_success, {
            cookie: args.cookie,
            status: STATUS_NAMES.indexOf(answer),
          });
          break;
        }
        case NLMPROC_GRANTED_MSG: {
          const args = call.args as nlm_xdr_testargs;
          const answer = this.grantWaiter(args);
          this.sendReply(call, rpc_success, null);
          yield* this.rpcCall(call.src.host, NLMPROC_GRANTED_RES, {
            cookie: args.cookie,
            status: STATUS_NAMES.indexOf(answer),
          });
          break;
        }
        default:
          this.sendReply(call, rpc_proc_unavail, null);
      }
    }
  }
}
