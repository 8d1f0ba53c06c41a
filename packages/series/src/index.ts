export { type BisectResult, bisect } from './bisect/bisect.js';
export {
  type VersionBisectOptions,
  type VersionBisectResult,
  type VersionProbe,
  versionBisect,
} from './bisect/version-bisect.js';
export { type BisectLog, formatBisectLog, parseBisectLog } from './bisect/version-bisect-log.js';
export { SeriesError, SeriesFailure, SeriesUsageError } from './lib/errors.js';
export { GitCommandError, type GitOptions, type GitResult, git } from './lib/git.js';
export {
  type EmbeddedRegistryOptions,
  type RegistryHandle,
  startEmbeddedRegistry,
  VERDACCIO_VERSION,
  withEmbeddedRegistry,
} from './lib/registry.js';
export {
  fetchPackument,
  normaliseRegistryUrl,
  type Packument,
  pingRegistry,
  type StepMeta,
} from './lib/registry-client.js';
export {
  type Explored,
  listReproducers,
  type PhaseRun,
  type ReproducerMeta,
  type ReproOutcome,
  runReproducers,
  type VerdictKind,
} from './lib/reproducers.js';
export { withScratch } from './lib/scratch.js';
export { type CliIO, formatSeries, run } from './program.js';
export { checkDependencies, runAttw, runPublint } from './release/checks.js';
export { formatRelease } from './release/command.js';
export {
  type PackageRelease,
  type ReleaseRecord,
  readReleaseRecord,
  readReleaseRecords,
  type StepRelease,
} from './release/record.js';
export {
  CLI_PACKAGE,
  type ReleaseOptions,
  type ReleaseTarget,
  release,
} from './release/release.js';
export { type ParsedPatch, parsePatchDiff } from './review/diff.js';
export { comparePage, frontPage } from './review/front.js';
export {
  defaultReportFile,
  loadReview,
  type ReviewModel,
} from './review/model.js';
export {
  buildSeriesSites,
  buildSite,
  type Served,
  type SiteResult,
  serveSite,
} from './review/site.js';
export { interleavingSvg, type LanesJson } from './review/svg.js';
export { collectStepTraces, REPRO_TRACES, type StepTrace } from './review/traces.js';
export { applyFailure } from './series/apply-error.js';
export {
  listSeries,
  pickSeries,
  type SeriesDef,
  workspacePackageNames,
} from './series/catalog.js';
export {
  type ExportOptions,
  type ExportResult,
  exportSeries,
  FORMAT_PATCH_ARGS,
} from './series/export.js';
export {
  BASE_DATE,
  checkoutStep,
  type MaterialiseOptions,
  type MaterialiseResult,
  materialise,
} from './series/materialise.js';
export {
  findHunk,
  type HunkRef,
  type PatchInfo,
  readPatchInfo,
  type Trailer,
} from './series/patch-file.js';
export { checkPatchPaths, checkSeriesSafety, patchPaths } from './series/safety.js';
export {
  parseSeries,
  parseSeriesHeader,
  relativePathProblem,
  renderSeries,
  type SeriesEntry,
  type SeriesFile,
  type SeriesHeader,
} from './series/series-file.js';
export { describeSteps, parseStep, readPatchInfos } from './series/steps.js';
export {
  defaultTracesDir,
  defaultTreeDir,
  readState,
  resolveTreeDir,
  SERIES_BRANCH,
  stepTag,
  type TreeState,
  treeGit,
} from './series/tree.js';
export {
  applyVersionLine,
  asLineChangeset,
  lineBump,
  lineDependencyRange,
  linePackages,
  lineRangeProblem,
  lineStart,
} from './series/version-line.js';
export {
  type ChangesetInfo,
  computeVersions,
  type PackageBump,
  type VersionStep,
} from './series/versions.js';
export {
  BASE_PATHS,
  type BaseFile,
  collectBase,
  findWorkspaceRoot,
  loadOneSeries,
  loadWorkspace,
  loadWorkspaces,
  type SeriesPatch,
  type Workspace,
} from './series/workspace.js';
export { formatShow, type ShowOptions } from './show/show.js';
export { type Expectation, expectedMatrix } from './verify/expect.js';
export { formatMatrix, formatVerify } from './verify/matrix.js';
export { type RefutedClaim, refutedClaims, refutedLine } from './verify/refuted.js';
export {
  comparablePairs,
  formatSideBySide,
  reproducerHistory,
  stepChanges,
} from './verify/side-by-side.js';
export { type CellVerdict, verdictOf } from './verify/verdict.js';
export {
  type Cell,
  compare,
  type StepResult,
  type VerifyFile,
  type VerifyReport,
  verify,
  verifyFile,
} from './verify/verify.js';
