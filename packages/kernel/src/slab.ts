/**
 * kmalloc/kzalloc/kfree (mm/slab.c) with KASAN-style checking (mm/kasan/report.c) and
 * failslab fault injection (mm/failslab.c, lib/fault-inject.c).
 *
 * An allocation is a plain object built by its initialiser. kfree poisons it by turning every
 * field (and every field of its embedded structs) into an accessor that reports the access, so
 * a use-after-free costs nothing until it happens.
 *
 * Embedded structs: C embeds a struct by value or points to it; JavaScript only has pointers.
 * A value the initialiser puts in a field counts as embedded when it is a plain object, an
 * array, or an instance of a class registered with slab_embeddable() (list_head, kref,
 * atomic_t), and is neither kmalloc'd itself, nor frozen (const data), nor already embedded
 * elsewhere. Anything else (a task_struct, a model class instance) is a pointer and is left
 * alone by kfree. Fields assigned after kmalloc are always pointers.
 */

import { atomic_t, kref } from './atomic.js';
import { resolve_member, spin_lock_first_touch, struct_layout_of } from './layout.js';
import { lockdep_debug_locks } from './lockdep.js';
import { KERN_NOTICE, KERN_WARNING, printk } from './printk.js';
import { LockstepUsageError, type Report, RULE } from './report.js';
import {
  current,
  type Kfn,
  type Machine,
  SP_PREEMPT,
  this_machine,
  track_opaque,
} from './sched.js';
import { type Backtrace, capture_backtrace, title_function, title_skip } from './stack.js';

export const GFP_KERNEL = 0xd0;
export const GFP_ATOMIC = 0x20;
export const GFP_NOFS = 0x50;

/** Allocation metadata, kept off the object under a symbol. */
export interface slab_obj {
  readonly addr: bigint;
  readonly type: string;
  /**
   * Size of the struct: from its x86_64 layout (layout.ts) when one is registered under its
   * type name (times the length for a kcalloc'd array), else 8 bytes a model field.
   */
  readonly size: number;
  readonly seq: number;
  readonly alloc_bt: Backtrace;
  readonly alloc_pid: number;
  readonly alloc_comm: string;
  readonly alloc_jiffies: number;
  freed: boolean;
  free_bt: Backtrace;
  free_pid: number;
  free_comm: string;
  /** kmemleak_not_leak() was called for it. */
  not_leak: boolean;
  /** Embedded structs (see the file comment): poisoned along with the object. */
  readonly embedded: object[];
}

/** Where an embedded struct lives: its allocation, the member path and the byte offset. */
export interface embedding {
  readonly container: object;
  readonly member: string;
  readonly offset: number;
}

const META = Symbol('slab_obj');
const BASE_ADDR = 0xffff_8880_0000_0000n;
/** Statically allocated kernel data (a LIST_HEAD at file scope, ...). */
const STATIC_BASE = 0xffff_ffff_8a00_0000n;
/** The kmalloc caches (mm/slab_common.c kmalloc_info), by object size. */
const KMALLOC_SIZES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];

/** failslab: which allocations fail. All given filters must match. */
export interface FailslabConfig {
  /**
   * Fail the Nth matching allocation from now (1 = the next one), like /proc/self/fail-nth;
   * with times > 1 the following matching allocations fail too. Default 1.
   */
  nth?: number;
  /** Only allocations made (directly or not) by the function with this kernel name. */
  site?: string;
  /** Only allocations of this struct type. */
  type?: string;
  /** How many failures to inject (default 1; -1 for no limit). */
  times?: number;
}

interface SlabState {
  seq: number;
  nextAddr: bigint;
  /** Allocated and not yet freed, in allocation order. */
  live: Set<object>;
  fail: FailslabConfig | null;
  matched: number;
  failures: number;
  statics: WeakMap<object, bigint>;
  nextStatic: bigint;
}

/**
 * Slab state lives beside the machine rather than in a slot: its registry of every allocation
 * must not count as a reference when kmemleak scans the slots.
 */
const states = new WeakMap<Machine, SlabState>();
const EMBEDDED = new WeakMap<object, embedding>();
const embeddable = new Map<abstract new (...a: never[]) => object, boolean>();

function slab(m: Machine = this_machine()): SlabState {
  let s = states.get(m);
  if (s === undefined) {
    s = {
      seq: 0,
      nextAddr: BASE_ADDR,
      live: new Set(),
      fail: null,
      matched: 0,
      failures: 0,
      statics: new WeakMap(),
      nextStatic: STATIC_BASE,
    };
    states.set(m, s);
  }
  return s;
}

