/**
 * Renders docs/errors.md from the error registry in src/errors.ts.
 *
 *   npm run docs:errors          rewrite docs/errors.md
 *   test/errors/registry.test.ts fails when docs/errors.md differs from renderErrorsDoc()
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS, type ErrorSpec } from '../src/errors.ts';

export const ERRORS_DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'errors.md');

const cell = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');

/** The whole of docs/errors.md. */
export function renderErrorsDoc(): string {
  const byArea = new Map<string, Array<[string, ErrorSpec]>>();
  for (const [code, spec] of Object.entries(ERRORS) as Array<[string, ErrorSpec]>) {
    if (!byArea.has(spec.area)) byArea.set(spec.area, []);
    byArea.get(spec.area)!.push([code, spec]);
  }
  const out = [
    '# Errors',
    '',
    '<!-- Generated from src/errors.ts by `npm run docs:errors`; do not edit by hand (a test compares). -->',
    '',
    'Every failure cocoda reports carries a stable code: a `CocodaError` has it in `.code` (and',
    'structured context in `.details`), a sandbox call outcome in `.error.code`, a trajectory issue',
    'in `.code`, an InsertTool decision in `.code`, and the `cocoda` command prints it at the end of',
    'its one-line message: `cocoda: <message> [ERR_…]`. A code keeps its meaning across versions.',
    'Argument mistakes in the API are `TypeError` / `RangeError` (`Expected "k2" to be a positive',
    'integer (got 0)`), without a code.',
    '',
    'Exit status of `cocoda`: 0 success; 1 a failure (the code’s `exit` below); 2 a usage error',
    '(unknown command or option, missing argument); 3 `cocoda library add` rejected the candidate —',
    'any code raised while validating it is the REJECT reason, printed as `REJECT: <reason>`.',
    '',
    `${Object.keys(ERRORS).length} codes, by the part of cocoda that raises them.`,
    '',
  ];
  for (const [area, rows] of byArea) {
    out.push(`## ${area}`, '', '| code | exit | message |', '|---|---|---|');
    for (const [code, spec] of rows) out.push(`| \`${code}\` | ${spec.exit} | ${cell(spec.message)} |`);
    out.push('');
  }
  out.push(
    '## file system',
    '',
    'A failed file-system operation is reported with the operating system’s code (`ENOENT`,',
    '`ENOSPC`, `EACCES`, `EROFS`, `ENOTDIR` …) as the `CocodaError` code and a message naming the',
    'action and the path: `cannot <action> "<path>": <reason>` (exit 1).',
    '',
  );
  return out.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(ERRORS_DOC, renderErrorsDoc());
  console.log(`wrote ${path.relative(process.cwd(), ERRORS_DOC)}`);
}
