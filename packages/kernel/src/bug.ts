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
import { printk } from './printk.js';
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

/**
 * dump_stack(), v2.6.24:arch/x86/kernel/traps_64.c: "Pid: %d, comm: %.20s %s %s %.*s", then
 * show_trace()'s "\nCall Trace:\n", the printk_address() lines and a closing "\n".
 */
function dumpStack(bt: Backtrace): string[] {
  return [taskLine(), '', ...callTrace(bt), ''];
}

/** dump_stack() into dmesg at the default level; the trace starts at its caller. */
export function dump_stack(): void {
  const bt = capture_backtrace();
  const lines = dumpStack(bt[0] === 'dump_stack' ? bt.slice(1) : bt);
  printk(`${lines.join('\n')}\n`);
}

/**
 * __die() and show_registers() after the first line of an oops, v2.6.24:arch/x86/kernel/
 * traps_64.c ("%s: %04lx [%u] " then "SMP " and a newline, so the line ends in a space;
 * "CPU %d "), v2.6.24:arch/x86/kernel/process_64.c __show_regs() ("Modules linked in:", "Pid:
 * %d, comm: %.20s %s %s %.*s", "RIP: %04lx:[<%016lx>] " and printk_address()), the call trace
 * and __die()'s "RIP " summary. Leaves out register values, "Process ..." with its addresses,
 * the stack words and the code bytes, which the model does not have. `notes` are lockstep's.
 */
function dieLines(
  str: string,
  err: number,
  rip: string,
  trace: Backtrace,
  notes: readonly string[],
): string[] {
  const at = `[<ffffffff00000000>] ${rip}+0x0/0x0`;
  return [
    `${str}: ${err.toString(16).padStart(4, '0')} [1] SMP `,
    'CPU 0 ',
    'Modules linked in:',
    taskLine(),
    `RIP: 0010:[<ffffffff00000000>]  ${at}`,
    ...notes.map((n) => `(lockstep: ${n})`),
    ...callTrace(trace),
    '',
    `RIP  ${at}`,
  ];
}

/**
 * Where a BUG() or WARN_ON() stands in v2.6.24: its __FILE__ and __LINE__, and __FUNCTION__
 * when the model function that calls BUG_ON() has another name than the kernel's.
 */
export interface bug_site {
  readonly file: string;
  readonly line: number;
  readonly fn?: string;
}

// The report machinery's own frames, above the function that holds the BUG or WARN_ON.
const OWN_FRAMES = new Set(['bug_on', 'warn']);

function ownFramesDropped(bt: Backtrace): Backtrace {
  let i = 0;
  while (i < bt.length && OWN_FRAMES.has(bt[i]!)) i++;
  return bt.slice(i);
}

/**
 * The BUG() oops as 2.6.24 x86_64 prints it: BUG() is ud2 (v2.6.24:include/asm-x86/bug.h),
 * do_invalid_op() calls die("invalid opcode", regs, 0), and die() calls report_bug()
 * (v2.6.24:lib/bug.c: KERN_EMERG "------------[ cut here ]------------", then KERN_CRIT
 * "kernel BUG at %s:%u!\n" from the __bug_table entry, CONFIG_DEBUG_BUGVERBOSE=y in the
 * defconfig) before __die(). Without a `site` the model does not know the kernel's file and
 * line, and prints report_bug()'s other format, "Kernel BUG at %p [verbose debug info
 * unavailable]", with a note. `raw` is the backtrace from the BUG() caller inwards.
 */