/**
 * Register struct classes that a kmalloc'd struct embeds by value when its initialiser puts
 * a fresh instance in a field. `leaf`: the instance's own fields are pointers or scalars, so
 * nothing inside it is embedded in turn (list_head: next/prev point elsewhere).
 */
export function slab_embeddable(ctor: abstract new (...a: never[]) => object, leaf = false): void {
  track_opaque(); // DPOR: effects the core does not record
  embeddable.set(ctor, leaf);
}

const FAILSLAB_KEYS = new Set(['nth', 'site', 'type', 'times']);

/**
 * Configure fault injection (null turns it off). From setup code pass the machine; inside a
 * task it defaults to the running one. Bad input throws LockstepUsageError and changes nothing.
 */
export function failslab_configure(cfg: FailslabConfig | null, m?: Machine): void {
  track_opaque(); // DPOR: effects the core does not record
  if (cfg !== null) checkFailslab(cfg);
  const s = slab(m);
  s.fail = cfg === null ? null : { ...cfg };
  s.matched = 0;
  s.failures = 0;
}

function checkFailslab(cfg: FailslabConfig): void {
  const bad = (msg: string): never => {
    throw new LockstepUsageError(`failslab_configure: ${msg}`);
  };
  if (typeof cfg !== 'object') bad('expected an object or null');
  for (const k of Object.keys(cfg)) if (!FAILSLAB_KEYS.has(k)) bad(`unknown option '${k}'`);
  const { nth, times, site, type } = cfg;
  if (nth !== undefined && (!Number.isSafeInteger(nth) || nth < 1))
    bad(`nth must be a positive integer, got ${String(nth)}`);
  if (times !== undefined && (!Number.isSafeInteger(times) || (times < 1 && times !== -1)))
    bad(`times must be a positive integer or -1, got ${String(times)}`);
  for (const [name, v] of [
    ['site', site],
    ['type', type],
  ] as const)
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      bad(`${name} must be a non-empty string`);
}

/** should_failslab(): does this allocation fail? Counts only allocations the filters match. */
function should_failslab(s: SlabState, f: FailslabConfig, type: string, bt: Backtrace): boolean {
  const times = f.times ?? 1;
  if (times !== -1 && s.failures >= times) return false;
  if (f.type !== undefined && f.type !== type) return false;
  if (f.site !== undefined && !bt.includes(f.site)) return false;
  if (++s.matched < (f.nth ?? 1)) return false;
  // fail_dump() prints the remaining count before it is decremented.
  const left = times === -1 ? -1 : times - s.failures;
  s.failures++;
  fail_dump(f, type, bt, left);
  return true;
}

/**
 * fail_dump() with verbose=2, v2.6.24:lib/fault-inject.c: "FAULT_INJECTION: forcing a
 * failure" at KERN_NOTICE, then dump_stack() at the default level. (The attribute line and
 * the period came later.)
 */
function fail_dump(_f: FailslabConfig, type: string, bt: Backtrace, _left: number): void {
  const m = this_machine();
  m.emit(current.pid, 'failslab', type, { site: title_function(bt) });
  printk(`${KERN_NOTICE}FAULT_INJECTION: forcing a failure\n`);
  for (const line of [...dumpStack(), ...stackLines(bt)]) printk(`${KERN_WARNING}${line}\n`);
}

/** Metadata of a kmalloc'd object, or undefined for anything else. */
export function slab_meta(obj: object): slab_obj | undefined {
  track_opaque(); // DPOR: effects the core does not record
  return (obj as Record<symbol, slab_obj | undefined>)[META];
}

/** The allocation a struct is embedded in, or undefined if it is not an embedded struct. */
export function slab_embedding(obj: object): embedding | undefined {
  track_opaque(); // DPOR: effects the core does not record
  return EMBEDDED.get(obj);
}

const NO_BACKTRACE: Backtrace = Object.freeze([]) as unknown as Backtrace;

/**
 * kmalloc(): allocate a `type` built by `init`, or null when fault injection fails it.
 * A scheduling point (GFP_KERNEL may sleep). See the file comment for embedded structs.
 */
