/**
 * lockdep (v2.6.24:kernel/lockdep.c): lock classes keyed by lockdep_map.key, the held-lock
 * stack of each task, the class dependency graph with its cycle check, the usage bits that
 * mark_irqflags() sets, and the reports: circular and recursive locking, bad unlock balance, a
 * lock held on the return to user space and at task exit, in 2.6.24's words. The model has no
 * interrupt contexts, so the "used in irq" bits are never set; the "irqs enabled" bits are,
 * from each task's local_bh/local_irq state (spin_lock_bh, spin_lock_irq). The state is per
 * machine, and the first report turns lockdep off (debug_locks_off()).
 */
import { LockstepUsageError, type Report } from './report.js';
import {
  current,
  type Machine,
  machine,
  on_task_exit,
  type task_struct,
  this_machine,
  track_access,
} from './sched.js';
import { type Backtrace, capture_backtrace, title_function, title_skip } from './stack.js';

/** include/linux/lockdep.h. */
export const MAX_LOCKDEP_SUBCLASSES = 8;

/** struct lock_class: one per (key, subclass); the graph's nodes. */
export class lock_class {
  /** Classes taken while this one was held, with where that was first seen (locks_after). */
  readonly locks_after = new Map<lock_class, lock_list>();
  /** BFS generation mark (dep_gen_id). */
  dep_gen_id = 0;
  /** How many times it was acquired. */
  ops = 0;
  /** usage_mask: the LOCKF_* bits mark_irqflags() set. */
  usage_mask = 0;
  constructor(
    readonly key: string,
    readonly subclass: number,
    readonly name: string,
    /** Disambiguates classes that share a name but not a key ("name#2"). */
    readonly name_version: number,
  ) {}
}

/** struct lock_list: an edge of the graph, with the stack where it was first recorded. */
export interface lock_list {
  readonly class: lock_class;
  readonly trace: Backtrace;
}

/** struct lockdep_map: a lock instance's link to its class (keyed by name, like a lock_class_key). */
export class lockdep_map {
  /** class_cache[subclass], valid for the machine whose state is cache_owner. */
  class_cache: Array<lock_class | undefined> = [];
  cache_owner: object | null = null;
  constructor(
    readonly name: string,
    /** The class key: locks initialised at the same site share it; here, the same name. */
    readonly key: string = name,
  ) {}
}

/** A held lock: an entry of task_struct.held_locks. */
export interface held_lock {
  readonly map: lockdep_map;
  readonly class: lock_class;
  /** 0 write, 1 read, 2 recursive read (set when a read nests inside a read of its class). */
  read: number;
  readonly trylock: boolean;
  /** Where it was acquired (kernel frames, innermost first); [] when the machine has stacks off. */
  acquire_bt: Backtrace;
}

interface LockdepState {
  readonly classes: Map<string, lock_class>;
  readonly byName: Map<string, number>;
  readonly versionByKey: Map<string, number>;
  readonly stacks: boolean;
  bfs_gen: number;
  /** debug_locks: cleared by the first report (debug_locks_off); lockdep then stops. */
  debug_locks: boolean;
}

const LOCKDEP = Symbol('lockdep');
const HELD = 'lockdep.held_locks';
const NO_TRACE: Backtrace = [];
/** print_kernel_version(): "%s %.*s", the release and the first word of the version. */
const KERNEL_IDENT = '2.6.24 #1';
/** Usage bits (enum lock_usage_bit, v2.6.24:include/linux/lockdep.h) the model can set. */
const LOCKF_ENABLED_SOFTIRQS = 1 << 3;
const LOCKF_ENABLED_HARDIRQS = 1 << 4;
const LOCKF_ENABLED_SOFTIRQS_READ = 1 << 7;
const LOCKF_ENABLED_HARDIRQS_READ = 1 << 8;
const LOCKF_USED_IN_HARDIRQ = 1 << 1;
const LOCKF_USED_IN_SOFTIRQ = 1 << 2;
const LOCKF_USED_IN_HARDIRQ_READ = 1 << 5;
const LOCKF_USED_IN_SOFTIRQ_READ = 1 << 6;
const IRQ_STATE = 'lockdep.irq_state';
const TRACE_DEPTH = 48;

