export { applyFailure } from './apply-error.js';
export { type BisectResult, bisect } from './bisect.js';
export { SeriesError, SeriesFailure, SeriesUsageError } from './errors.js';
export { type Expectation, expectedMatrix, type ReproducerMeta } from './expect.js';
export {
  type ExportOptions,
  type ExportResult,
  exportSeries,
  FORMAT_PATCH_ARGS,
} from './export.js';
export { GitCommandError, type GitOptions, type GitResult, git } from './git.js';
export {
  BASE_DATE,
  checkoutStep,
  type MaterialiseOptions,
  type MaterialiseResult,
  materialise,
} from './materialise.js';
export { formatMatrix } from './matrix.js';
export {
  findHunk,
  type HunkRef,
  type PatchInfo,
  readPatchInfo,
  type Trailer,
} from './patch-file.js';
export { type CliIO, formatSeries, run } from './program.js';
export { listReproducers, type ReproOutcome, runReproducers } from './reproducers.js';
export { checkPatchPaths, checkSeriesSafety, patchPaths } from './safety.js';
export { withScratch } from './scratch.js';
export {
  parseSeries,
  relativePathProblem,
  renderSeries,
  type SeriesEntry,
  type SeriesFile,
} from './series-file.js';
export { describeSteps, parseStep, readPatchInfos } from './steps.js';
export {
  defaultTreeDir,
  readState,
  resolveTreeDir,
  SERIES_BRANCH,
  stepTag,
  type TreeState,
  treeGit,
} from './tree.js';
export { type Cell, compare, type StepResult, type VerifyReport, verify } from './verify.js';
export {
  type ChangesetInfo,
  computeVersions,
  type PackageBump,
  type VersionStep,
} from './versions.js';
export {
  BASE_PATHS,
  type BaseFile,
  collectBase,
  findWorkspaceRoot,
  loadWorkspace,
  type SeriesPatch,
  type Workspace,
} from './workspace.js';
