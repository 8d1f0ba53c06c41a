/**
 * BUG(), BUG_ON(), WARN_ON() and the NULL pointer dereference oops. A NULL dereference in
 * model code is a JavaScript TypeError on `null`; the scheduler turns it into an oops here.
 */
import {
  field_of,
  layouts_with_field,
  type member_loc,
  resolve_member,
  spin_lock_first_touch,
  type struct_layout,
} from './layout.js';
import { lockdep_debug_locks } from './lockdep.js';
import { LockstepUsageError, type Report } from './report.js';
import { current, set_oops_hook, this_machine } from './sched.js';
import {
  type Backtrace,
  backtrace_of_error,
  capture_backtrace,
  title_function,
  title_skip,
} from './stack.js';

function taskLine(): string {
  return `Pid: ${current.pid}, comm: ${current.comm} Not tainted 2.6.24 #1`;
}

function callTrace(bt: Backtrace): string[] {
  return ['Call Trace:', ...bt.map((f) => ` [<ffffffff00000000>] ${f}+0x0/0x0`)];
}

/** BUG(): "kernel BUG at file:line!", an invalid opcode oops. */
export function BUG(why = ''): never {
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const headline = `kernel BUG at ${fn}!`;
  return this_machine().raise({
    kind: 'bug',
    title: `kernel BUG in ${fn}`,
    headline,
    text: [
      '------------[ cut here ]------------',
      headline,
      ...(why ? [`(${why})`] : []),
      'invalid opcode: 0000 [1] SMP',
      taskLine(),
      ...callTrace(bt),
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  });
}

/** BUG_ON(cond). */
export function BUG_ON(cond: boolean, why = ''): void {
  if (cond) BUG(why);
}
export const bug_on = BUG_ON;

/** WARN_ON(cond): a warning is a finding too; the run stops at it. */
export function WARN_ON(cond: boolean, what = 'WARN_ON'): boolean {
  if (cond) warn(true, what);
  return cond;
}

/** A WARNING report with a message ("DEBUG_LOCKS_WARN_ON(...)"). */
export function warn(cond: boolean, what: string): void {
  if (!cond) return;
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const headline = `WARNING: at ${fn}() [${what}]`;
  this_machine().warn({
    kind: 'warning',
    title: `WARNING in ${fn}`,
    headline,
    text: [
      '------------[ cut here ]------------',
      headline,
      taskLine(),
      ...callTrace(bt),
      '---[ end trace ]---',
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  });
}

const NULL_ACCESS = /Cannot (read|set) properties of null \((?:reading|setting) '([^']*)'\)/;

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** A faulting access through a NULL pointer: what the page fault handler learns, and why. */
interface null_fault {
  /** The faulting address (CR2): the first byte the access touches. */
  readonly address: number | null;
  /** A write faults with PF_WRITE (2) in the error code, a read with 0. */
  readonly write: boolean;
  /** The function the fault is in (RIP), and the frames between it and the model's caller. */
  readonly rip: string;
  readonly inner: readonly string[];
  /** The lockstep note: which access it was. */
  readonly note: string;
  /** The model function the syzbot-style title names. */
  readonly fn: string;
}

/**
 * The oops of a kernel-mode page fault at a NULL-based address, as 2.6.24 x86_64 prints it:
 * do_page_fault()'s no_context path (v2.6.24:arch/x86/mm/fault_64.c: "Unable to handle kernel
 * NULL pointer dereference" + " at %016lx RIP: \n", then printk_address(regs->rip)), __die()
 * (v2.6.24:arch/x86/kernel/traps_64.c: "%s: %04lx [%u] " then "SMP " and a newline, so the
 * line ends in a space), show_registers()/__show_regs() (v2.6.24:arch/x86/kernel/process_64.c:
 * "CPU %d ", "Pid: %d, comm: %.20s %s %s %.*s", "RIP: %04lx:[<%016lx>] "), the call trace,
 * the "RIP " summary and "CR2: %016lx". Leaves out what the model does not have: the page
 * table dump, register values, stack words and code bytes. The title stays syzbot's.
 */
function null_fault_report(f: null_fault, bt: Backtrace): Report {
  const fn = f.fn;
  const addr = hex16(f.address ?? 0);
  const headline = `Unable to handle kernel NULL pointer dereference at ${addr} RIP: `;
  const rip = `[<ffffffff00000000>] ${f.rip}+0x0/0x0`;
  return {
    kind: 'null-deref',
    title: `BUG: unable to handle kernel NULL pointer dereference in ${fn}`,
    headline,
    text: [
      headline,
      ` ${rip}`,
      `Oops: ${f.write ? '0002' : '0000'} [1] SMP `,
      'CPU 0 ',
      'Modules linked in:',
      taskLine(),
      `RIP: 0010:[<ffffffff00000000>]  ${rip}`,
      `(lockstep: ${f.note})`,
      ...callTrace([...f.inner, ...bt]),
      '',
      `RIP  ${rip}`,
      `CR2: ${addr}`,
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: [f.rip, ...f.inner, ...bt],
  };
}

/** The oops for a TypeError that is a NULL dereference in model code, or null if it is not one. */
export function null_deref_report(e: unknown): Report | null {
  if (!(e instanceof TypeError)) return null;
  const m = NULL_ACCESS.exec(e.message);
  if (m === null) return null;
  const bt = backtrace_of_error(e);
  const fn = bt[0] ?? 'unknown';
  const write = m[1] === 'set';
  const field = m[2]!;
  // Without the struct's type the offset comes from the one registered layout naming the field.
  const owners = layouts_with_field(field);
  const f = owners.length === 1 ? field_of(owners[0]!, field)! : undefined;
  const where =
    f === undefined
      ? `no struct layout names '${field}' (${owners.length} do), so the offset is unknown`
      : `${f.size} bytes at offset 0x${f.offset.toString(16)} of struct ${owners[0]!.name}`;
  return null_fault_report(
    {
      address: f === undefined ? null : f.offset,
      write,
      rip: fn,
      inner: [],
      note: `${write ? 'writing' : 'reading'} field '${field}' through a NULL pointer: ${where}`,
      fn,
    },
    bt.slice(1),
  );
}

/**
 * The spin_lock variants and the kernel/spinlock.c function each calls (v2.6.24 with
 * DEBUG_LOCK_ALLOC: the _spin_lock* functions of kernel/spinlock.c, not inlined).
 */
const SPIN_LOCK_FN = {
  spin_lock: '_spin_lock',
  spin_lock_bh: '_spin_lock_bh',
  spin_lock_irq: '_spin_lock_irq',
  spin_lock_irqsave: '_spin_lock_irqsave',
} as const;
export type spin_lock_fn = keyof typeof SPIN_LOCK_FN;

/**
 * `&ptr->member` handed to spin_lock*(), for a pointer the model may see NULL: the member, or
 * the oops the lock function's first access through NULL gives. With lockdep on (debug_locks
 * set), _spin_lock*() calls lock_acquire(&lock->dep_map) first, and __lock_acquire() reads
 * lock->class_cache (v2.6.24:kernel/lockdep.c, kernel/spinlock.c); after lockdep turned
 * itself off it returns early and _raw_spin_lock() reads lock->magic first
 * (debug_spin_lock_before, v2.6.24:lib/spinlock_debug.c). Offsets from `layout`.
 */
export function lock_member<S extends object, K extends keyof S & string>(
  ptr: S | null | undefined,
  layout: struct_layout,
  member: K,
  lock: spin_lock_fn,
): S[K] {
  if (ptr !== null && ptr !== undefined) return ptr[member];
  const viaLockdep = lockdep_debug_locks();
  const path = [member, ...spin_lock_first_touch(viaLockdep)];
  const loc = locate(layout, path);
  const all = capture_backtrace();
  const bt = all.slice(all.indexOf('lock_member') + 1);
  const inner = viaLockdep ? ['lock_acquire', SPIN_LOCK_FN[lock]] : [SPIN_LOCK_FN[lock]];
  return this_machine().raise(
    null_fault_report(
      {
        address: loc.offset,
        write: false,
        rip: viaLockdep ? '__lock_acquire' : '_raw_spin_lock',
        inner,
        fn: title_function(bt),
        note: `${lock}(&${layout.name}->${member}) through a NULL pointer: ${viaLockdep ? '__lock_acquire' : '_raw_spin_lock'} reads ${path.join('.')}, ${loc.size} bytes at offset 0x${loc.offset.toString(16)} of struct ${layout.name}`,
      },
      bt,
    ),
  );
}

/**
 * `ptr->member` read for its value, for a pointer the model may see NULL: the value, or the
 * oops of a read of the member's own bytes.
 */
export function read_member<S extends object, K extends keyof S & string>(
  ptr: S | null | undefined,
  layout: struct_layout,
  member: K,
): S[K] {
  if (ptr !== null && ptr !== undefined) return ptr[member];
  const loc = locate(layout, [member]);
  const all = capture_backtrace();
  const bt = all.slice(all.indexOf('read_member') + 1);
  const fn = title_function(bt);
  return this_machine().raise(
    null_fault_report(
      {
        address: loc.offset,
        write: false,
        rip: fn,
        fn,
        inner: [],
        note: `reading ${layout.name}.${member} through a NULL pointer: ${loc.size} bytes at offset 0x${loc.offset.toString(16)}`,
      },
      bt.slice(1),
    ),
  );
}

function locate(layout: struct_layout, path: readonly string[]): member_loc {
  const { loc, rest } = resolve_member(layout, path);
  if (loc === undefined || rest.length > 0)
    throw new LockstepUsageError(
      `struct ${layout.name} has no member ${path.join('.')} in its layout`,
    );
  return loc;
}

title_skip('BUG', 'BUG_ON', 'bug_on', 'WARN_ON', 'warn', 'lock_member', 'read_member', 'locate');

set_oops_hook(null_deref_report);
