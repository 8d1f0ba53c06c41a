/**
 * Call stacks of the simulated kernel, taken from the JavaScript stack.
 *
 * Model code keeps kernel symbol names (snake_case), so a kernel-style backtrace is the
 * JavaScript stack with everything else (scheduler internals, generator plumbing, test
 * harness frames) filtered out. Frames are captured as V8 CallSites and formatted lazily.
 */

/** A backtrace: kernel function names, innermost first. */
export type Backtrace = readonly string[];

/**
 * snake_case, or an identifier with an underscore and a lower-case letter (BCSP_PnpAdd, driver
 * code in its own style). lowerCamelCase without one is JavaScript plumbing (harness, helpers);
 * ALL_CAPS names are macros (BUG_ON, READ_ONCE), which real backtraces do not show either.
 */
const KERNEL_SYMBOL =
  /^(?:[a-z_][a-z0-9_]*|(?=[A-Za-z0-9_]*[a-z])[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*)$/;

/**
 * Functions that a syzbot-style title skips to name the caller instead: locking, waiting and
 * allocation primitives, and the report machinery itself.
 */
const TITLE_SKIP = new Set<string>();

/** Mark core primitives so that titles name the function that called them. */
export function title_skip(...names: string[]): void {
  for (const n of names) TITLE_SKIP.add(n);
}

type RawFrames = { stack?: unknown };

function prepareCallSites(_e: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] {
  return sites;
}

/** Capture the current kernel backtrace (innermost first), skipping non-kernel frames. */
export function capture_backtrace(limit = 16): Backtrace {
  const saved = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = prepareCallSites;
  Error.stackTraceLimit = limit + 16;
  const holder: RawFrames = {};
  Error.captureStackTrace(holder, capture_backtrace);
  const sites = holder.stack as NodeJS.CallSite[];
  Error.prepareStackTrace = saved;
  Error.stackTraceLimit = savedLimit;
  return framesOf(sites, limit);
}

/** Kernel frames of an error thrown inside model code (used for oopses). */
export function backtrace_of_error(err: Error, limit = 16): Backtrace {
  // The error's stack is already formatted text: parse its "at name (" lines.
  const text = typeof err.stack === 'string' ? err.stack : '';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s+at (?:async )?([^\s(]+)/.exec(line);
    if (!m) continue;
    if (m[1] === 'Machine.run') break;
    const name = m[1]!.replace(/^.*\./, '');
    if (KERNEL_SYMBOL.test(name) && !m[1]!.endsWith('.next')) out.push(name);
    if (out.length >= limit) break;
  }
  return out;
}

function framesOf(sites: NodeJS.CallSite[] | undefined, limit: number): Backtrace {
  const out: string[] = [];
  if (!Array.isArray(sites)) return out;
  for (const s of sites) {
    const name = s.getFunctionName();
    // Below Machine.run is the harness that started the machine: not kernel frames.
    if (name === 'run' && s.getTypeName() === 'Machine') break;
    // Native frames are the generators' own next() calls.
    if (name === null || s.getFileName() == null || !KERNEL_SYMBOL.test(name)) continue;
    out.push(name);
    if (out.length >= limit) break;
  }
  return out;
}

/** The function a syzbot-style title names: the innermost frame that is not a primitive. */
export function title_function(bt: Backtrace): string {
  for (const f of bt) if (!TITLE_SKIP.has(f)) return f;
  // Called straight from an anonymous task body: name the primitive it called (the
  // outermost frame), not the report machinery inside it.
  return bt[bt.length - 1] ?? 'unknown';
}

/** Kernel-style backtrace lines (" lockd_down+0x0/0x0"), innermost first. */
export function format_backtrace(bt: Backtrace): string[] {
  return bt.map((f) => ` ${f}`);
}