/**
 * A kernel backtrace of the current task: the frames of capture_backtrace() without the
 * generators' `next` plumbing and without the scheduler's own frames (Machine.run and what
 * called it), which are not part of the task's stack.
 */
function kernelStack(depth = TRACE_DEPTH): Backtrace {
  const out: string[] = [];
  for (const f of capture_backtrace(depth)) {
    if (f === 'run') break;
    if (f !== 'next') out.push(f);
  }
  return out;
}

/** The acquire_ip of a held lock: the frames outside lockdep, from the locking primitive out. */
function afterLockAcquire(bt: Backtrace): Backtrace {
  const i = bt.indexOf('lock_acquire');
  return i >= 0 ? bt.slice(i + 1) : bt;
}

/** A recorded dependency's stack starts at lock_acquire, as save_trace() leaves it. */
function fromLockAcquire(bt: Backtrace): Backtrace {
  const i = bt.indexOf('lock_acquire');
  return i > 0 ? bt.slice(i) : bt;
}

let lastMachine: Machine | null = null;
let lastState: LockdepState | null = null;

function lockdepState(): LockdepState {
  const m = machine();
  if (m !== lastMachine) {
    lastState = m.slot(LOCKDEP, () => ({
      classes: new Map<string, lock_class>(),
      byName: new Map<string, number>(),
      versionByKey: new Map<string, number>(),
      stacks: m.stacks,
      bfs_gen: 0,
      // CONFIG_LOCKDEP=n (MachineOptions.lockdep false): never on.
      debug_locks: m.lockdep,
    }));
    lastMachine = m;
  }
  return lastState!;
}

/** A task's interrupt state as lockdep traces it: nesting depths of local_bh/irq_disable. */
interface irq_state {
  softirqs_off: number;
  hardirqs_off: number;
}

function irqState(t: task_struct): irq_state {
  let s = t.ext[IRQ_STATE] as irq_state | undefined;
  if (s === undefined) {
    s = { softirqs_off: 0, hardirqs_off: 0 };
    t.ext[IRQ_STATE] = s;
  }
  return s;
}

/** local_bh_disable()/local_bh_enable() as lockdep sees them (trace_softirqs_off/on). */
export function local_bh_disable(): void {
  irqState(current).softirqs_off++;
}
export function local_bh_enable(): void {
  const s = irqState(current);
  if (s.softirqs_off > 0) s.softirqs_off--;
}
/** local_irq_disable()/local_irq_enable() as lockdep sees them (trace_hardirqs_off/on). */
export function local_irq_disable(): void {
  irqState(current).hardirqs_off++;
}
export function local_irq_enable(): void {
  const s = irqState(current);
  if (s.hardirqs_off > 0) s.hardirqs_off--;
}

/**
 * mark_irqflags(), v2.6.24:kernel/lockdep.c: an acquisition with hardirqs on marks the class
 * hardirq-on, and with softirqs on too, softirq-on (-R for reads). The model never runs in
 * hardirq or softirq context, so the "in-irq" bits stay clear.
 */
function mark_irqflags(t: task_struct, cls: lock_class, read: number): void {
  const s = irqState(t);
  if (s.hardirqs_off > 0) return;
  cls.usage_mask |= read ? LOCKF_ENABLED_HARDIRQS_READ : LOCKF_ENABLED_HARDIRQS;
  if (s.softirqs_off === 0)
    cls.usage_mask |= read ? LOCKF_ENABLED_SOFTIRQS_READ : LOCKF_ENABLED_SOFTIRQS;
}

