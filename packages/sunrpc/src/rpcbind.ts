/**
 * The user-space rpcbind (portmap) daemon of the simulated machine. No kernel file: it stands
 * in for the process that answers rpcb_register() on port 111 over loopback, so that the
 * kernel's registrations are real RPCs that sleep until it answers. It keeps the machine's
 * portmap table (net.ts), which remote hosts read. Version 2 (portmap) only: NULL, SET,
 * UNSET, GETPORT; SET fails when prog/vers/prot is registered at another port, as portmap's
 * pmap_svc.c does. The process sleeps in recvfrom until a call arrives; it is not created
 * runnable, so a machine that never calls rpcbind schedules exactly as without it.
 */
import {
  current,
  freezing,
  type Kfn,
  type Machine,
  PF_NOFREEZE,
  TASK_INTERRUPTIBLE,
  type task_struct,
  this_machine,
  try_to_freeze,
  wait_event_interruptible,
  wait_queue_head_t,
} from '@lockstep/kernel';
import {
  net_bind,
  net_sendto,
  pmap_getport,
  pmap_set,
  pmap_unset,
  type rpc_call_msg,
  utsname_nodename,
} from './net.js';
import {
  RPCBIND_PORT,
  RPCBIND_PROGRAM,
  RPCBPROC_GETPORT,
  RPCBPROC_NULL,
  RPCBPROC_SET,
  RPCBPROC_UNSET,
  type rpcbind_args,
} from './rpcb_clnt.js';
import { rpc_proc_unavail, rpc_prog_mismatch, rpc_prog_unavail, rpc_success } from './svc.js';

/** A running rpcbind: its task and the calls it answered, in order. */
export interface rpcbind_daemon {
  readonly task: task_struct;
  readonly answered: Array<{ proc: number; args: unknown; res: unknown }>;
}

/**
 * Start rpcbind on `m` (setup code, before m.run): bind localhost:111 and create the process,
 * asleep until the first call. The daemon, or null when port 111 is taken.
 */
export function rpcbind_start(m: Machine): rpcbind_daemon | null {
  const inbox: rpc_call_msg[] = [];
  const wq = new wait_queue_head_t('rpcbind');
  const answered: rpcbind_daemon['answered'] = [];
  const host = utsname_nodename(m);
  function* rpcbind(): Kfn {
    for (;;) {
      // Back in user space between calls: the freezer catches the process here.
      yield* try_to_freeze();
      if (inbox.length === 0) {
        yield* wait_event_interruptible(wq, () => inbox.length > 0 || freezing(current));
        continue;
      }
      const call = inbox.shift()!;
      let stat = rpc_success;
      let res: unknown = null;
      const a = call.args as rpcbind_args;
      if (call.prog !== RPCBIND_PROGRAM) stat = rpc_prog_unavail;
      else if (call.vers !== 2) stat = rpc_prog_mismatch;
      else if (call.proc === RPCBPROC_NULL) res = null;
      else if (call.proc === RPCBPROC_SET)
        res = pmap_set(host, a.r_prog, a.r_vers, a.r_prot, a.r_port, m);
      else if (call.proc === RPCBPROC_UNSET) {
        res = pmap_getport(host, a.r_prog, a.r_vers, a.r_prot, m) !== 0;
        pmap_unset(host, a.r_prog, a.r_vers, m);
      } else if (call.proc === RPCBPROC_GETPORT)
        res = pmap_getport(host, a.r_prog, a.r_vers, a.r_prot, m);
      else stat = rpc_proc_unavail;
      answered.push({ proc: call.proc, args: call.args, res });
      net_sendto(call.src, {
        dir: 'reply',
        xid: call.xid,
        accept_stat: stat,
        res,
        src: { host, port: RPCBIND_PORT },
      });
    }
  }
  let task: task_struct | null = null;
  const port = net_bind(
    host,
    RPCBIND_PORT,
    (msg) => {
      if (msg.dir !== 'call') return;
      inbox.push(msg);
      // The socket's data_ready: wake the reader (or start it, the first time).
      if (task !== null) this_machine().wake(task, TASK_INTERRUPTIBLE);
    },
    m,
  );
  if (port < 0) return null;
  // A 'kthread' task, as the remote hosts' daemons are: a user process asleep for good counts
  // as a global deadlock at the end of a run, a daemon waiting for calls must not. It stays
  // freezable, so suspend freezes it (in the kernel-thread pass rather than the user pass).
  task = m.create_task('rpcbind', 'kthread', rpcbind, false);
  task.flags &= ~PF_NOFREEZE;
  task.state = TASK_INTERRUPTIBLE;
  task.wchan = 'udp_recvmsg';
  return { task, answered };
}
