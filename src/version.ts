/**
 * The package's version, read from its package.json (one source of truth for `cocoda --version`,
 * `cocoda info` and the native addon check).
 *
 * @example
 * ```ts
 * import { VERSION } from 'cocoda';
 * console.log(VERSION); // '0.1.0'
 * ```
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './native/loader.ts';

export const VERSION: string = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
