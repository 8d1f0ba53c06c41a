/**
 * What user processes of the simulated machine do: NFS mount and umount (lockd_up and
 * lockd_down), fcntl POSIX locks on exported files, suspend (freeze and thaw), fault
 * injection, and insmod of a module with declared imports. Each operation is a generator to
 * run inside a user task (m.spawn_user(...)), like a system call; they do not change from one
 * step of a patch series to the next.
 */
import * as kernel from '@lockstep/kernel';
import {
  type FailslabConfig,
  failslab_configure,
  freeze_processes,
  type Kfn,
  LockstepUsageError,
  type load_result,
  type module_imports,
  resolve_symbols,
  type symbol_table,
  syscall,
  thaw_processes,
} from '@lockstep/kernel';
import * as lockd from '@lockstep/lockd';
import { lockd_down, lockd_up } from '@lockstep/lockd';
import * as sunrpc from '@lockstep/sunrpc';
import { IPPROTO_TCP, IPPROTO_UDP } from '@lockstep/sunrpc';
import * as vfsLocks from '@lockstep/vfs-locks';
import {
  F_RDLCK,
  F_SETLK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  fcntl_getlk,
  fcntl_setlk,
  type file,
  filp_close,
  type flock,
  open_file,
  SEEK_SET,
  task_files,
} from '@lockstep/vfs-locks';
import { export_inode } from './nfsd.js';

/** nfs_start_lockd(), fs/nfs/client.c 2.6.24: lockd_up() for the mount's transport. */
function* nfs_start_lockd(proto: number): Kfn<number> {
  return yield* lockd_up(proto);
}

/** nfs_destroy_server(), fs/nfs/client.c 2.6.24: lockd_down() when the mount goes. */
function* nfs_destroy_server(): Kfn {
  yield* lockd_down();
}

/** mount -t nfs (v3, locking on): starts lockd or counts a user; 0 or -errno. */
export function* nfsMount(opts: { proto?: 'udp' | 'tcp' } = {}): Kfn<number> {
  const p = opts.proto ?? 'udp';
  if (p !== 'udp' && p !== 'tcp')
    throw new LockstepUsageError(`nfsMount: proto must be 'udp' or 'tcp', got ${String(p)}`);
  const proto = p === 'udp' ? IPPROTO_UDP : IPPROTO_TCP;
  return yield* syscall('mount', () => nfs_start_lockd(proto));
}

/** umount of an NFS mount: lockd_down(). */
export function* nfsUmount(): Kfn {
  yield* syscall('umount', nfs_destroy_server);
}

/** open() of an exported file by a local process. */
export function* openExport(path: string): Kfn<file> {
  const inode = export_inode(path);
  if (inode === null) throw new LockstepUsageError(`openExport: ${String(path)} is not exported`);
  return yield* syscall('open', function* () {
    yield* kernel.sched_point();
    return open_file(inode);
  });
}

/** A POSIX byte-range lock request of a local process. */
export interface LocalLockSpec {
  /** Default 'write'. */
  readonly type?: 'read' | 'write';
  readonly start?: number;
  /** 0: to the end of the file. */
  readonly len?: number;
  /** F_SETLKW (sleep until it can be had) instead of F_SETLK. Default false. */
  readonly wait?: boolean;
}

function toFlock(type: number, spec: { start?: number; len?: number }): flock {
  const start = spec.start ?? 0;
  const len = spec.len ?? 0;
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(len) || len < 0)
    throw new LockstepUsageError('lock start and len must be integers >= 0');
  return { l_type: type, l_whence: SEEK_SET, l_start: start, l_len: len, l_pid: 0 };
}

function lockType(t: 'read' | 'write' | undefined): number {
  if (t === undefined || t === 'write') return F_WRLCK;
  if (t === 'read') return F_RDLCK;
  throw new LockstepUsageError(`lock type must be 'read' or 'write', got ${String(t)}`);
}

