/**
 * kmalloc/kzalloc/kfree (mm/slab.c) with KASAN-style checking and failslab-style fault
 * injection. An allocation is a plain object built by its initialiser; kfree poisons it by
 * turning every field (and every embedded struct) into an accessor that reports the access,
 * so a use-after-free costs nothing until it happens.
 */
import type { Report } from './report.js';
import { RULE } from './report.js';
import { current, type Kfn, SP_PREEMPT, this_machine } from './sched.js';
import { type Backtrace, capture_backtrace, title_function, title_skip } from './stack.js';

export const GFP_KERNEL = 0xd0;
export const GFP_ATOMIC = 0x20;
export const GFP_NOFS = 0x50;

/** Allocation metadata, kept off the object under a symbol. */
export interface slab_obj {
  readonly addr: bigint;
  readonly type: string;
  readonly size: number;
  readonly seq: number;
  readonly alloc_bt: Backtrace;
  readonly alloc_pid: number;
  freed: boolean;
  free_bt: Backtrace;
  free_pid: number;
  not_leak: boolean;
  /** Embedded structs (sub-objects built by the initialiser): poisoned along with the object. */
  readonly embedded: object[];
}

const META = Symbol('slab_obj');
const SLAB = Symbol('slab');
const BASE_ADDR = 0xffff_8880_0000_0000n;

/** failslab: which allocations fail. */
export interface FailslabConfig {
  /** Fail the Nth allocation from now (1 = the next one), like /proc/self/fail-nth. */
  nth?: number;
  /** Fail allocations made (directly or not) by the function with this kernel name. */
  site?: string;
  /** Fail allocations of this struct type. */
  type?: string;
  /** How many failures to inject (default 1; -1 for no limit). */
  times?: number;
}

interface SlabState {
  seq: number;
  objects: object[];
  fail: FailslabConfig | null;
  counted: number;
  failures: number;
}

function slab(): SlabState {
  return this_machine().slot(SLAB, () => ({
    seq: 0,
    objects: [],
    fail: null,
    counted: 0,
    failures: 0,
  }));
}

/** Configure fault injection for the running machine (null turns it off). */
export function failslab_configure(cfg: FailslabConfig | null): void {
  const s = slab();
  s.fail = cfg;
  s.counted = 0;
  s.failures = 0;
}

function should_failslab(s: SlabState, type: string, bt: Backtrace): boolean {
  const f = s.fail;
  if (f === null) return false;
  const times = f.times ?? 1;
  if (times !== -1 && s.failures >= times) return false;
  s.counted++;
  let hit = true;
  if (f.nth !== undefined && s.counted !== f.nth) hit = false;
  if (f.site !== undefined && !bt.includes(f.site)) hit = false;
  if (f.type !== undefined && f.type !== type) hit = false;
  if (!hit) return false;
  s.failures++;
  return true;
}

/** Metadata of a kmalloc'd object, or undefined for anything else. */
export function slab_meta(obj: object): slab_obj | undefined {
  return (obj as Record<symbol, slab_obj | undefined>)[META];
}

/**
 * kmalloc(): allocate a `type` built by `init`, or null when fault injection fails it.
 * A scheduling point (GFP_KERNEL may sleep).
 */
export function* kmalloc<T extends object>(
  type: string,
  init: () => T,
  _flags: number = GFP_KERNEL,
): Kfn<T | null> {
  yield SP_PREEMPT;
  const s = slab();
  const bt = capture_backtrace();
  if (should_failslab(s, type, bt)) {
    const m = this_machine();
    m.emit(current.pid, 'failslab', type, { site: title_function(bt) });
    const text = [
      'FAULT_INJECTION: forcing a failure.',
      `name failslab, interval 1, probability 0, space 0, times ${s.fail?.times ?? 1}`,
      `CPU: 0 PID: ${current.pid} Comm: ${current.comm}`,
      'Call Trace:',
      ...bt.map((f) => ` ${f}`),
    ];
    for (const line of text)
      m.log.push({ jiffies: m.jiffies, step: m.steps, level: '<7>', text: line });
    return null;
  }
  const obj = init();
  const keys = Object.keys(obj);
  const seq = s.seq++;
  const meta: slab_obj = {
    addr: BASE_ADDR + BigInt(seq) * 0x400n,
    type,
    size: Math.max(8, keys.length * 8),
    seq,
    alloc_bt: bt,
    alloc_pid: current.pid,
    freed: false,
    free_bt: [],
    free_pid: 0,
    not_leak: false,
    embedded: embeddedOf(obj),
  };
  Object.defineProperty(obj, META, { value: meta, enumerable: false });
  s.objects.push(obj);
  const m = this_machine();
  if (m.trace)
    m.emit(current.pid, 'alloc', type, { addr: hex(meta.addr), site: title_function(bt) });
  return obj;
}

/** kzalloc(): kmalloc of a zeroed struct; the initialiser gives the zero values. */
export const kzalloc = kmalloc;