export function* kmalloc<T extends object>(
  type: string,
  init: () => T,
  _flags: number = GFP_KERNEL,
): Kfn<T | null> {
  track_opaque(); // DPOR: effects the core does not record
  yield SP_PREEMPT;
  const m = this_machine();
  const s = slab(m);
  // Backtraces cost more than the rest of a run: only reports (stacks on) and failslab's
  // caller filter read this one.
  const bt = m.stacks || s.fail !== null ? capture_backtrace() : NO_BACKTRACE;
  if (s.fail !== null && should_failslab(s, s.fail, type, bt)) return null;
  const obj = init();
  if (obj === null || typeof obj !== 'object' || Object.isFrozen(obj))
    throw new LockstepUsageError(`kmalloc(${type}): the initialiser must return a new object`);
  if (slab_meta(obj) !== undefined || EMBEDDED.has(obj))
    throw new LockstepUsageError(`kmalloc(${type}): the initialiser returned an existing struct`);
  const embedded: object[] = [];
  const modelSize = Math.max(8, claimEmbedded(obj, obj, '', 0, embedded));
  const layout = struct_layout_of(type);
  const size =
    layout === undefined
      ? modelSize
      : layout.size * (Array.isArray(obj) ? Math.max(1, obj.length) : 1);
  const seq = s.seq++;
  const addr = s.nextAddr;
  s.nextAddr += BigInt(Math.max(cacheSize(size), 64));
  const meta: slab_obj = {
    addr,
    type,
    size,
    seq,
    alloc_bt: bt,
    alloc_pid: current.pid,
    alloc_comm: current.comm,
    alloc_jiffies: m.jiffies,
    freed: false,
    free_bt: [],
    free_pid: 0,
    free_comm: '',
    not_leak: false,
    embedded,
  };
  Object.defineProperty(obj, META, { value: meta, enumerable: false });
  s.live.add(obj);
  if (m.trace) m.emit(current.pid, 'alloc', type, { addr: hex(addr), site: title_function(bt) });
  return obj;
}

/** kzalloc(): kmalloc of a zeroed struct; the initialiser gives the zero values. */
export const kzalloc = kmalloc;

function isEmbeddable(v: unknown): v is object {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return false;
  if (slab_meta(v) !== undefined || EMBEDDED.has(v)) return false;
  const proto = Object.getPrototypeOf(v) as { constructor?: unknown } | null;
  if (proto === null || proto === Object.prototype || Array.isArray(v)) return true;
  return embeddable.has(proto.constructor as abstract new () => object);
}

/** Find and register the structs embedded in `o`; returns the size of `o` in bytes. */
function claimEmbedded(
  alloc: object,
  o: object,
  path: string,
  base: number,
  out: object[],
): number {
  let off = base;
  for (const key of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[key];
    if (!isEmbeddable(v)) {
      off += 8;
      continue;
    }
    const member = path === '' ? key : `${path}.${key}`;
    EMBEDDED.set(v, { container: alloc, member, offset: off });
    out.push(v);
    const proto = Object.getPrototypeOf(v) as { constructor?: unknown } | null;
    const leaf = embeddable.get(proto?.constructor as abstract new () => object) === true;
    const sz = leaf ? Object.keys(v).length * 8 : claimEmbedded(alloc, v, member, off, out) - off;
    off += Math.max(8, sz);
  }
  return off;
}

function cacheSize(size: number): number {
  for (const c of KMALLOC_SIZES) if (c >= size) return c;
  return 2 ** Math.ceil(Math.log2(size));
}

/** kfree(): free and poison; a second kfree is a double-free report. NULL is ignored. */
export function kfree(obj: object | null): void {
  track_opaque(); // DPOR: effects the core does not record
  if (obj === null) return;
  const meta = slab_meta(obj);
  if (meta === undefined) kasan_report_invalid_free(obj);
  else if (meta.freed) kasan_report_invalid_free(obj, meta);
  else {
    meta.freed = true;
    const m = this_machine();
    meta.free_bt = m.stacks ? capture_backtrace() : NO_BACKTRACE;
    meta.free_pid = current.pid;
    meta.free_comm = current.comm;
    slab(m).live.delete(obj);
    if (m.trace)
      m.emit(current.pid, 'free', meta.type, {
        addr: hex(meta.addr),
        site: title_function(meta.free_bt),
      });
    poisonStruct(obj, obj, meta, '', 0);
  }
}

/**
 * Turn every own field of `target` into an accessor that reports a use-after-free. A field
 * holding an embedded struct still yields it on read: `&obj->member` computes an address and
 * touches no memory; the access that follows (its fields are poisoned too) is the one reported.
 */
