/**
 * Training loops. Today: library-only co-evolution with the teacher planner (`cocoda evolve`).
 */
export { evolveLibrary } from './evolve.ts';
export type { EvolveOptions, EvolveResult, StepReport } from './evolve.ts';
