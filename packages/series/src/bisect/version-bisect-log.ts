import { SeriesUsageError } from '../lib/errors.js';

/**
 * The log of a bisect over published versions, in the spirit of `git bisect log`: a header of
 * `# key: value` lines, then one line per version tried,
 *
 *   good 0.1.4  # step 4: KASAN: use-after-free Read in svc_wake_up
 *   bad 0.3.0  # step 6: clean
 *
 * where good means "the same outcome as at --good" and bad "a different outcome". `--replay`
 * reads it back: the verdicts it records are taken as they are, without installing anything.
 */
export interface LogEntry {
  verdict: 'good' | 'bad';
  version: string;
  step: number | null;
  outcome: string | null;
}

export interface BisectLog {
  reproducer: string | null;
  package: string | null;
  good: string | null;
  bad: string | null;
  entries: LogEntry[];
}

export function formatBisectLog(
  head: { reproducer: string; package: string; good: string; bad: string; registry: string },
  entries: readonly LogEntry[],
  result: string,
): string {
  const lines = [
    '# lockstep bisect log (good: the outcome at --good; bad: a different outcome)',
    `# reproducer: ${head.reproducer}`,
    `# package: ${head.package}`,
    `# good: ${head.good}`,
    `# bad: ${head.bad}`,
    `# registry: ${head.registry}`,
  ];
  for (const e of entries) {
    const step = e.step === null ? 'step ?' : `step ${e.step}`;
    lines.push(`${e.verdict} ${e.version}  # ${step}: ${e.outcome ?? 'unknown'}`);
  }
  lines.push(`# ${result}`);
  return `${lines.join('\n')}\n`;
}

const HEAD = /^#\s*(reproducer|package|good|bad):\s*(\S+)\s*$/;
const ENTRY = /^(good|bad)\s+(\S+)\s*(?:#\s*step\s+(\d+|\?)\s*:\s*(.*))?$/;

/** Parse a saved log; `file` names it in errors. */
export function parseBisectLog(text: string, file: string): BisectLog {
  const log: BisectLog = { reproducer: null, package: null, good: null, bad: null, entries: [] };
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const h = HEAD.exec(line);
    if (h) {
      log[h[1] as 'reproducer' | 'package' | 'good' | 'bad'] = h[2]!;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = ENTRY.exec(line);
    if (!m)
      throw new SeriesUsageError(`${file}:${i + 1}: not a bisect log line`, [
        line,
        "expected 'good VERSION' or 'bad VERSION', optionally followed by '# step N: outcome'",
      ]);
    const previous = log.entries.find((e) => e.version === m[2]);
    if (previous && previous.verdict !== m[1])
      throw new SeriesUsageError(`${file}:${i + 1}: ${m[2]} is marked both good and bad`);
    log.entries.push({
      verdict: m[1] as 'good' | 'bad',
      version: m[2]!,
      step: m[3] === undefined || m[3] === '?' ? null : Number(m[3]),
      outcome: m[4]?.trim() || null,
    });
  }
  if (log.entries.length === 0) throw new SeriesUsageError(`${file} records no versions`);
  return log;
}