function poisonStruct(alloc: object, target: object, meta: slab_obj, path: string, base: number) {
  let off = base;
  for (const key of Object.keys(target)) {
    const desc = Object.getOwnPropertyDescriptor(target, key);
    if (desc === undefined || !desc.configurable) {
      off += 8;
      continue;
    }
    const v: unknown = desc.value;
    const member = path === '' ? key : `${path}.${key}`;
    const offset = off;
    const emb = v !== null && typeof v === 'object' ? EMBEDDED.get(v) : undefined;
    let onRead: () => unknown;
    if (emb !== undefined && emb.container === alloc && emb.member === member) {
      const sub = v as object;
      onRead = () => sub;
      off += Math.max(8, poisonStruct(alloc, sub, meta, member, off) - off);
    } else {
      onRead = () => kasan_report(meta, member, offset, 'Read');
      off += 8;
    }
    const onWrite = (_v: unknown): void => {
      kasan_report(meta, member, offset, 'Write');
    };
    Object.defineProperty(target, key, {
      configurable: false,
      enumerable: true,
      get: onRead,
      set: onWrite,
    });
  }
  return off;
}

/**
 * The simulated address of a struct: its slab address, its container's plus its offset when
 * it is embedded, or a static-data address handed out on first use (per machine, in order).
 */
export function obj_addr(obj: object, m?: Machine): bigint {
  track_opaque(); // DPOR: effects the core does not record
  const meta = slab_meta(obj);
  if (meta !== undefined) return meta.addr;
  const emb = EMBEDDED.get(obj);
  if (emb !== undefined) return slab_meta(emb.container)!.addr + BigInt(emb.offset);
  const s = slab(m);
  let a = s.statics.get(obj);
  if (a === undefined) {
    a = s.nextStatic;
    s.nextStatic += 0x40n;
    s.statics.set(obj, a);
  }
  return a;
}

/**
 * container_of(ptr, type, member): the kmalloc'd struct `type` that embeds `ptr` as `member`
 * (include/linux/kernel.h). Pointer arithmetic: it works on a freed struct and reads nothing.
 * A mismatch is a modelling mistake (C would compute garbage), so it is a usage error.
 */
export function container_of<T extends object>(ptr: object, type: string, member: string): T {
  track_opaque(); // DPOR: effects the core does not record
  const emb = EMBEDDED.get(ptr);
  const c = emb === undefined ? undefined : slab_meta(emb.container);
  if (emb === undefined || c === undefined || c.type !== type || emb.member !== member) {
    const what =
      emb === undefined
        ? "is not embedded in a kmalloc'd struct"
        : `is member '${emb.member}' of a struct ${c?.type ?? '?'}`;
    throw new LockstepUsageError(`container_of(ptr, ${type}, ${member}): the pointer ${what}`);
  }
  return emb.container as T;
}

function hex(a: bigint): string {
  return a.toString(16).padStart(16, '0');
}

/** show_trace()'s printk_address lines, v2.6.24:arch/x86/kernel/traps_64.c. */
function stackLines(bt: Backtrace): string[] {
  return bt.map((f) => ` [<ffffffff00000000>] ${f}+0x0/0x0`);
}

/**
 * dump_stack()'s header as 2.6.24 x86_64 prints it (v2.6.24:arch/x86/kernel/traps_64.c:
 * "Pid: %d, comm: %.20s %s %s %.*s", then show_trace()'s "\nCall Trace:\n").
 */
function dumpStack(): string[] {
  return [`Pid: ${current.pid}, comm: ${current.comm} Not tainted 2.6.24 #1`, '', 'Call Trace:'];
}

/**
 * The bytes a bad access touches: the C field's offset and size from the struct's layout. A
 * spinlock_t member is read by the lock function it is handed to, at the field lock_member()
 * names; a model field with no C counterpart falls back to the model's 8-byte slots.
 */
function c_access(
  meta: slab_obj,
  member: string,
  modelOffset: number,
): { offset: number; size: number; note: string } {
  const layout = struct_layout_of(meta.type);
  if (layout === undefined)
    return { offset: modelOffset, size: 8, note: `no layout for struct ${meta.type}` };
  // A kcalloc'd array's members start with the element index ("0.sp_lock").
  const path = member.split('.');
  let { loc, rest } = resolve_member(layout, path);
  if (loc !== undefined && rest.length === 0 && loc.ctype === 'spinlock_t') {
    const touch = spin_lock_first_touch(lockdep_debug_locks());
    ({ loc, rest } = resolve_member(layout, [...path, ...touch]));
  }
  if (loc === undefined || rest.length > 0)
    return {
      offset: modelOffset,
      size: 8,
      note: `struct ${layout.name} has no C field ${member}: the model's own offset`,
    };
  return { offset: loc.offset, size: loc.size, note: `${loc.ctype} at offset ${loc.offset}` };
}

