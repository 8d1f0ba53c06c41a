/** A minimal NFS server binding and a raw NLM peer on the simulated network, for lockd tests. */
import {
  HZ,
  type Kfn,
  type Machine,
  wait_event_interruptible_timeout,
  wait_queue_head_t,
  wake_up_all,
} from '@lockstep/kernel';
import {
  IPPROTO_UDP,
  net_bind,
  net_next_xid,
  net_sendto,
  pmap_getport,
  pmap_set,
  type rpc_call_msg,
  type rpc_reply_msg,
  rpcbind_start,
} from '@lockstep/sunrpc';
import { type inode, new_inode, open_file } from '@lockstep/vfs-locks';
import { lockd_globals, NLM_PROGRAM, type nlmsvc_binding } from '../src/index.js';

/** nfsd's binding for one file '/f', and the machine's rpcbind (lockd_up registers with it). */
export function installBinding(m: Machine, grace = 10): inode {
  rpcbind_start(m);
  const ino = new_inode(1);
  const binding: nlmsvc_binding = {
    // biome-ignore lint/correctness/useYield: fopen is a Kfn; this one never sleeps.
    *fopen(_rqstp, f, filp) {
      if (f !== '/f') return 7;
      filp.f_file = open_file(ino);
      return 0;
    },
    fclose() {},
  };
  const g = lockd_globals(m);
  g.nlmsvc_ops = binding;
  g.nlm_grace_period = grace;
  return ino;
}

/** A remote host speaking raw NLM: calls lockd, and answers its callbacks at once. */
export class RawPeer {
  readonly port: number;
  readonly callbacks: rpc_call_msg[] = [];
  private readonly replies = new Map<number, rpc_reply_msg>();
  private readonly wq = new wait_queue_head_t('rawpeer');
  constructor(
    m: Machine,
    readonly host: string,
  ) {
    this.port = net_bind(
      host,
      0,
      (msg) => {
        if (msg.dir === 'reply') {
          this.replies.set(msg.xid, msg);
          wake_up_all(this.wq);
          return;
        }
        this.callbacks.push(msg);
        net_sendto(msg.src, {
          dir: 'reply',
          xid: msg.xid,
          accept_stat: 0,
          res: null,
          src: { host, port: this.port },
        });
      },
      m,
    );
    for (const v of [1, 3, 4]) pmap_set(host, NLM_PROGRAM, v, IPPROTO_UDP, this.port, m);
  }

  /** Call lockd (NLM v4); the reply's result, or null after 10 s. */
  *call(proc: number, args: unknown): Kfn<{ cookie: string; status: number } | null> {
    const port = pmap_getport('server', NLM_PROGRAM, 4, IPPROTO_UDP);
    const xid = net_next_xid();
    net_sendto(
      { host: 'server', port },
      {
        dir: 'call',
        xid,
        prog: NLM_PROGRAM,
        vers: 4,
        proc,
        prot: IPPROTO_UDP,
        args,
        src: { host: this.host, port: this.port },
      },
    );
    yield* wait_event_interruptible_timeout(this.wq, () => this.replies.has(xid), 10 * HZ);
    return (this.replies.get(xid)?.res as { cookie: string; status: number } | undefined) ?? null;
  }

  lock(svid: number, start: number, len: number) {
    return { caller: this.host, fh: '/f', oh: `${svid}`, svid, l_offset: start, l_len: len };
  }
}
