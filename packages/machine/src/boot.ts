/**
 * Booting a simulated NFS/NLM server: a kernel Machine with sunrpc, lockd, fs/locks.c and
 * nfsd's lockd binding loaded, module parameters applied and files exported. scenario()
 * wraps the same setup for the explorer, which makes a fresh Machine for every run.
 */
import {
  type FailslabConfig,
  failslab_configure,
  kmemleak_enable,
  LockstepUsageError,
  Machine,
  type MachineOptions,
  type Scenario,
} from '@lockstep/kernel';
import { lockd_globals } from '@lockstep/lockd';
import { net_set_nodename, rpcbind_start } from '@lockstep/sunrpc';
import { type ExportSpec, nfsd_export, nfsd_nlm_ops } from './nfsd.js';

export interface BootOptions extends MachineOptions {
  /** The server's host name (utsname nodename). Default 'server'. */
  readonly nodename?: string;
  /** lockd module parameters: grace period and timeout in seconds, ports (0: any). */
  readonly nlm_grace_period?: number;
  readonly nlm_timeout?: number;
  readonly nlm_udpport?: number;
  readonly nlm_tcpport?: number;
  /** Load nfsd, which installs nlmsvc_ops (lockd then serves NLM requests). Default true. */
  readonly nfsd?: boolean;
  /** Exported files. Default ['/export/file']. */
  readonly exports?: readonly (ExportSpec | string)[];
  /** Fault injection from boot on. */
  readonly failslab?: FailslabConfig;
  /** Report leaked allocations at the end of a clean run. Default false. */
  readonly kmemleak?: boolean;
  /** Start the user-space rpcbind (port 111), which svc_register() calls. Default true. */
  readonly rpcbind?: boolean;
}

const BOOT_KEYS = new Set([
  'trace',
  'stacks',
  'livelockSteps',
  'panic_on_warn',
  'nodename',
  'nlm_grace_period',
  'nlm_timeout',
  'nlm_udpport',
  'nlm_tcpport',
  'nfsd',
  'exports',
  'failslab',
  'kmemleak',
  'rpcbind',
]);

function checkRange(name: string, v: number | undefined, min: number, max: number): void {
  if (v === undefined) return;
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new LockstepUsageError(
      `${name} must be an integer in [${min}, ${max}], got ${String(v)}`,
    );
}

function checkBoot(opts: BootOptions): void {
  if (opts === null || typeof opts !== 'object')
    throw new LockstepUsageError('boot options must be an object');
  for (const k of Object.keys(opts))
    if (!BOOT_KEYS.has(k)) throw new LockstepUsageError(`unknown boot option '${k}'`);
  // The ranges of lockd's sysctls (fs/lockd/svc.c 2.6.24).
  checkRange('nlm_grace_period', opts.nlm_grace_period, 0, 240);
  checkRange('nlm_timeout', opts.nlm_timeout, 3, 20);
  checkRange('nlm_udpport', opts.nlm_udpport, 0, 65535);
  checkRange('nlm_tcpport', opts.nlm_tcpport, 0, 65535);
  if (opts.exports !== undefined && !Array.isArray(opts.exports))
    throw new LockstepUsageError('exports must be an array of paths or export specs');
}

/**
 * Load the modules into a fresh machine (setup code, before m.run): lockd's parameters,
 * nfsd's binding, the exports, fault injection. Bad options throw and change nothing.
 */
export function install(m: Machine, opts: BootOptions = {}): void {
  checkBoot(opts);
  const exports = opts.exports ?? ['/export/file'];
  // Validate every export before touching the machine.
  const seen = new Set<string>();
  for (const e of exports) {
    const path = typeof e === 'string' ? e : e?.path;
    if (seen.has(path)) throw new LockstepUsageError(`${String(path)} is exported twice`);
    seen.add(path);
  }
  if (opts.nodename !== undefined) net_set_nodename(m, opts.nodename);
  // rpcbind, started at boot: lockd_up and lockd's exit register through it.
  if (opts.rpcbind ?? true) rpcbind_start(m);
  const g = lockd_globals(m);
  if (opts.nlm_grace_period !== undefined) g.nlm_grace_period = opts.nlm_grace_period;
  if (opts.nlm_timeout !== undefined) g.nlm_timeout = opts.nlm_timeout;
  if (opts.nlm_udpport !== undefined) g.nlm_udpport = opts.nlm_udpport;
  if (opts.nlm_tcpport !== undefined) g.nlm_tcpport = opts.nlm_tcpport;
  // nfsd_lockd_init(): nfsd installs its binding when it loads.
  if (opts.nfsd ?? true) g.nlmsvc_ops = nfsd_nlm_ops;
  for (const e of exports) nfsd_export(m, e);
  if (opts.failslab !== undefined) failslab_configure(opts.failslab, m);
  if (opts.kmemleak) kmemleak_enable(m);
}

/** A machine with the modules loaded (see install). */
export function boot(opts: BootOptions = {}): Machine {
  checkBoot(opts);
  const mopts: MachineOptions = {};
  if (opts.trace !== undefined) mopts.trace = opts.trace;
  if (opts.stacks !== undefined) mopts.stacks = opts.stacks;
  if (opts.livelockSteps !== undefined) mopts.livelockSteps = opts.livelockSteps;
  if (opts.panic_on_warn !== undefined) mopts.panic_on_warn = opts.panic_on_warn;
  const m = new Machine(mopts);
  install(m, opts);
  return m;
}

/**
 * A scenario for the explorer: install the modules on the explorer's fresh machine, then let
 * `setup` spawn the tasks (and create NLM clients). Machine options (trace, stacks) belong to
 * the explorer's own options.
 */
export function scenario(
  opts: Omit<BootOptions, keyof MachineOptions>,
  setup: (m: Machine) => void,
): Scenario {
  checkBoot(opts);
  if (typeof setup !== 'function')
    throw new LockstepUsageError('scenario: setup must be a function');
  return (m: Machine) => {
    install(m, opts);
    setup(m);
  };
}
