/** A remote RPC server on the simulated network, for client tests. */
import {
  jiffies,
  type Machine,
  mod_timer,
  timer_list,
  wait_queue_head_t,
  wake_up_all,
} from '@lockstep/kernel';
import {
  IPPROTO_UDP,
  net_bind,
  net_sendto,
  pmap_set,
  type rpc_call_msg,
  type rpc_procinfo,
  type rpc_program,
} from '../src/index.js';

export const TESTPROG = 200_001;

export const testProcs: rpc_procinfo[] = [
  { p_proc: 0, p_name: 'NULL' },
  {
    p_proc: 1,
    p_name: 'ECHO',
    p_encode: (argp) => ({ echo: argp }),
    p_decode: (resp, res) => {
      (resp as { got?: unknown }).got = res;
    },
  },
];

export const testProgram: rpc_program = {
  name: 'testprog',
  number: TESTPROG,
  nrvers: 2,
  version: [undefined, { number: 1, nrprocs: 2, procs: testProcs }],
};

/** A host whose server answers (or not) calls of TESTPROG version 1 at once. */
export class FakeServer {
  readonly calls: rpc_call_msg[] = [];
  answer = true;
  readonly port: number;
  readonly wq = new wait_queue_head_t('fake');
  constructor(
    m: Machine,
    readonly host: string,
  ) {
    this.port = net_bind(
      host,
      0,
      (msg) => {
        if (msg.dir !== 'call') return;
        this.calls.push(msg);
        wake_up_all(this.wq);
        if (!this.answer) return;
        // Answer a jiffy later, from a timer (the remote host's softirq).
        const t = new timer_list(() =>
          net_sendto(msg.src, {
            dir: 'reply',
            xid: msg.xid,
            accept_stat: 0,
            res: msg.proc === 1 ? msg.args : null,
            src: { host, port: this.port },
          }),
        );
        mod_timer(t, jiffies + 1);
      },
      m,
    );
    pmap_set(host, TESTPROG, 1, IPPROTO_UDP, this.port, m);
  }
}
