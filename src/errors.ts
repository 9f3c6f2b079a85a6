/**
 * The one error class cocoda throws for domain failures (bad library state, corrupted snapshot,
 * rejected insert, native-kernel failure). Argument mistakes are `TypeError` / `RangeError`
 * built with {@link argError}. Every CocodaError has a stable machine-readable `code`.
 *
 * @example
 * ```ts
 * try { loadSnapshot(path) } catch (e) {
 *   if (e instanceof CocodaError && e.code === 'ERR_SNAPSHOT_CHECKSUM') restoreBackup();
 * }
 * ```
 */
export class CocodaError extends Error {
  /** Stable code such as `ERR_CYCLE`, `ERR_SNAPSHOT_CORRUPT`, `ERR_TYPE_PARSE`. */
  readonly code: string;
  /** Optional structured context (file, field, position, tool name ...). */
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, code: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'CocodaError';
    this.code = code;
    this.details = details;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  return typeof value;
}

/**
 * The single message template for argument errors: `Expected "k2" to be a positive integer`.
 * Returns (does not throw) so call sites read `throw argError(...)`.
 */
export function argError(kind: 'type' | 'range', name: string, expectation: string, got?: unknown): TypeError | RangeError {
  const suffix = arguments.length >= 4 ? ` (got ${describe(got)})` : '';
  const message = `Expected "${name}" to be ${expectation}${suffix}`;
  return kind === 'type' ? new TypeError(message) : new RangeError(message);
}

/** Throws unless `value` is an integer ≥ 1. */
export function checkPositiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw argError('type', name, 'a positive integer', value);
  if (value < 1) throw argError('range', name, 'a positive integer', value);
  return value;
}

/** Throws unless `value` is an integer ≥ 0. */
export function checkNonNegativeInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw argError('type', name, 'a non-negative integer', value);
  if (value < 0) throw argError('range', name, 'a non-negative integer', value);
  return value;
}

/** Throws unless `value` is a non-empty string. */
export function checkNonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw argError('type', name, 'a non-empty string', value);
  if (value.trim().length === 0) throw argError('range', name, 'a non-empty string', value);
  return value;
}

/** Throws unless `value` is a finite number. */
export function checkFiniteNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') throw argError('type', name, 'a finite number', value);
  if (!Number.isFinite(value)) throw argError('range', name, 'a finite number', value);
  return value;
}