/** debug_locks: true until the first lockdep report turns lockdep off on this machine. */
export function lockdep_debug_locks(): boolean {
  return lockdepState().debug_locks;
}

/** The task's held-lock stack (current->held_locks). */
export function held_locks(t: task_struct = current): held_lock[] {
  let h = t.ext[HELD] as held_lock[] | undefined;
  if (h === undefined) {
    h = [];
    t.ext[HELD] = h;
  }
  return h;
}

/** register_lock_class(): find or create the class of (key, subclass) and cache it in the map. */
function register_lock_class(st: LockdepState, map: lockdep_map, subclass: number): lock_class {
  const id = subclass === 0 ? map.key : `${map.key}\0${subclass}`;
  let cls = st.classes.get(id);
  if (cls === undefined) {
    // count_matching_names(): the first key of a name prints as "name", a later key with the
    // same name as "name#2", ...; the subclasses of a key share its version.
    let version = st.versionByKey.get(map.key);
    if (version === undefined) {
      version = (st.byName.get(map.name) ?? 0) + 1;
      st.byName.set(map.name, version);
      st.versionByKey.set(map.key, version);
    }
    cls = new lock_class(map.key, subclass, map.name, version);
    st.classes.set(id, cls);
  }
  if (map.cache_owner !== st) {
    map.class_cache = [];
    map.cache_owner = st;
  }
  map.class_cache[subclass] = cls;
  return cls;
}

/** lock_acquire(): push the lock on the held stack after checking it against the graph. */
export function lock_acquire(
  map: lockdep_map,
  subclass: number,
  trylock: boolean,
  read: number,
): void {
  if (!Number.isInteger(subclass) || subclass < 0 || subclass >= MAX_LOCKDEP_SUBCLASSES)
    throw new LockstepUsageError(
      `lock_acquire(${map.name}): subclass must be an integer in [0, ${MAX_LOCKDEP_SUBCLASSES}), got ${String(subclass)}`,
    );
  if (read !== 0 && read !== 1 && read !== 2)
    throw new LockstepUsageError(`lock_acquire(${map.name}): read must be 0, 1 or 2`);
  __lock_acquire(map, subclass, trylock, read);
}

/**
 * __lock_acquire(), v2.6.24:kernel/lockdep.c; leaves out chain hashing, lock statistics and
 * the irq-safe/-unsafe checks (no irq context sets a "used in" bit for them to find).
 */
function __lock_acquire(map: lockdep_map, subclass: number, trylock: boolean, read: number): void {
  const st = lockdepState();
  if (!st.debug_locks) return;
  // The dependency graph is shared: to DPOR, every acquisition with lockdep on conflicts.
  track_access(st, true);
  let cls = map.cache_owner === st ? map.class_cache[subclass] : undefined;
  if (cls === undefined) cls = register_lock_class(st, map, subclass);
  cls.ops++;
  const t = current;
  const held = held_locks(t);
  const hlock: held_lock = {
    map,
    class: cls,
    read,
    trylock,
    acquire_bt: st.stacks ? afterLockAcquire(kernelStack(12)) : NO_TRACE,
  };
  mark_irqflags(t, cls, read);
  // Trylocks can be taken in any order: they are held but add no dependencies.
  if (!trylock) validate_chain(st, t, held, hlock);
  held.push(hlock);
}

/** validate_chain(): the recursion check, then the new prev -> next dependencies. */
function validate_chain(
  st: LockdepState,
  t: task_struct,
  held: held_lock[],
  next: held_lock,
): void {
  if (held.length === 0) return; // chain head: nothing to depend on
  const d = check_deadlock(t, held, next);
  if (d === 0) return;
  if (d === 2) {
    next.read = 2; // a recursive read is skipped when building dependencies
    return;
  }
  check_prevs_add(st, t, held, next);
}

