/**
 * Errors the CLI reports as one line plus detail lines. A usage error (exit 2) is a mistake in
 * how lockstep was called; a failure (exit 1) is bad input data or an operation that could not
 * be done. Both are raised before anything is changed, or after undoing what was started.
 */
export class SeriesError extends Error {
  readonly details: readonly string[];
  readonly exitCode: 1 | 2;

  constructor(message: string, details: readonly string[], exitCode: 1 | 2) {
    super(message);
    this.name = new.target.name;
    this.details = details;
    this.exitCode = exitCode;
  }
}

/** The command line was wrong: unknown step, bad --dir, ... (exit code 2). */
export class SeriesUsageError extends SeriesError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, details, 2);
  }
}

/** The series, a patch or git could not do what was asked (exit code 1). */
export class SeriesFailure extends SeriesError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, details, 1);
  }
}
