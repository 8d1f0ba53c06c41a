/**
 * The interleaving for a terminal: the last events of a crashing run, one row per event and
 * one column per task, read top to bottom like a trace. The same lanes as the site's picture.
 * Routine events are left out so the rows go further back: allocations and frees of objects
 * the report does not name, and locks held for at most one scheduling step (unless the
 * report names the lock). The report's own object keeps its kmalloc and kfree however early.
 */
import { type Culprits, culpritsOf, type LanesJson } from '../review/svg.js';

interface Ev {
  at: number;
  order: number;
  pid: number;
  step: number;
  text: string;
  /** Always shown: the report, and the kmalloc and kfree of the object it names. */
  key: boolean;
}

/** Column widths: each task's column fits its longest event, within these bounds. */
const MIN_COL = 16;
const MAX_COL = 34;

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}~`;
}

/** Events of the lanes in time order, each as a short phrase. */
function events(l: LanesJson, c: Culprits): Ev[] {
  const out: Ev[] = [];
  let order = 0;
  const push = (at: number, pid: number, step: number, text: string, key = false) =>
    out.push({ at, order: order++, pid, step, text, key });
  for (const lane of l.lanes) {
    for (const iv of lane.intervals) {
      const r = iv.read ? ' (read)' : '';
      // Running is implied: a task's events are in its column, in the order they ran.
      if (iv.kind === 'run') continue;
      if (iv.kind === 'sleep') push(iv.start, lane.pid, iv.startStep, `sleeps: ${iv.name}`);
      else if (iv.kind === 'wait') push(iv.start, lane.pid, iv.startStep, `waits ${iv.name}${r}`);
      else {
        if (iv.endStep - iv.startStep <= 1 && !iv.open && !c.locks.has(iv.name)) continue;
        push(iv.start, lane.pid, iv.startStep, `lock ${iv.name}${r}`);
        if (!iv.open) push(iv.end, lane.pid, iv.endStep, `unlock ${iv.name}`);
      }
    }
    for (const p of lane.points) {
      const named = c.object !== null && p.args?.addr === c.object;
      switch (p.type) {
        case 'alloc':
          if (named) push(p.at, lane.pid, p.step, `kmalloc ${p.name} (the object)`, true);
          break;
        case 'free':
          if (named) push(p.at, lane.pid, p.step, `kfree ${p.name} (the object)`, true);
          break;
        case 'wakeup':
          push(p.at, lane.pid, p.step, `wake ${p.name}`);
          break;
        case 'signal':
          push(p.at, lane.pid, p.step, `${p.name} -> pid ${p.args?.target ?? '?'}`);
          break;
        case 'report':
          push(p.at, lane.pid, p.step, `*** ${p.name}`, true);
          break;
        case 'warning':
          push(p.at, lane.pid, p.step, `WARNING ${p.name}`);
          break;
        case 'complete':
          push(p.at, lane.pid, p.step, `complete ${p.name}`);
          break;
        case 'task_exit':
          push(p.at, lane.pid, p.step, 'exits');
          break;
      }
    }
  }
  return out.sort((a, b) => a.at - b.at || a.order - b.order);
}

/**
 * The last `count` events up to the report, as text: a header row of task names, then one
 * row per event with its scheduling step. `report` is the report's text (for what it names).
 */
export function textInterleaving(l: LanesJson, report: string | undefined, count = 30): string[] {
  const evs = events(l, culpritsOf(report));
  const reportAt = evs.findIndex((e) => e.text.startsWith('*** '));
  const end = reportAt < 0 ? evs.length : reportAt + 1;
  const from = Math.max(0, end - count);
  const early = evs.slice(0, from).filter((e) => e.key);
  const shown = [...early, ...evs.slice(from, end)];
  const pids = [...new Set(shown.map((e) => e.pid))].sort((a, b) => a - b);
  const names = new Map(l.lanes.map((x) => [x.pid, x.pid === 0 ? 'softirq' : x.comm]));
  const label = (p: number) => `${names.get(p) ?? 'pid'}/${p}`;
  const widths = pids.map((p) => {
    const texts = [label(p), ...shown.filter((e) => e.pid === p).map((e) => e.text)];
    return Math.min(MAX_COL, Math.max(MIN_COL, ...texts.map((t) => t.length + 2)));
  });
  const offset = (pid: number) => widths.slice(0, pids.indexOf(pid)).reduce((a, b) => a + b, 0);
  const width = (pid: number) => widths[pids.indexOf(pid)]!;
  const header = pids.map((p, i) => clip(label(p), widths[i]! - 2).padEnd(widths[i]!));
  const lines = [`${'step'.padStart(6)}  ${header.join('').trimEnd()}`];
  let lastJ = shown[0] ? Math.floor(shown[0].at / 1e6) : 0;
  for (const [i, e] of shown.entries()) {
    if (i === early.length && from > 0)
      lines.push(`${''.padStart(6)}  (${from - early.length} earlier events not shown)`);
    const j = Math.floor(e.at / 1e6);
    if (j !== lastJ) lines.push(`${''.padStart(6)}  ... ${(j / 1000).toFixed(3)} s`);
    lastJ = j;
    const cells = ' '.repeat(offset(e.pid)) + clip(e.text, width(e.pid) - 2);
    lines.push(`${String(e.step).padStart(6)}  ${cells}`);
  }
  return lines;
}