/** check_deadlock(): the same class already held is recursive locking, unless read-after-read. */
function check_deadlock(t: task_struct, held: held_lock[], next: held_lock): number {
  for (const prev of held) {
    if (prev.class !== next.class) continue;
    // Only recursive reads (read_lock style, read == 2) may nest; a nested rwsem down_read
    // (read == 1) can deadlock behind a queued writer, so lockdep reports it too.
    if (next.read === 2 && prev.read !== 0) return 2;
    print_deadlock_bug(t, prev, next);
    return 0;
  }
  return 1;
}

/**
 * check_prevs_add(): add prev -> next for the held locks that are "relevant": walking down
 * from the top, every trylock entry and the first non-trylock one (the ones below it are
 * already connected to next through it). Recursive-read entries are skipped.
 */
function check_prevs_add(
  st: LockdepState,
  t: task_struct,
  held: held_lock[],
  next: held_lock,
): void {
  const trace: { bt: Backtrace | null } = { bt: null };
  for (let i = held.length - 1; i >= 0; i--) {
    const prev = held[i]!;
    if (prev.read !== 2) {
      check_prev_add(st, t, prev, next, trace);
      if (!prev.trylock) break;
    }
  }
}

/**
 * check_prev_add(): a prev -> next edge must not close a cycle. An edge that already exists
 * was checked when it was added, so the search runs only for new edges.
 */
function check_prev_add(
  st: LockdepState,
  t: task_struct,
  prev: held_lock,
  next: held_lock,
  trace: { bt: Backtrace | null },
): void {
  if (prev.class.locks_after.has(next.class)) return;
  const path = check_noncircular(st, next.class, prev.class);
  if (path !== null) {
    trace.bt ??= kernelStack();
    print_circular_bug(t, path, next, prev, trace.bt);
    return;
  }
  // Read-triggered dependencies of recursive readers are checked but not stored.
  if (next.read === 2 || prev.read === 2) return;
  // The stack of this acquisition, saved once and shared by the edges it adds (save_trace).
  // Without stacks (fast exploration) the edge keeps none; reports are re-run with stacks.
  trace.bt ??= machine().stacks ? kernelStack() : [];
  prev.class.locks_after.set(next.class, { class: next.class, trace: fromLockAcquire(trace.bt) });
}

/**
 * check_noncircular(), v2.6.24:kernel/lockdep.c: depth-first search, in the order the
 * dependencies were added, of the classes reachable from `source` for `target`. Returns the
 * path [target entry, ..., source root] (innermost first), or null. 2.6.24 re-walks shared
 * subgraphs; marking the classes already walked finds the same first path in less time.
 * Leaves out RECURSION_LIMIT (40), which graphs this small never reach.
 */
function check_noncircular(
  st: LockdepState,
  source: lock_class,
  target: lock_class,
): lock_list[] | null {
  const gen = ++st.bfs_gen;
  const root: lock_list = { class: source, trace: NO_TRACE };
  const walk = (lock: lock_list): lock_list[] | null => {
    lock.class.dep_gen_id = gen;
    for (const entry of lock.class.locks_after.values()) {
      if (entry.class === target) return [entry, lock];
      if (entry.class.dep_gen_id === gen) continue;
      const p = walk(entry);
      if (p !== null) {
        p.push(lock);
        return p;
      }
    }
    return null;
  };
  return walk(root);
}

/** lock_release(): remove the lock from the held stack; releasing a lock not held is a bug. */
export function lock_release(map: lockdep_map): void {
  __lock_release(map);
}

/**
 * __lock_release(), v2.6.24:kernel/lockdep.c; leaves out lock_release_non_nested()'s re-adding
 * of the locks above the released one, which only re-records edges the graph already has.
 */
function __lock_release(map: lockdep_map): void {
  if (!lockdepState().debug_locks) return;
  const t = current;
  const h = held_locks(t);
  for (let i = h.length - 1; i >= 0; i--) {
    if (h[i]!.map === map) {
      if (i === h.length - 1) h.pop();
      else h.splice(i, 1);
      return;
    }
  }
  print_unlock_imbalance_bug(t, map);
}

