/**
 * LLM-backed roles through any OpenAI-compatible endpoint (docs/llm.md):
 * the one client ({@link LlmClient}: timeouts, retries with backoff, concurrency limit, usage per
 * role), the retrieval stages (D.4 L2, D.5 L3, D.6 L4, embeddings), InsertTool's semantic dedup
 * (D.8) and the teacher's abstraction (D.1). The embedded defaults stay the default; an endpoint
 * replaces a role, role by role.
 */
export { LlmClient, LlmUsage, llmConfigFromEnv, extractJson } from './client.ts';
export type { LlmConfig, RoleUsage, ChatMessageIn, ChatOptions } from './client.ts';
export { LlmL2Ranker, EmbeddingRanker, LlmL3Checker, LlmL4Reranker, llmStages, RETRIEVAL_ROLES } from './retrieval.ts';
export type { RetrievalRole } from './retrieval.ts';
export { llmDedup, llmAbstractor, trajectoryText } from './library.ts';
export { l2RankPrompt, l3CheckPrompt, l4RerankPrompt, dedupPrompt, abstractionPrompt, parseRanking, parseVerdicts, parseDedup } from './prompts.ts';
export type { GoalText } from './prompts.ts';
export { runLlmEpisodes } from './planner.ts';
export type { LlmEpisode, LlmEpisodeOptions } from './planner.ts';
