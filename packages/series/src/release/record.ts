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

/** The record of a release to one registry: what was and was not published, step by step. */
export interface ReleaseRecord {
  format: 1;
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

/** The file: one record per registry. */
interface RecordFile {
  format: 1;
  registries: Record<string, ReleaseRecord>;
}

function readFile(file: string): RecordFile {
  if (!existsSync(file)) return { format: 1, registries: {} };
  let data: RecordFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as RecordFile;
  } catch (e) {
    throw new SeriesFailure(`${file} is not valid JSON: ${(e as Error).message}`, [
      'it is the release record lockstep writes; move it aside to start a new one',
    ]);
  }
  if (data.format !== 1 || typeof data.registries !== 'object')
    throw new SeriesFailure(`${file} is not a lockstep release record`);
  return data;
}

/** The last release to `registry` recorded in `file`, or null. */
export function readReleaseRecord(file: string, registry: string): ReleaseRecord | null {
  return readFile(file).registries[registry] ?? null;
}

/** Write (replace) the record of `record.registry`, atomically, keeping the other registries'. */
export function writeReleaseRecord(file: string, record: ReleaseRecord): void {
  const data = readFile(file);
  data.registries[record.registry] = record;
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(tmp, file);
}

/** The step that produced `name@version` according to a record, or null. */
export function recordedStep(
  record: ReleaseRecord | null,
  name: string,
  version: string,
): StepMeta | null {
  return record?.versions[name]?.[version] ?? null;
}