/** lock_is_held() (lockdep_assert_held): does the current task hold this lock instance? */
export function lock_is_held(map: lockdep_map, t: task_struct = current): boolean {
  const h = t.ext[HELD] as held_lock[] | undefined;
  if (h === undefined) return false;
  for (const hl of h) if (hl.map === map) return true;
  return false;
}

/**
 * lockdep_sys_exit(), v2.6.24:kernel/lockdep.c: a task must not return to user space holding a
 * lock. Prints the banner (no kernel version line) and the held locks, no stack.
 */
export function lockdep_sys_exit(syscall = ''): void {
  if (!lockdepState().debug_locks) return;
  const t = current;
  const h = t.ext[HELD] as held_lock[] | undefined;
  if (h === undefined || h.length === 0) return;
  const headline = '[ BUG: lock held when returning to user space! ]';
  const first = h[0]!;
  const bt = first.acquire_bt;
  raiseReport(
    t,
    'lockdep-sys-exit',
    `WARNING: lock held when returning to user space in ${acquireSite(first)}`,
    headline,
    bt,
    [
      `${t.comm}/${t.pid} is leaving the kernel with locks still held!`,
      ...lockdep_print_held_locks(t),
      ...(syscall ? [`(lockstep: on the return from the ${syscall} system call)`] : []),
    ],
    false,
  );
}

/** debug_check_no_locks_held() (do_exit): a task must not exit holding a lock. */
export function debug_check_no_locks_held(t: task_struct = current): void {
  if (!lockdepState().debug_locks) return;
  const h = t.ext[HELD] as held_lock[] | undefined;
  if (h === undefined || h.length === 0) return;
  print_held_locks_bug(t, h);
}

on_task_exit(debug_check_no_locks_held);

// ---- printouts, in v2.6.24:kernel/lockdep.c's words ----

/** __print_lock_name(): "name", "name#2" for a second key with that name, "/N" for a subclass. */
function __print_lock_name(c: lock_class): string {
  let s = c.name;
  if (c.name_version > 1) s += `#${c.name_version}`;
  if (c.subclass !== 0) s += `/${c.subclass}`;
  return s;
}

/**
 * get_usage_chars(), v2.6.24:kernel/lockdep.c: hardirq, softirq, hardirq-read, softirq-read;
 * '+' used in that irq context, '-' taken with that irq enabled, '?' both (reads), '.' neither.
 */
export function get_usage_chars(usage_mask: number): string {
  const has = (f: number): boolean => (usage_mask & f) !== 0;
  const c1 = has(LOCKF_USED_IN_HARDIRQ) ? '+' : has(LOCKF_ENABLED_HARDIRQS) ? '-' : '.';
  const c2 = has(LOCKF_USED_IN_SOFTIRQ) ? '+' : has(LOCKF_ENABLED_SOFTIRQS) ? '-' : '.';
  const read = (used: number, enabled: number): string =>
    has(used) ? (has(enabled) ? '?' : '+') : has(enabled) ? '-' : '.';
  const c3 = read(LOCKF_USED_IN_HARDIRQ_READ, LOCKF_ENABLED_HARDIRQS_READ);
  const c4 = read(LOCKF_USED_IN_SOFTIRQ_READ, LOCKF_ENABLED_SOFTIRQS_READ);
  return `${c1}${c2}${c3}${c4}`;
}

/** print_lock_name(): " (%s" [#%d] [/%d] "){%c%c%c%c}". */
function print_lock_name(c: lock_class): string {
  return ` (${__print_lock_name(c)}){${get_usage_chars(c.usage_mask)}}`;
}

/** The function whose call took the lock (acquire_ip), or "unknown" without stacks. */
function acquireSite(h: held_lock): string {
  return title_function(h.acquire_bt);
}