/** The running machine, or a usage error when a freed object is touched outside a run. */
function reportingMachine(what: string): Machine {
  try {
    return this_machine();
  } catch {
    throw new LockstepUsageError(`${what} outside a running machine`);
  }
}

/** kasan_report(): a bad access to freed memory, reported at the access. */
function kasan_report(
  meta: slab_obj,
  member: string,
  offset: number,
  access: 'Read' | 'Write',
): never {
  const m = reportingMachine(
    `use-after-free: ${access.toLowerCase()} of ${meta.type}.${member} (freed)`,
  );
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const at = c_access(meta, member, offset);
  const addr = meta.addr + BigInt(at.offset);
  const cache = cacheSize(meta.size);
  const text = [
    RULE,
    `BUG: KASAN: use-after-free in ${fn}+0x0/0x0`,
    `${access} of size ${at.size} at addr ${hex(addr)} by task ${current.comm}/${current.pid}`,
    '',
    ...dumpStack(),
    ...stackLines(bt),
    '',
    ...allocFreeLines(meta),
    `The buggy address belongs to the object at ${hex(meta.addr)}`,
    ` which belongs to the cache kmalloc-${cache} of size ${cache}`,
    `The buggy address is located ${at.offset} bytes inside of`,
    ` ${cache}-byte region [${hex(meta.addr)}, ${hex(meta.addr + BigInt(cache))})`,
    `(lockstep: ${access.toLowerCase()} of ${meta.type}.${member}, ${at.note}; ${whoLine(meta)})`,
    '(lockstep: KASAN arrived in Linux 4.0; the model runs it on 2.6.24 as a later tool, in its own words)',
    RULE,
  ];
  return m.raise(
    kasanReport('kasan-use-after-free', `KASAN: use-after-free ${access} in ${fn}`, text, bt),
  );
}

/** kasan_report_invalid_free(): kfree of a freed object, or of something kmalloc never gave. */
function kasan_report_invalid_free(obj: object, freed?: slab_obj): never {
  const m = reportingMachine('kfree of a freed or foreign object');
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const emb = EMBEDDED.get(obj);
  const owner = emb === undefined ? undefined : slab_meta(emb.container);
  let why: string;
  if (freed !== undefined) why = `kfree of ${freed.type} which is already freed; ${whoLine(freed)}`;
  else if (emb !== undefined && owner !== undefined)
    why = `kfree of a pointer ${emb.offset} bytes inside struct ${owner.type} (member '${emb.member}')`;
  else why = `kfree of an object kmalloc did not return (${obj.constructor?.name ?? 'object'})`;
  const meta = freed ?? owner;
  const text = [
    RULE,
    `BUG: KASAN: double-free or invalid-free in ${fn}+0x0/0x0`,
    '',
    ...dumpStack(),
    ...stackLines(bt),
    '',
    ...(meta === undefined
      ? []
      : [
          ...allocFreeLines(meta),
          `The buggy address belongs to the object at ${hex(meta.addr)}`,
          ` which belongs to the cache kmalloc-${cacheSize(meta.size)} of size ${cacheSize(meta.size)}`,
        ]),
    `(lockstep: ${why})`,
    RULE,
  ];
  return m.raise(
    kasanReport('kasan-double-free', `KASAN: double-free or invalid-free in ${fn}`, text, bt),
  );
}

function allocFreeLines(meta: slab_obj): string[] {
  const out = [`Allocated by task ${meta.alloc_pid}:`, ...stackLines(meta.alloc_bt), ''];
  if (meta.freed) out.push(`Freed by task ${meta.free_pid}:`, ...stackLines(meta.free_bt), '');
  return out;
}

function whoLine(meta: slab_obj): string {
  const alloc = `allocated by ${meta.alloc_comm}/${meta.alloc_pid} in ${title_function(meta.alloc_bt)}`;
  if (!meta.freed) return alloc;
  return `${alloc}, freed by ${meta.free_comm}/${meta.free_pid} in ${title_function(meta.free_bt)}`;
}

function kasanReport(kind: Report['kind'], title: string, text: string[], bt: Backtrace): Report {
  return {
    kind,
    title,
    headline: text[1]!,
    text: text.join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  };
}

/** Objects allocated and not yet freed on a machine (default: the running one), oldest first. */
export function slab_live_objects(m?: Machine): object[] {
  track_opaque(); // DPOR: effects the core does not record
  return [...slab(m).live];
}

slab_embeddable(kref);
slab_embeddable(atomic_t, true);

title_skip('kmalloc', 'kzalloc', 'kfree', 'kasan_report', 'kasan_report_invalid_free');
