// Property tests draw random seeds locally (to keep finding new counterexamples) but use a fixed
// seed under CI, so that a CI run is reproducible and equals the `.ci/run` a developer ran before
// submitting. Override with FC_SEED=<n>.
import fc from 'fast-check';

const fixed = process.env.FC_SEED ?? (process.env.CI ? '20261122' : undefined);
if (fixed !== undefined) fc.configureGlobal({ seed: Number(fixed) });
