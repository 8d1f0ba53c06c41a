/**
 * kmemleak (mm/kmemleak.c): at the end of a run that went quiescent without a report, every
 * kmalloc'd object that is still allocated and cannot be reached from the roots is a leak.
 *
 * Roots, the model's stand-ins for kernel data and stacks:
 * - every subsystem's per-machine state (machine.slotValues()): the model's global variables;
 * - the `ext` of every task that has not exited (its task_struct is live kernel data);
 * - objects passed to kmemleak_not_leak();
 * - objects allocated by a task that has not exited: its stack (generator locals) cannot be
 *   scanned, so they are given the benefit of the doubt, and checked once it exits.
 *
 * The scan follows own enumerable data properties, array elements and Map/Set entries (never
 * getters, so freed objects are not touched), and a pointer to an embedded struct keeps its
 * whole allocation alive, as a pointer into the middle of a block does for kmemleak.
 */
import type { Report } from './report.js';
import { HZ, Machine, TASK_DEAD, this_machine, track_opaque } from './sched.js';
import { slab_embedding, slab_live_objects, slab_meta, type slab_obj } from './slab.js';
import { title_function } from './stack.js';

const enabled = new WeakSet<Machine>();

/** At most this many objects are listed in one report (the title names the oldest). */
const MAX_LISTED = 10;

/**
 * Turn on the end-of-run leak check for a machine (default: the running one, so a task can
 * call it too). Calling it again changes nothing.
 */
export function kmemleak_enable(m: Machine = this_machine()): void {
  track_opaque(); // DPOR: effects the core does not record
  if (enabled.has(m)) return;
  enabled.add(m);
  m.endChecks.push(() => kmemleak_check(m));
}

/** kmemleak_not_leak(): an object that is meant to stay allocated; also a scan root. */
export function kmemleak_not_leak(obj: object): void {
  track_opaque(); // DPOR: effects the core does not record
  const meta = slab_meta(obj);
  if (meta !== undefined) meta.not_leak = true;
}

/** kmemleak_scan(): the allocated objects no root reaches, oldest first. */
export function kmemleak_scan(m: Machine): object[] {
  track_opaque(); // DPOR: effects the core does not record
  const live = slab_live_objects(m);
  if (live.length === 0) return [];
  const liveTasks = new Set<number>();
  for (const t of m.tasks) if (t.state !== TASK_DEAD) liveTasks.add(t.pid);
  const candidates = new Set<object>();
  const roots: unknown[] = [];
  for (const o of live) {
    const meta = slab_meta(o)!;
    if (meta.not_leak || liveTasks.has(meta.alloc_pid)) roots.push(o);
    else candidates.add(o);
  }
  if (candidates.size === 0) return [];
  roots.push(...m.slotValues());
  for (const t of m.tasks) if (t.state !== TASK_DEAD) roots.push(t.ext);
  const reached = scanFrom(roots, candidates);
  return [...candidates].filter((o) => !reached.has(o));
}

/** Mark everything reachable from `roots`; stops early once every candidate is reached. */
function scanFrom(roots: unknown[], candidates: Set<object>): Set<object> {
  const reached = new Set<object>();
  const stack = roots.slice();
  let found = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || reached.has(v)) continue;
    reached.add(v);
    if (candidates.has(v) && ++found === candidates.size) break;
    const meta = slab_meta(v);
    if (meta?.freed === true) continue;
    const emb = slab_embedding(v);
    if (emb !== undefined) {
      if (slab_meta(emb.container)!.freed) continue;
      stack.push(emb.container);
    }
    pushReferences(v, stack);
  }
  return reached;
}

function pushReferences(v: object, stack: unknown[]): void {
  if (v instanceof Map) {
    for (const [k, x] of v) stack.push(k, x);
    return;
  }
  if (v instanceof Set) {
    for (const x of v) stack.push(x);
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const d = Object.getOwnPropertyDescriptor(v, i);
      if (d !== undefined && 'value' in d) stack.push(d.value);
    }
    return;
  }
  // The machine itself (a back-pointer somewhere) adds only logs and the slots, already roots.
  if (v instanceof Machine || ArrayBuffer.isView(v)) return;
  for (const key of Object.keys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, key);
    if (d !== undefined && 'value' in d) stack.push(d.value);
  }
}

/** The end-of-run check: report the leaks, like a scan of /sys/kernel/debug/kmemleak. */
function kmemleak_check(m: Machine): void {
  if (m.report !== null) return;
  const leaks = kmemleak_scan(m);
  if (leaks.length === 0) return;
  const metas = leaks.map((o) => slab_meta(o)!);
  const first = metas[0]!;
  const line = `kmemleak: ${leaks.length} new suspected memory leaks (see /sys/kernel/debug/kmemleak)`;
  m.log.push({ jiffies: m.jiffies, step: m.steps, level: '<6>', text: line });
  const text: string[] = [];
  for (const meta of metas.slice(0, MAX_LISTED)) text.push(...unreferenced(meta, m.jiffies));
  if (metas.length > MAX_LISTED)
    text.push(`(lockstep: ${metas.length - MAX_LISTED} more unreferenced objects not listed)`);
  const report: Report = {
    kind: 'leak',
    title: `memory leak in ${title_function(first.alloc_bt)}`,
    headline: text[0]!,
    text: text.join('\n'),
    task: { pid: first.alloc_pid, comm: first.alloc_comm },
    backtrace: first.alloc_bt,
  };
  m.report = report;
  m.emit(first.alloc_pid, 'report', report.title);
}

/** print_unreferenced(): one object, as kmemleak prints it. */
function unreferenced(meta: slab_obj, now: number): string[] {
  const age = Math.floor(((now - meta.alloc_jiffies) * 1000) / HZ);
  return [
    `unreferenced object 0x${meta.addr.toString(16)} (size ${meta.size}):`,
    `  comm "${meta.alloc_comm}", pid ${meta.alloc_pid}, jiffies ${meta.alloc_jiffies} (age ${Math.floor(age / 1000)}.${String(age % 1000).padStart(3, '0')}s)`,
    '  backtrace:',
    ...meta.alloc_bt.map((f) => `    [<ffffffff00000000>] ${f}+0x0/0x0`),
    `  (lockstep: struct ${meta.type})`,
  ];
}