/** print_ip_sym() on x86_64: "[<%016lx>]" and " %s" of print_symbol (addresses not modelled). */
function ip_sym(fn: string): string {
  return `[<ffffffff00000000>] ${fn}+0x0/0x0`;
}

/** print_lock(): the name, ", at: " and print_ip_sym(acquire_ip). */
function print_lock(h: held_lock): string {
  return `${print_lock_name(h.class)}, at: ${ip_sym(acquireSite(h))}`;
}

/** lockdep_print_held_locks(): "%d lock%s held by %s/%d:" and " #%d: " lines. */
export function lockdep_print_held_locks(t: task_struct): string[] {
  const h = (t.ext[HELD] as held_lock[] | undefined) ?? [];
  if (h.length === 0) return [`no locks held by ${t.comm}/${t.pid}.`];
  return [
    `${h.length} lock${h.length > 1 ? 's' : ''} held by ${t.comm}/${t.pid}:`,
    ...h.map((hl, i) => ` #${i}: ${print_lock(hl)}`),
  ];
}

/**
 * __debug_show_held_locks() (v2.6.25:kernel/lockdep.c, used by the hung-task check): the held
 * locks, or "INFO: lockdep is turned off." after a report.
 */
export function debug_show_held_locks(t: task_struct): string[] {
  if (!lockdepState().debug_locks) return ['INFO: lockdep is turned off.'];
  return lockdep_print_held_locks(t);
}

/** print_stack_trace(trace, 6), v2.6.24:kernel/stacktrace.c: spaces + 1 blanks, print_ip_sym. */
function print_stack_trace(bt: Backtrace): string[] {
  return bt.map((f) => `       ${ip_sym(f)}`);
}

/**
 * "stack backtrace:" and dump_stack() (v2.6.24:arch/x86/kernel/traps_64.c: "Pid: %d, comm:
 * %.20s %s %s %.*s", then show_trace()'s "\nCall Trace:\n" and printk_address lines).
 */
function dump_stack(t: task_struct, bt: Backtrace): string[] {
  return [
    '',
    'stack backtrace:',
    `Pid: ${t.pid}, comm: ${t.comm} Not tainted 2.6.24 #1`,
    '',
    'Call Trace:',
    ...bt.map((f) => ` ${ip_sym(f)}`),
  ];
}

/** The banner: "\n", '=' and '-' rules as wide as the bracketed headline, maybe the version. */
function banner(headline: string, version: boolean): string[] {
  const w = headline.length;
  return ['', '='.repeat(w), headline, ...(version ? [KERNEL_IDENT] : []), '-'.repeat(w)];
}

function raiseReport(
  t: task_struct,
  kind: Report['kind'],
  title: string,
  headline: string,
  bt: Backtrace,
  body: string[],
  version: boolean,
): void {
  // debug_locks_off(): one report, then lockdep is off. With panic_on_warn the run stops here.
  const st = lockdepState();
  if (!st.debug_locks) return;
  st.debug_locks = false;
  this_machine().warn({
    kind,
    title,
    headline,
    text: [...banner(headline, version), ...body].join('\n'),
    task: { pid: t.pid, comm: t.comm },
    backtrace: bt,
  });
}

/** The stack of the acquisition being checked, for its "at:" line when stacks are off. */
function withSite(next: held_lock, bt: Backtrace): void {
  if (next.acquire_bt.length === 0) next.acquire_bt = afterLockAcquire(bt);
}

/**
 * print_circular_bug_header/_entry/_tail(), v2.6.24:kernel/lockdep.c: the chain and the held
 * locks (2.6.24 has no "Possible unsafe locking scenario" yet).
 */
