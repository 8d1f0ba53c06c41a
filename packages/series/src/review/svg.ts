/**
 * The interleaving picture of a crash: one lane per task over virtual time, drawn as static
 * SVG from the lanes the kernel's trace_lanes() wrote (lockstep-repro --trace-dir). Running
 * and sleeping, lock holds (stacked when nested) and lock waits, allocations and frees,
 * wake-ups as arrows from waker to woken, and the report marked across every lane.
 *
 * The x axis is the order of events: every distinct event time gets the same width, and
 * where virtual time jumps (a timer, a timeout) a gap marked with the jump is left, so the
 * picture shows who ran when without seconds of empty space. A very long run keeps its first
 * quarter and last three quarters of MAX_SLOTS and marks what it left out.
 */
import { escapeHtml } from './highlight.js';

/** The JSON of trace_lanes() (kernel trace.ts), as written by lockstep-repro. */
export interface LanesJson {
  lanes: Array<{
    pid: number;
    comm: string;
    intervals: Array<{
      kind: 'run' | 'hold' | 'wait' | 'sleep';
      name: string;
      start: number;
      end: number;
      startStep: number;
      endStep: number;
      open: boolean;
      read?: boolean;
    }>;
    points: Array<{
      at: number;
      step: number;
      jiffies: number;
      type: string;
      name: string;
      args?: Record<string, string | number>;
    }>;
  }>;
  flows: Array<{ from: number; to: number; at: number; step: number; arrive: number }>;
  start: number;
  end: number;
  elided?: { events: number; fromJiffies: number; toJiffies: number };
}

/** Most event times drawn; beyond it the middle is left out (see the module comment). */
export const MAX_SLOTS = 720;

const NS_PER_JIFFY = 1_000_000;
const LABEL_W = 150;
const SLOT = 5;
const GAP = 22;
const ROW = 36;
const TOP = 54;
const CHAR_W = 6.2;
const LOCK_COLOURS = ['#3b6fd4', '#8e44ad', '#16a085', '#c0392b', '#d35400', '#2c3e50', '#7f8c8d'];

