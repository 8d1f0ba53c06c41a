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
export { type RefutedClaim, refutedClaims, refutedLine } from './refuted.js';
export {
  type EmbeddedRegistryOptions,
  type RegistryHandle,
  startEmbeddedRegistry,
  VERDACCIO_VERSION,
  withEmbeddedRegistry,
} from './registry.js';
export {
  fetchPackument,
  normaliseRegistryUrl,
  type Packument,
  pingRegistry,
  type StepMeta,
} from './registry-client.js';
export { CLI_PACKAGE, type ReleaseOptions, type ReleaseTarget, release } from './release.js';
export { checkDependencies, runAttw, runPublint } from './release-checks.js';
export { formatRelease } from './release-command.js';
export {
  type PackageRelease,
  type ReleaseRecord,
  readReleaseRecord,
  type StepRelease,
} from './release-record.js';
export {
  type Explored,
  listReproducers,
  type PhaseRun,
  type ReproOutcome,
  runReproducers,
  type VerdictKind,
} from './reproducers.js';
export { type ParsedPatch, parsePatchDiff } from './review-diff.js';
export {
  defaultReportFile,
  loadReview,
  type ReviewModel,
} from './review-model.js';
export { buildSite, type Served, type SiteResult, serveSite } from './review-site.js';
export { interleavingSvg, type LanesJson } from './review-svg.js';
export { collectStepTraces, REPRO_TRACES, type StepTrace } from './review-traces.js';
export { checkPatchPaths, checkSeriesSafety, patchPaths } from './safety.js';
export { withScratch } from './scratch.js';
export {
  parseSeries,
  relativePathProblem,
  renderSeries,
  type SeriesEntry,
  type SeriesFile,
} from './series-file.js';
export { formatShow, type ShowOptions } from './show.js';
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
export { type CellVerdict, verdictOf } from './verdict.js';
export { type Cell, compare, type StepResult, type VerifyReport, verify } from './verify.js';
export {
  type VersionBisectOptions,
  type VersionBisectResult,
  type VersionProbe,
  versionBisect,
} from './version-bisect.js';
export { type BisectLog, formatBisectLog, parseBisectLog } from './version-bisect-log.js';
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
