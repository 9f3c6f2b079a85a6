// `node --import ./record-loads.mjs …`: appends the URL of every module the process resolves to
// $COCODA_LOAD_LOG, so a test can see which packages an import pulled in.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const r = await next(specifier, context);
        appendFileSync(process.env.COCODA_LOAD_LOG, r.url + '\\n');
        return r;
      }`),
);
