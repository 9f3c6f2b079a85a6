// Piscina entry for batch retrieval: piscina loads plain JavaScript, so register tsx first, then
// load the TypeScript worker (workers/retrieve-worker.ts).
import { register } from 'tsx/esm/api';

register();
const mod = await import('./retrieve-worker.ts');
export default mod.default;