/** fcntl(F_SETLK / F_SETLKW): 0, -EAGAIN when held by someone else (F_SETLK), -errno. */
export function* fcntlLock(filp: file, spec: LocalLockSpec = {}): Kfn<number> {
  const l = toFlock(lockType(spec.type), spec);
  const cmd = spec.wait ? F_SETLKW : F_SETLK;
  return yield* syscall('fcntl', () => fcntl_setlk(filp, cmd, l));
}

/** fcntl(F_SETLK, F_UNLCK). */
export function* fcntlUnlock(filp: file, spec: { start?: number; len?: number } = {}): Kfn<number> {
  const l = toFlock(F_UNLCK, spec);
  return yield* syscall('fcntl', () => fcntl_setlk(filp, F_SETLK, l));
}

/** fcntl(F_GETLK): the conflicting lock (l_type F_UNLCK when none), or -errno. */
export function* fcntlTest(filp: file, spec: LocalLockSpec = {}): Kfn<flock | number> {
  const l = toFlock(lockType(spec.type), spec);
  const err = yield* syscall('fcntl', () => fcntl_getlk(filp, l));
  return err < 0 ? err : l;
}

/** close(): drops the process's POSIX locks on the file. */
export function* closeFile(filp: file): Kfn {
  yield* syscall('close', () => filp_close(filp, task_files()));
}

/**
 * echo mem > /sys/power/state: freeze every task (user space, then freezable kernel
 * threads), then thaw. 0, or -EBUSY when something refused to freeze (after the freezer's
 * report: a run stops at it).
 */
export function* pmSuspend(): Kfn<number> {
  return yield* syscall('write', function* enter_state() {
    const error = yield* freeze_processes();
    thaw_processes();
    return error;
  });
}

/** Configure failslab (from a task; from setup code pass the machine to failslab_configure). */
export function failSlab(cfg: FailslabConfig | null): void {
  failslab_configure(cfg);
}

/** The model packages a module can link against, by their short names. */
export const symbolProviders: Readonly<Record<string, symbol_table>> = Object.freeze({
  kernel: kernel as unknown as symbol_table,
  sunrpc: sunrpc as unknown as symbol_table,
  lockd: lockd as unknown as symbol_table,
  'vfs-locks': vfsLocks as unknown as symbol_table,
});

/** Does `provider` export `symbol` (EXPORT_SYMBOL)? */
export function symbolExported(provider: string, symbol: string): boolean {
  const table = symbolProviders[provider];
  if (table === undefined)
    throw new LockstepUsageError(
      `unknown symbol provider '${provider}' (one of ${Object.keys(symbolProviders).join(', ')})`,
    );
  return Object.hasOwn(table, symbol) && table[symbol] !== undefined;
}

/**
 * insmod of an out-of-tree module that needs these symbols from these providers: resolves
 * them like load_module() does, printing "name: Unknown symbol sym" for each missing one.
 * { error: 0 } or { error: -ENOENT, missing }.
 */
export function* insmodModule(
  name: string,
  needs: Readonly<Record<string, readonly string[]>>,
): Kfn<load_result> {
  if (typeof name !== 'string' || name === '')
    throw new LockstepUsageError('insmod: the module needs a name');
  const imports: Record<string, { table: symbol_table; symbols: readonly string[] }> = {};
  for (const [provider, symbols] of Object.entries(needs)) {
    const table = symbolProviders[provider];
    if (table === undefined)
      throw new LockstepUsageError(
        `insmod: unknown provider '${provider}' (one of ${Object.keys(symbolProviders).join(', ')})`,
      );
    if (!Array.isArray(symbols) || symbols.some((s) => typeof s !== 'string'))
      throw new LockstepUsageError(`insmod: the symbols needed from ${provider} must be strings`);
    imports[provider] = { table, symbols };
  }
  return yield* syscall('init_module', function* load_module() {
    yield* kernel.sched_point();
    return resolve_symbols(name, imports as module_imports);
  });
}
