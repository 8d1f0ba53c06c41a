/**
 * panic() (usr/src/uts/common/os/panic.c) and the x86 trap that ends in one
 * (usr/src/uts/i86pc/os/trap.c die()). A panic stops the run with a report whose text is what
 * the console shows, `panic[cpu0]/thread=<addr>: <message>`, followed by the panicking
 * thread's stack as mdb's `::stack` prints it from the crash dump. The title follows the
 * core's one-line convention ("<what> in <function>", the function being the innermost frame
 * that is not a primitive), so the explorer matches illumos and Linux reports the same way.
 */
import {
  type Backtrace,
  capture_backtrace,
  current,
  machine,
  type Report,
  title_function,
  title_skip,
} from '@lockstep/kernel';
import { fmt_ptr } from './kmem.js';
import { curthread, ttot } from './thread.js';

/** Model helper: frames that an illumos stack does not show (assembly fast paths that tail-jump). */
const NOT_ON_STACK = new Set(['mutex_enter', 'mutex_exit']);

/** Model helper: which module a function belongs to, for "occurred in module" (mod_containing_pc, illumos 096e63b2^:usr/src/uts/common/os/modctl.c). */
const modules = new Map<string, string>();

/**
 * Model helper: record that these functions are in `module` (klmmod, genunix, ...), for
 * mod_containing_pc (illumos 096e63b2^:usr/src/uts/common/os/modctl.c).
 */
export function mod_functions(module: string, ...names: string[]): void {
  for (const n of names) modules.set(n, module);
}

/** mod_containing_pc(), illumos 096e63b2^:usr/src/uts/common/os/modctl.c, by function name. Deviation: "<unknown>" when not registered. */
export function mod_containing_pc(fn: string): string {
  return modules.get(fn) ?? '<unknown>';
}

/**
 * Model helper: the panicking thread's stack as mdb's ::stack lists it from the dump that
 * illumos 096e63b2^:usr/src/uts/common/os/panic.c writes, innermost first. Offsets are not
 * modelled (+0x0), nor arguments; vpanic() and thread_start+8() as mdb shows them.
 */
export function mdb_stack(bt: Backtrace): string[] {
  return bt.map((f) =>
    f === 'vpanic' ? 'vpanic()' : f === 'thread_start' ? 'thread_start+8()' : `${f}+0x0()`,
  );
}

function kernelStack(): Backtrace {
  return capture_backtrace(32).filter((f) => !NOT_ON_STACK.has(f));
}

function panicReport(msg: string, what: string, bt: Backtrace, before: readonly string[]): Report {
  const t = current;
  const headline = `panic[cpu0]/thread=${fmt_ptr(ttot(t).addr)}: ${msg}`;
  return {
    kind: 'panic',
    title: `panic: ${what} in ${title_function(bt)}`,
    headline,
    text: [...before, headline, '', '> ::stack', ...mdb_stack(bt), ''].join('\n'),
    task: { pid: t.pid, comm: t.comm },
    backtrace: bt,
  };
}

/**
 * vpanic(), illumos 096e63b2^:usr/src/uts/common/os/panic.c: prints "panic[cpu%d]/thread=%p: "
 * and the message, then the stack; the model stops the run there (the dump is the report).
 * `what` is the title's message, without the addresses that differ from run to run.
 */
export function vpanic(msg: string, what: string = msg, before: readonly string[] = []): never {
  const bt = kernelStack();
  return machine().raise(panicReport(msg, what, bt, before));
}

/** panic(), illumos 096e63b2^:usr/src/uts/common/os/panic.c: vpanic() with the formatted message. */
export function panic(msg: string, what: string = msg): never {
  return vpanic(msg, what);
}

/** T_PGFLT, illumos 096e63b2^:usr/src/uts/intel/sys/trap.h: the page-fault trap type (0xe). */
export const T_PGFLT = 0xe;
const PAGESIZE = 0x1000n;

/**
 * die(), illumos 096e63b2^:usr/src/uts/i86pc/os/trap.c, for a kernel page fault (#pf) at
 * `addr`: panic("BAD TRAP: type=%x (#%s %s) rp=%p addr=%p occurred in module \"%s\" due to
 * %s"). Before it, trap() has printed showregs(): the model prints the fault line and the
 * register that held the bad pointer (`reg`), not the whole register dump, and `rp` (the
 * trap frame on the thread's stack) is a model address.
 */
export function die(addr: bigint, reg: { name: string; value: bigint }): never {
  const bt: Backtrace = [
    'vpanic',
    'die',
    'trap',
    'cmntrap',
    ...kernelStack().filter((f) => f !== 'die'),
  ];
  const fn = title_function(bt);
  const rp = fmt_ptr(curthread().addr - 0x570n);
  const cause =
    addr < PAGESIZE ? 'a NULL pointer dereference' : 'an illegal access to a user address';
  const msg =
    `BAD TRAP: type=${T_PGFLT.toString(16)} (#pf Page fault) rp=${rp} addr=${fmt_ptr(addr)} ` +
    `occurred in module "${mod_containing_pc(fn)}" due to ${cause}`;
  const before = [
    `${current.comm}: #pf Page fault`,
    `Bad kernel fault at addr=0x${fmt_ptr(addr)}`,
    `(lockstep: ${reg.name} = 0x${fmt_ptr(reg.value).padStart(16, '0')}, the bad pointer; the other registers are not modelled)`,
    '',
  ];
  return machine().raise(panicReport(msg, 'BAD TRAP: type=e (#pf Page fault)', bt, before));
}

title_skip('vpanic', 'panic', 'die', 'trap', 'cmntrap', 'mutex_panic', 'assfail', 'assfail3');