function print_circular_bug(
  t: task_struct,
  path: lock_list[],
  next: held_lock,
  prev: held_lock,
  trace: Backtrace,
): void {
  const bt = kernelStack();
  withSite(next, bt);
  const headline = '[ INFO: possible circular locking dependency detected ]';
  const lines = [
    `${t.comm}/${t.pid} is trying to acquire lock:`,
    print_lock(next),
    '',
    'but task is already holding lock:',
    print_lock(prev),
    '',
    'which lock already depends on the new lock.',
    '',
    '',
    'the existing dependency chain (in reverse order) is:',
  ];
  // path[0] is the entry for prev's class; the last is the root, next's class, whose trace is
  // this acquisition's own stack (print_circular_bug_tail saves it).
  for (let depth = path.length - 1, i = 0; i < path.length; i++, depth--) {
    const entry = path[i]!;
    lines.push('', `-> #${depth}${print_lock_name(entry.class)}:`);
    lines.push(...print_stack_trace(i === path.length - 1 ? trace : entry.trace));
  }
  lines.push('', 'other info that might help us debug this:', '');
  lines.push(...lockdep_print_held_locks(t), ...dump_stack(t, bt));
  raiseReport(
    t,
    'lockdep-circular',
    `possible deadlock in ${title_function(bt)}`,
    headline,
    bt,
    lines,
    true,
  );
}

/** print_deadlock_bug(), v2.6.24:kernel/lockdep.c: "possible recursive locking detected". */
function print_deadlock_bug(t: task_struct, prev: held_lock, next: held_lock): void {
  const bt = kernelStack();
  withSite(next, bt);
  const headline = '[ INFO: possible recursive locking detected ]';
  raiseReport(
    t,
    'lockdep-recursive',
    `possible deadlock in ${title_function(bt)}`,
    headline,
    bt,
    [
      `${t.comm}/${t.pid} is trying to acquire lock:`,
      print_lock(next),
      '',
      'but task is already holding lock:',
      print_lock(prev),
      '',
      'other info that might help us debug this:',
      ...lockdep_print_held_locks(t),
      ...dump_stack(t, bt),
    ],
    true,
  );
}

/** print_unlock_inbalance_bug(), v2.6.24:kernel/lockdep.c (no kernel version line). */
function print_unlock_imbalance_bug(t: task_struct, map: lockdep_map): void {
  const bt = kernelStack();
  const fn = title_function(bt);
  const headline = '[ BUG: bad unlock balance detected! ]';
  raiseReport(
    t,
    'lockdep-bad-unlock',
    `WARNING: bad unlock balance in ${fn}`,
    headline,
    bt,
    [
      `${t.comm}/${t.pid} is trying to release lock (${map.name}) at:`,
      ip_sym(fn),
      'but there are no more locks to release!',
      '',
      'other info that might help us debug this:',
      ...lockdep_print_held_locks(t),
      ...dump_stack(t, bt),
    ],
    false,
  );
}

/** print_held_locks_bug() (debug_check_no_locks_held at do_exit), v2.6.24:kernel/lockdep.c. */
function print_held_locks_bug(t: task_struct, h: held_lock[]): void {
  const bt = kernelStack();
  const headline = '[ BUG: lock held at task exit time! ]';
  raiseReport(
    t,
    'lockdep-exit',
    `WARNING: still has locks held in ${acquireSite(h[0]!)}`,
    headline,
    h[0]!.acquire_bt,
    [
      `${t.comm}/${t.pid} is exiting with locks still held!`,
      ...lockdep_print_held_locks(t),
      ...dump_stack(t, bt),
    ],
    false,
  );
}

title_skip(
  'lock_acquire',
  '__lock_acquire',
  'validate_chain',
  'check_deadlock',
  'check_prevs_add',
  'check_prev_add',
  'check_noncircular',
  'print_circular_bug',
  'print_deadlock_bug',
  'lock_release',
  '__lock_release',
  'print_unlock_imbalance_bug',
  'lockdep_sys_exit',
  'debug_check_no_locks_held',
  'print_held_locks_bug',
);
