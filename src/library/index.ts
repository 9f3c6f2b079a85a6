/**
 * The tool library: records, the immutable versioned DAG, edge extraction, DAG kernels,
 * JSON-Schema import and snapshots.
 */
export { normalizeRecord } from './record.ts';
export type { ToolRecord, ToolExample, RemoteTool } from './record.ts';
export { ToolDag, validateRecord, signatureNominals } from './dag.ts';
export type { ToolInput, ToolNode, LibraryStats, AddFailure, Csr } from './dag.ts';
export { analyzeBody, JS_GLOBAL_CALLEES, isReservedToolName, IDENTIFIER_RE } from './edges.ts';
export type { BodyAnalysis } from './edges.ts';
export { dagKernels, nativeDagKernels, tsDagKernels, checkCsr } from './kernels.ts';
export type { DagKernels, DagMetrics } from './kernels.ts';
export { schemaToRecord, schemaToSignature, importSchemas, importSchemasInto } from './import-schema.ts';
export type { SchemaImportOptions, SchemaImportResult, ImportFailure } from './import-schema.ts';
export { depthbenchFile, depthbenchDir, depthbenchDirs } from './depthbench.ts';
export { encodeValue, decodeValue, checkExamples } from './values.ts';
export {
  toBuffer,
  fromBuffer,
  openSnapshot,
  readHeader,
  saveSnapshot,
  loadSnapshot,
  readSnapshotFile,
  writeFileAtomic,
  SNAPSHOT_MAGIC,
  SNAPSHOT_FORMAT_VERSION,
} from './snapshot/index.ts';
export type { SnapshotHeader, SnapshotView, ToBufferOptions, FromBufferOptions } from './snapshot/index.ts';
export {
  openLibrary,
  openOrInitLibrary,
  initLibrary,
  saveLibrary,
  commitLibrary,
  updateLibrary,
  recoverLibrary,
  loadLibraryVersion,
  listVersions,
  headVersion,
  isLibraryDir,
  versionFileName,
} from './store.ts';
export type { OpenedLibrary, OpenOptions, SaveOptions, CommitResult, InitOptions, UpdateOptions, UpdateStep } from './store.ts';
export { rebaseChanges, sameRecord } from './rebase.ts';
export type { RebaseConflict, RebaseResult } from './rebase.ts';
export { baseOf } from './lineage.ts';
export type { Base } from './lineage.ts';
