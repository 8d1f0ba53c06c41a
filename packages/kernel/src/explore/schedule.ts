/**
 * Schedule strings: a compact, versioned text form of RunResult.decisions (the pid chosen at
 * each decision point), run-length encoded: "v1:1*12.2*3.1" means pid 1 twelve times, pid 2
 * three times, then pid 1 once. After the last decision a replay continues without
 * preemption, so a string only needs to reach the last choice that mattered.
 */
import { LockstepUsageError } from '../report.js';

export const SCHEDULE_VERSION = 'v1';
const PREFIX = `${SCHEDULE_VERSION}:`;
const ITEM = /^([0-9]+)(?:\*([0-9]+))?$/;
/** Longest decision list a string may expand to; guards against "v1:1*999999999999". */
export const MAX_SCHEDULE_DECISIONS = 50_000_000;

/** Encode decisions as a schedule string. */
export function formatSchedule(decisions: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < decisions.length) {
    const pid = decisions[i]!;
    let j = i + 1;
    while (j < decisions.length && decisions[j] === pid) j++;
    const n = j - i;
    parts.push(n === 1 ? String(pid) : `${pid}*${n}`);
    i = j;
  }
  return PREFIX + parts.join('.');
}

/** Decode a schedule string; throws LockstepUsageError saying what is wrong and where. */
export function parseSchedule(schedule: string): number[] {
  if (typeof schedule !== 'string')
    throw new LockstepUsageError(`a schedule must be a string, got ${typeof schedule}`);
  const s = schedule.trim();
  const shown = quote(s);
  if (!s.startsWith(PREFIX)) {
    const v = /^(v[0-9]+):/.exec(s);
    if (v !== null)
      throw new LockstepUsageError(
        `unsupported schedule version '${v[1]}' in ${shown}: this lockstep reads ${SCHEDULE_VERSION}`,
      );
    throw new LockstepUsageError(
      `not a schedule string: ${shown}; expected '${PREFIX}<pid>[*<count>].<pid>[*<count>]...', e.g. '${PREFIX}1*12.2*3.1'`,
    );
  }
  const body = s.slice(PREFIX.length);
  const out: number[] = [];
  if (body === '') return out;
  const items = body.split('.');
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!;
    const m = ITEM.exec(item);
    const where = `item ${k + 1} ('${item}') of ${shown}`;
    if (m === null)
      throw new LockstepUsageError(
        `bad ${where}: expected <pid> or <pid>*<count> with decimal numbers`,
      );
    const pid = Number(m[1]);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (pid < 1 || !Number.isSafeInteger(pid))
      throw new LockstepUsageError(`bad ${where}: pid must be a task pid >= 1`);
    if (count < 1 || !Number.isSafeInteger(count))
      throw new LockstepUsageError(`bad ${where}: count must be >= 1`);
    if (out.length + count > MAX_SCHEDULE_DECISIONS)
      throw new LockstepUsageError(
        `schedule ${shown} expands to more than ${MAX_SCHEDULE_DECISIONS} decisions`,
      );
    for (let c = 0; c < count; c++) out.push(pid);
  }
  return out;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}
