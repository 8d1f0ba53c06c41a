import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SeriesFailure } from '../lib/errors.js';
import type { StepMeta } from '../lib/registry-client.js';

/** What happened to one package version at one step of a release. */
export type PublishStatus =
  | 'published' // this run published it
  | 'already-published' // the registry had it before this run
  | 'would-publish' // --dry-run: npm publish --dry-run accepted it
  | 'failed' // its checks or npm publish failed: the release stopped here
  | 'not-published'; // the release stopped before getting to it

/** One check's verdict: ok, or the problems it found. */
export interface CheckResult {
  ok: boolean;
  problems: string[];
}

export interface PackageRelease {
  name: string;
  version: string;
  status: PublishStatus;
  /** publint, attw --pack and lockstep's dependency-range check (absent when not run). */
  checks?: { publint?: CheckResult; attw?: CheckResult; dependencies?: CheckResult };
  /** The internal dependency ranges it was published with (dependencies and peers). */
  dependencies?: Record<string, string>;
  /** Why it failed, or why it was not published. */
  reason?: string;
}

export interface StepRelease {
  step: number;
  patch: string | null;
  subject: string | null;
  /** Every workspace package's version at this step (after `changeset version`). */
  versions: Record<string, string>;
  /** The releasable packages whose version this step changed (all of them at step 0). */
  packages: PackageRelease[];
  ms: number;
}

/** The record of a series' release to one registry: what was and was not published, step by step. */
export interface ReleaseRecord {
  /** The series released, its version line and the npm dist-tag its versions got. */
  series: string;
  versionLine: number;
  distTag: string;
  /** "embedded" or the --registry URL. */
  registry: string;
  /** The URL it was reached at (the embedded registry's port changes from run to run). */
  url: string;
  status: 'running' | 'complete' | 'failed';
  dryRun: boolean;
  started: string;
  finished: string | null;
  error: { message: string; details: string[] } | null;
  steps: StepRelease[];
  /** Every version published at some step: name -> version -> the step that produced it. */
  versions: Record<string, Record<string, StepMeta>>;
  /** What this run published, and how many were already there. */
  published: number;
  alreadyPublished: number;
  ms: number;
}

/** The file: per registry, one record per series (format 2; format 1 held one series). */
interface RecordFile {
  format: 2;
  registries: Record<string, { series: Record<string, ReleaseRecord> }>;
}

function readFile(file: string): RecordFile {
  if (!existsSync(file)) return { format: 2, registries: {} };
  let data: RecordFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as RecordFile;
  } catch (e) {
    throw new SeriesFailure(`${file} is not valid JSON: ${(e as Error).message}`, [
      'it is the release record lockstep writes; move it aside to start a new one',
    ]);
  }
  if (data.format !== 2 || typeof data.registries !== 'object')
    throw new SeriesFailure(`${file} is not a lockstep release record (format 2)`, [
      'an older lockstep wrote it (one series per registry): move it aside and release again',
    ]);
  return data;
}

/** The last release of `series` to `registry` recorded in `file`, or null. */
export function readReleaseRecord(
  file: string,
  registry: string,
  series: string,
): ReleaseRecord | null {
  return readFile(file).registries[registry]?.series[series] ?? null;
}

/** Every series' last release to `registry`, in name order. */
export function readReleaseRecords(file: string, registry: string): ReleaseRecord[] {
  const all = readFile(file).registries[registry]?.series ?? {};
  return Object.keys(all)
    .sort()
    .map((k) => all[k]!);
}

/** Write (replace) the record of `record.series` at `record.registry`, atomically, keeping the others. */
export function writeReleaseRecord(file: string, record: ReleaseRecord): void {
  const data = readFile(file);
  data.registries[record.registry] ??= { series: {} };
  data.registries[record.registry]!.series[record.series] = record;
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(tmp, file);
}

/** The step that produced `name@version` according to the records, or null. */
export function recordedStep(
  records: readonly ReleaseRecord[],
  name: string,
  version: string,
): StepMeta | null {
  for (const r of records) {
    const meta = r.versions[name]?.[version];
    if (meta !== undefined) return meta;
  }
  return null;
}
