/**
 * Teacher demonstrations for cold-start SFT (paper Algorithm 1, Stage 2; prompt D.2's role,
 * embedded): for a training task and a library version, the teacher writes the decomposition
 * ({@link teacherDecomposition}), the runtime shows the cards it would show the policy, and the
 * teacher writes the program with the composites among those cards substituted into the gold
 * program (`planWithLibrary` restricted to the shown tools). The demonstration is therefore
 * exactly an episode the policy could have produced: it never calls a tool it was not shown
 * unless that tool is a primitive step of the query.
 *
 * @example
 * ```ts
 * const demo = teacherEpisode(task, dag, new TdrCards());
 * const { ids, mask } = encodeSegments(tokenizer, demo.segments);
 * ```
 */
import type { ToolDag } from '../library/dag.ts';
import type { Task } from '../tasks/generate.ts';
import { planWithLibrary } from '../teacher/planner.ts';
import type { Trajectory } from '../trajectory/ir.ts';
import type { CardSource, ShownCards } from './cards.ts';
import { formatDecomposition, teacherDecomposition, type PlannedSubGoal } from './decompose.ts';
import { episodeSegments, type Segment } from './prompt.ts';

export interface TeacherEpisode {
  goals: PlannedSubGoal[];
  decomposition: string;
  shown: ShownCards;
  program: Trajectory;
  programText: string;
  /** Composites the program calls. */
  used: string[];
  segments: Segment[];
}

/** One demonstration (see the module comment). */
export function teacherEpisode(task: Pick<Task, 'query' | 'inputs' | 'program'>, dag: ToolDag, source: CardSource): TeacherEpisode {
  const goals = teacherDecomposition(task.program, dag, task.inputs);
  const decomposition = formatDecomposition(goals);
  const shown = source.cards(dag, goals);
  const plan = planWithLibrary(task.program, dag, { allow: new Set(shown.tools) });
  const programText = JSON.stringify(plan.trajectory);
  return {
    goals,
    decomposition,
    shown,
    program: plan.trajectory,
    programText,
    used: plan.used,
    segments: episodeSegments(task, decomposition, shown.cards, programText),
  };
}