export function bug_report(
  raw: Backtrace,
  why: string,
  site: bug_site | undefined,
  kind: Report['kind'] = 'bug',
  title?: string,
  notes: readonly string[] = [],
): Report {
  const bt = ownFramesDropped(raw);
  const fn = title_function(bt);
  const rip = site?.fn ?? bt[0] ?? fn;
  const trace = site?.fn !== undefined ? bt : bt.slice(1);
  const headline =
    site === undefined
      ? 'Kernel BUG at ffffffff00000000 [verbose debug info unavailable]'
      : `kernel BUG at ${site.file}:${site.line}!`;
  const why_notes = [
    ...(why ? [why] : []),
    ...(site === undefined ? [`the model gives no v2.6.24 file:line for this BUG in ${rip}`] : []),
    ...notes,
  ];
  return {
    kind,
    title: title ?? `kernel BUG in ${fn}`,
    headline,
    text: [
      '------------[ cut here ]------------',
      headline,
      ...dieLines('invalid opcode', 0, rip, trace, why_notes),
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  };
}

/** BUG(): the invalid opcode oops of report_bug() and __die() (see bug_report). */
export function BUG(why = '', site?: bug_site): never {
  return this_machine().raise(bug_report(capture_backtrace(), why, site));
}

/** BUG_ON(cond). `site` is the v2.6.24 BUG_ON's file and line, when the model knows it. */
export function BUG_ON(cond: boolean, why = '', site?: bug_site): void {
  if (cond) BUG(why, site);
}
export const bug_on = BUG_ON;

/** WARN_ON(cond): a warning is a finding too; the run stops at it under panic_on_warn. */
export function WARN_ON(cond: boolean, what = 'WARN_ON', site?: bug_site): boolean {
  if (cond) warn(true, what, site);
  return cond;
}

/**
 * A WARN_ON() report. x86 has no HAVE_ARCH_WARN_ON in 2.6.24, so this is the generic macro
 * (v2.6.24:include/asm-generic/bug.h): printk "WARNING: at %s:%d %s()\n" (no level, so
 * KERN_WARNING) with __FILE__, __LINE__, __FUNCTION__, then dump_stack(). No "cut here" and no
 * end-of-trace line, which came later. DEBUG_LOCKS_WARN_ON() (v2.6.24:include/linux/
 * debug_locks.h) is a WARN_ON(1) at its own call site. `what` (the condition) is lockstep's note.
 */
export function warn(cond: boolean, what: string, site?: bug_site): void {
  if (!cond) return;
  const bt = ownFramesDropped(capture_backtrace());
  const fn = title_function(bt);
  const inFn = site?.fn ?? bt[0] ?? fn;
  const headline =
    site === undefined
      ? `WARNING: at ?:0 ${inFn}()`
      : `WARNING: at ${site.file}:${site.line} ${inFn}()`;
  const notes = [
    ...(what !== 'WARN_ON' ? [what] : []),
    ...(site === undefined
      ? [`the model gives no v2.6.24 file:line for this WARN_ON in ${inFn}`]
      : []),
  ];
  this_machine().warn({
    kind: 'warning',
    title: `WARNING in ${fn}`,
    headline,
    text: [
      headline,
      ...notes.map((n) => `(lockstep: ${n})`),
      // dump_stack() is called from the function holding the WARN_ON: it is the first entry.
      ...dumpStack(inFn === bt[0] ? bt : [inFn, ...bt]),
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  });
}

const NULL_ACCESS = /Cannot (read|set) properties of null \((?:reading|setting) '([^']*)'\)/;

function hex16(n: bigint): string {
  return n.toString(16).padStart(16, '0');
}

/** A faulting access through a bad pointer: what the page fault handler learns, and why. */
export interface page_fault {
  /** The faulting address (CR2): the first byte the access touches. */
  readonly address: number | bigint | null;
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
 * The oops of a kernel-mode page fault, as 2.6.24 x86_64 prints it: do_page_fault()'s
 * no_context path (v2.6.24:arch/x86/mm/fault_64.c: "Unable to handle kernel NULL pointer
 * dereference" below PAGE_SIZE, else "Unable to handle kernel paging request", then " at %016lx
 * RIP: \n" and printk_address(regs->rip)), __die("Oops", regs, error_code) (see dieLines) and
 * "CR2: %016lx". Leaves out the page table dump (dump_pagetable). The title stays syzbot's
 * unless the caller names another.
 */
export function page_fault_report(
  f: page_fault,
  bt: Backtrace,
  kind: Report['kind'] = 'null-deref',
  title?: string,
): Report {
  const fn = f.fn;
  const address = f.address === null ? 0n : BigInt(f.address);
  const addr = hex16(address);
  const what = address < 4096n ? 'NULL pointer dereference' : 'paging request';
  const headline = `Unable to handle kernel ${what} at ${addr} RIP: `;
  const rip = `[<ffffffff00000000>] ${f.rip}+0x0/0x0`;
  return {
    kind,
    title: title ?? `BUG: unable to handle kernel NULL pointer dereference in ${fn}`,
    headline,
    text: [
      headline,
      ` ${rip}`,
      ...dieLines('Oops', f.write ? 2 : 0, f.rip, [...f.inner, ...bt], [f.note]),
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
  return page_fault_report(
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
    page_fault_report(
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
    page_fault_report(
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