function lockColour(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return LOCK_COLOURS[h % LOCK_COLOURS.length]!;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function seconds(j: number): string {
  return `${(j / 1000).toFixed(3)} s`;
}

function span(jiffies: number): string {
  if (jiffies >= 1000) return `+${fmt(jiffies / 1000)} s`;
  return `+${jiffies} ms`;
}

/** What a report says about the object and the locks it is about. */
export interface Culprits {
  /** KASAN: the address of the object the bad access touched. */
  object: string | null;
  /** lockdep and hung-task reports: the locks named in parentheses. */
  locks: Set<string>;
}

export function culpritsOf(report: string | undefined): Culprits {
  const text = report ?? '';
  const object = /belongs to the object at ([0-9a-f]+)/.exec(text)?.[1] ?? null;
  const locks = new Set<string>();
  for (const m of text.matchAll(/\(([^()\s]+)\)\{/g)) locks.add(m[1]!);
  return { object, locks };
}

interface Axis {
  x: (t: number) => number | null;
  width: number;
  marks: Array<{ x: number; label: string; kind: 'time' | 'cut' }>;
  ticks: Array<{ x: number; label: string }>;
}

/** Place every event time on the x axis (see the module comment). */
function layoutAxis(l: LanesJson): Axis {
  const set = new Set<number>();
  for (const lane of l.lanes) {
    for (const iv of lane.intervals) set.add(iv.start).add(iv.end);
    for (const p of lane.points) set.add(p.at);
  }
  for (const f of l.flows) set.add(f.at).add(f.arrive);
  const times = [...set].sort((a, b) => a - b);
  const n = times.length;
  let cutFrom = n;
  let cutTo = n;
  if (n > MAX_SLOTS) {
    cutFrom = Math.floor(MAX_SLOTS / 4);
    cutTo = n - (MAX_SLOTS - cutFrom);
  }
  const pos = new Float64Array(n);
  const marks: Axis['marks'] = [];
  const ticks: Axis['ticks'] = [];
  const elidedAt =
    l.elided === undefined
      ? -1
      : times.findIndex((t) => Math.floor(t / NS_PER_JIFFY) >= l.elided!.toJiffies);
  let x = LABEL_W + 10;
  let cutX = 0;
  for (let i = 0; i < n; i++) {
    if (i >= cutFrom && i < cutTo) {
      if (i === cutFrom) {
        x += GAP;
        cutX = x;
        marks.push({
          x,
          label: `${cutTo - cutFrom} event times not drawn`,
          kind: 'cut',
        });
        x += GAP;
      }
      pos[i] = cutX;
      continue;
    }
    const j = Math.floor(times[i]! / NS_PER_JIFFY);
    const prev = i > 0 ? Math.floor(times[i - 1]! / NS_PER_JIFFY) : j;
    if (i === elidedAt) {
      x += GAP;
      marks.push({ x, label: `${l.elided!.events} trace events left out`, kind: 'cut' });
      x += GAP;
      ticks.push({ x, label: seconds(j) });
    } else if (i > 0 && j !== prev && i !== cutTo) {
      x += GAP / 2;
      marks.push({ x, label: span(j - prev), kind: 'time' });
      x += GAP / 2;
      ticks.push({ x, label: seconds(j) });
    } else if (i === 0 || i === cutTo) ticks.push({ x, label: seconds(j) });
    pos[i] = x;
    x += SLOT;
  }
  const index = new Map(times.map((t, i) => [t, i]));
  return {
    x: (t) => {
      const i = index.get(t);
      if (i === undefined) return null;
      return i >= cutFrom && i < cutTo ? null : pos[i]!;
    },
    width: x + 60,
    marks,
    ticks,
  };
}

/** Tick labels far enough apart to be read; the others are left out. */
function spaced<T extends { x: number }>(items: readonly T[], room: number): T[] {
  const out: T[] = [];
  for (const it of items) if (out.length === 0 || it.x - out.at(-1)!.x >= room) out.push(it);
  return out;
}

/** Every mark keeps its line; a time label too close to the one before is left out. */
function withRoom(marks: Axis['marks'], room: number): Axis['marks'] {
  let last = Number.NEGATIVE_INFINITY;
  return marks.map((m) => {
    if (m.kind === 'cut' || m.x - last >= room) {
      last = m.x;
      return m;
    }
    return { ...m, label: '' };
  });
}

function title(text: string): string {
  return `<title>${escapeHtml(text)}</title>`;
}

function steps(a: number, b: number): string {
  return a === b ? `step ${a}` : `steps ${a}-${b}`;
}

/**
 * The interleaving as an SVG element. `report` is the crash's report text (to mark the object
 * or the locks it names); `label` names the picture for screen readers.
 */
export function interleavingSvg(
  l: LanesJson,
  report: string | undefined,
  label: string,
): { names: string; body: string } {
  const axis = layoutAxis(l);
  const culprits = culpritsOf(report);
  const lanes = l.lanes.filter((lane) => lane.intervals.length > 0 || lane.points.length > 0);
  const height = TOP + lanes.length * ROW + 14;
  const out: string[] = [];
  const rowOf = new Map(lanes.map((lane, i) => [lane.pid, TOP + i * ROW]));
  const laneName = (lane: LanesJson['lanes'][number]) =>
    escapeHtml(`${lane.pid === 0 ? 'softirq' : lane.comm}/${lane.pid}`);
  // The lane names again, for a column that stays put while the picture scrolls.
  const names = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="lane-names" aria-hidden="true" width="${LABEL_W}" height="${height}" viewBox="0 0 ${LABEL_W} ${height}">`,
    ...lanes.map((lane, i) => {
      const y = TOP + i * ROW;
      const stripe =
        i % 2 === 1
          ? `<rect class="stripe" x="0" y="${y}" width="${LABEL_W}" height="${ROW}"/>`
          : '';
      return `${stripe}<text class="lane-label" x="8" y="${y + 21}">${laneName(lane)}</text>`;
    }),
    '</svg>',
  ].join('\n');

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="lanes" role="img" aria-label="${escapeHtml(label)}" width="${fmt(axis.width)}" height="${height}" viewBox="0 0 ${fmt(axis.width)} ${height}">`,
    '<defs><marker id="arrow" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L6,3 L0,6 z" class="flow-head"/></marker>',
    '<pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" class="wait-bg"/><line x1="0" y1="0" x2="0" y2="4" class="wait-line"/></pattern></defs>',
  );
  lanes.forEach((lane, i) => {
    const y = TOP + i * ROW;
    if (i % 2 === 1)
      out.push(`<rect class="stripe" x="0" y="${y}" width="${fmt(axis.width)}" height="${ROW}"/>`);
    out.push(`<text class="lane-label" x="8" y="${y + 21}">${laneName(lane)}</text>`);
  });
  for (const t of spaced(axis.ticks, 64))
    out.push(`<text class="tick" x="${fmt(t.x)}" y="${TOP - 26}">${escapeHtml(t.label)}</text>`);
  for (const m of withRoom(axis.marks, 40)) {
    const cls = m.kind === 'cut' ? 'cut' : 'gap';
    out.push(
      `<g class="${cls}"><line x1="${fmt(m.x)}" y1="${TOP - 8}" x2="${fmt(m.x)}" y2="${height - 6}"/>` +
        (m.label === ''
          ? '</g>'
          : `<text x="${fmt(m.x)}" y="${TOP - 13}" text-anchor="middle">${escapeHtml(m.label)}</text></g>`),
    );
  }

  const reports: string[] = [];
  lanes.forEach((lane, i) => {
    const y = TOP + i * ROW;
    const holds: number[] = []; // ends of the holds open at each depth
    for (const iv of lane.intervals) {
      const x1 = axis.x(iv.start);
      const x2 = axis.x(iv.end);
      if (x1 === null && x2 === null) continue;
      const a = x1 ?? x2!;
      const b = Math.max(x2 ?? x1!, a + 2);
      const w = fmt(b - a);
      const when = steps(iv.startStep, iv.endStep) + (iv.open ? ', still open at the end' : '');
      if (iv.kind === 'run') {
        out.push(
          `<rect class="run" x="${fmt(a)}" y="${y + 15}" width="${w}" height="8">${title(`${lane.comm} running, ${when}`)}</rect>`,
        );
      } else if (iv.kind === 'sleep') {
        out.push(
          `<line class="sleep" x1="${fmt(a)}" y1="${y + 19}" x2="${fmt(b)}" y2="${y + 19}">${title(`${lane.comm} sleeping in ${iv.name}, ${when}`)}</line>`,
        );
        if (b - a > iv.name.length * CHAR_W + 8)
          out.push(
            `<text class="sleep-label" x="${fmt(a + 3)}" y="${y + 31}">${escapeHtml(iv.name)}</text>`,
          );
      } else if (iv.kind === 'hold') {
        let depth = holds.findIndex((end) => end <= iv.start);
        if (depth === -1) depth = holds.length;
        holds[depth] = iv.end;
        const hot = culprits.locks.has(iv.name) ? ' culprit' : '';
        out.push(
          `<rect class="hold${hot}" x="${fmt(a)}" y="${y + 3 + Math.min(depth, 2) * 4}" width="${w}" height="3" fill="${lockColour(iv.name)}">${title(`${lane.comm} holds ${iv.name}${iv.read ? ' (read)' : ''}, ${when}`)}</rect>`,
        );
      } else {
        const hot = culprits.locks.has(iv.name) ? ' culprit' : '';
        out.push(
          `<rect class="wait${hot}" x="${fmt(a)}" y="${y + 25}" width="${w}" height="5">${title(`${lane.comm} waits for ${iv.name}${iv.read ? ' (read)' : ''}, ${when}`)}</rect>`,
        );
        if (b - a > (iv.name.length + 5) * CHAR_W)
          out.push(
            `<text class="wait-label" x="${fmt(a + 2)}" y="${y + 35}">wait ${escapeHtml(iv.name)}</text>`,
          );
      }
    }
    for (const p of lane.points) {
      const x = axis.x(p.at);
      if (x === null) continue;
      const where = `step ${p.step}, ${seconds(p.jiffies)}`;
      const addr = typeof p.args?.addr === 'string' ? p.args.addr : null;
      const site = p.args?.site !== undefined ? ` in ${p.args.site}` : '';
      const hot = addr !== null && addr === culprits.object;
      const cy = y + 19;
      const my = y + 28; // allocations and frees sit under the run bar
      switch (p.type) {
        case 'alloc':
        case 'free': {
          const verb = p.type === 'alloc' ? 'kmalloc' : 'kfree';
          const r = hot ? 6 : 3.5;
          const d =
            p.type === 'alloc'
              ? `M${fmt(x - r)},${fmt(my + r)} L${fmt(x + r)},${fmt(my + r)} L${fmt(x)},${fmt(my - r)} z`
              : `M${fmt(x - r)},${fmt(my - r)} L${fmt(x + r)},${fmt(my - r)} L${fmt(x)},${fmt(my + r)} z`;
          out.push(
            `<path class="${p.type}${hot ? ' culprit' : ''}" d="${d}">${title(`${verb} ${p.name}${addr ? ` ${addr}` : ''}${site}, ${where}`)}</path>`,
          );
          if (hot)
            out.push(
              // A free's label goes left of it (what follows is the bad access), an alloc's right.
              (p.type === 'free' && x > LABEL_W + 150) || x > axis.width - 140
                ? `<text class="culprit-label" x="${fmt(x - 8)}" y="${my + 4}" text-anchor="end">${verb} ${escapeHtml(p.name)}</text>`
                : `<text class="culprit-label" x="${fmt(x + 8)}" y="${my + 4}">${verb} ${escapeHtml(p.name)}</text>`,
            );
          break;
        }
        case 'report':
          reports.push(
            `<g class="report"><line x1="${fmt(x)}" y1="${TOP - 8}" x2="${fmt(x)}" y2="${height - 6}"/>` +
              `<path d="M${fmt(x - 5)},${cy - 5} L${fmt(x + 5)},${cy + 5} M${fmt(x + 5)},${cy - 5} L${fmt(x - 5)},${cy + 5}"/>` +
              `<text x="${fmt(x > axis.width / 2 ? x - 6 : x + 6)}" y="13" text-anchor="${x > axis.width / 2 ? 'end' : 'start'}">${escapeHtml(p.name)}</text>${title(`${lane.comm}: ${String(p.args?.headline ?? p.name)}, ${where}`)}</g>`,
          );
          break;
        case 'warning':
          out.push(
            `<g class="warning"><line x1="${fmt(x)}" y1="${y + 2}" x2="${fmt(x)}" y2="${y + ROW - 2}"/>${title(`warning: ${p.name}, ${where}`)}</g>`,
          );
          break;
        case 'signal':
          out.push(
            `<path class="signal" d="M${fmt(x)},${cy - 5} L${fmt(x + 4)},${cy} L${fmt(x)},${cy + 5} L${fmt(x - 4)},${cy} z">${title(`${p.name} sent to pid ${p.args?.target ?? '?'}, ${where}`)}</path>`,
          );
          break;
        case 'wakeup':
          break; // drawn as a flow arrow
        default:
          out.push(
            `<circle class="point ${escapeHtml(p.type)}" cx="${fmt(x)}" cy="${y + 9}" r="1.6">${title(`${p.type} ${p.name}, ${where}`)}</circle>`,
          );
      }
    }
  });
  for (const f of l.flows) {
    const a = axis.x(f.at);
    const b = axis.x(f.arrive);
    const ya = rowOf.get(f.from);
    const yb = rowOf.get(f.to);
    if (a === null || b === null || ya === undefined || yb === undefined) continue;
    const y1 = ya + 19;
    const y2 = yb + 19 + (yb > ya ? -6 : 6);
    const mid = (y1 + y2) / 2;
    out.push(
      `<path class="flow" marker-end="url(#arrow)" d="M${fmt(a)},${y1} C${fmt(a)},${fmt(mid)} ${fmt(b)},${fmt(mid)} ${fmt(b)},${fmt(y2)}"/>`,
    );
  }
  out.push(...reports, '</svg>');
  return { names, body: out.join('\n') };
}