/** Plain sub-objects the initialiser built: they live inside the allocation. */
function embeddedOf(obj: object): object[] {
  const out: object[] = [];
  const walk = (o: object, depth: number): void => {
    for (const v of Object.values(o)) {
      if (v === null || typeof v !== 'object' || slab_meta(v) !== undefined) continue;
      if (out.includes(v)) continue;
      out.push(v);
      if (depth < 3) walk(v, depth + 1);
    }
  };
  walk(obj, 0);
  return out;
}

/** kfree(): free and poison; a second kfree is a double-free report. NULL is ignored. */
export function kfree(obj: object | null): void {
  if (obj === null) return;
  const meta = slab_meta(obj);
  if (meta === undefined) kasan_report_invalid_free(obj);
  else if (meta.freed) kasan_report_double_free(meta);
  else {
    meta.freed = true;
    meta.free_bt = capture_backtrace();
    meta.free_pid = current.pid;
    const m = this_machine();
    if (m.trace)
      m.emit(current.pid, 'free', meta.type, {
        addr: hex(meta.addr),
        site: title_function(meta.free_bt),
      });
    poison(obj, meta, obj);
    for (const e of meta.embedded) poison(e, meta, obj);
  }
}

/** Turn every own field of `target` into an accessor that reports a use-after-free. */
function poison(target: object, meta: slab_obj, owner: object): void {
  const keys = Object.keys(target);
  keys.forEach((key, i) => {
    const offset = owner === target ? i * 8 : 0;
    Object.defineProperty(target, key, {
      configurable: false,
      enumerable: true,
      get: () => kasan_report_uaf(meta, key, offset, 'Read'),
      set: () => kasan_report_uaf(meta, key, offset, 'Write'),
    });
  });
}

function hex(a: bigint): string {
  return a.toString(16);
}

function stackLines(bt: Backtrace): string[] {
  return bt.map((f) => ` ${f}+0x0/0x0`);
}

function kasan_report_uaf(
  meta: slab_obj,
  field: string,
  offset: number,
  access: 'Read' | 'Write',
): never {
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const addr = meta.addr + BigInt(offset);
  const text = [
    RULE,
    `BUG: KASAN: use-after-free in ${fn}+0x0/0x0`,
    `${access} of size 8 at addr ${hex(addr)} by task ${current.comm}/${current.pid}`,
    '',
    'Call Trace:',
    ...stackLines(bt),
    '',
    `Allocated by task ${meta.alloc_pid}:`,
    ...stackLines(meta.alloc_bt),
    '',
    `Freed by task ${meta.free_pid}:`,
    ...stackLines(meta.free_bt),
    '',
    `The buggy address belongs to the object at ${hex(meta.addr)}`,
    ` which belongs to the cache kmalloc-${meta.size} of size ${meta.size}`,
    `The buggy address is located ${offset} bytes inside of`,
    ` ${meta.size}-byte region [${hex(meta.addr)}, ${hex(meta.addr + BigInt(meta.size))})`,
    `(lockstep: field '${field}' of struct ${meta.type})`,
    RULE,
  ];
  return this_machine().raise(
    kasanReport('kasan-use-after-free', `KASAN: use-after-free ${access} in ${fn}`, text, bt),
  );
}

function kasan_report_double_free(meta: slab_obj): never {
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const text = [
    RULE,
    `BUG: KASAN: double-free or invalid-free in ${fn}+0x0/0x0`,
    '',
    'Call Trace:',
    ...stackLines(bt),
    '',
    `Allocated by task ${meta.alloc_pid}:`,
    ...stackLines(meta.alloc_bt),
    '',
    `Freed by task ${meta.free_pid}:`,
    ...stackLines(meta.free_bt),
    '',
    `The buggy address belongs to the object at ${hex(meta.addr)}`,
    ` which belongs to the cache kmalloc-${meta.size} of size ${meta.size}`,
    `(lockstep: struct ${meta.type})`,
    RULE,
  ];
  return this_machine().raise(
    kasanReport('kasan-double-free', `KASAN: double-free or invalid-free in ${fn}`, text, bt),
  );
}

function kasan_report_invalid_free(obj: object): never {
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const text = [
    RULE,
    `BUG: KASAN: double-free or invalid-free in ${fn}+0x0/0x0`,
    '',
    'Call Trace:',
    ...stackLines(bt),
    `(lockstep: kfree of an object kmalloc did not return: ${obj.constructor?.name ?? 'object'})`,
    RULE,
  ];
  return this_machine().raise(
    kasanReport('kasan-double-free', `KASAN: double-free or invalid-free in ${fn}`, text, bt),
  );
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

/** kmemleak_not_leak(): an object that is meant to stay allocated. */
export function kmemleak_not_leak(obj: object): void {
  const meta = slab_meta(obj);
  if (meta) meta.not_leak = true;
}

/** Objects allocated and not yet freed on the running machine, oldest first. */
export function slab_live_objects(): object[] {
  return slab().objects.filter((o) => !slab_meta(o)!.freed);
}

title_skip(
  'kmalloc',
  'kzalloc',
  'kfree',
  'kasan_report_uaf',
  'kasan_report_double_free',
  'kasan_report_invalid_free',
  'poison',
  'get',
  'set',
);
