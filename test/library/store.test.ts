import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ToolDag } from '../../src/library/dag.ts';
import { headVersion, initLibrary, listVersions, loadLibraryVersion, openLibrary, openOrInitLibrary, saveLibrary, versionFileName } from '../../src/library/store.ts';
import { CocodaError } from '../../src/errors.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'cocoda-store-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof CocodaError ? e.code : (e as Error).name;
  }
  return undefined;
}

const tool = (name: string) => ({ name, signature: '() -> int', description: `tool ${name}` });

describe('library directory', () => {
  it('init, save, open: HEAD points at the newest version file', () => {
    const dir = path.join(root, 'lib');
    const { dag: v0, created } = openOrInitLibrary(dir);
    expect(created).toBe(true);
    expect(v0.version).toBe(0);
    const v1 = v0.add(tool('a'));
    saveLibrary(dir, v1);
    const v2 = v1.add(tool('b'));
    saveLibrary(dir, v2);
    expect(readFileSync(path.join(dir, 'HEAD'), 'utf8')).toBe('000002.cocoda\n');
    expect(listVersions(dir).map((v) => v.version)).toEqual([0, 1, 2]);
    const opened = openLibrary(dir);
    expect(opened.dag.version).toBe(2);
    expect(opened.dag.names()).toEqual(['a', 'b']);
    expect(opened.fallbacks).toEqual([]);
    expect(loadLibraryVersion(dir, 1).names()).toEqual(['a']);
    expect(openOrInitLibrary(dir).created).toBe(false);
  });

  it('a corrupted or truncated newest snapshot falls back to the previous one', () => {
    const dir = path.join(root, 'lib');
    let { dag } = initLibrary(dir);
    dag = dag.add(tool('a'));
    saveLibrary(dir, dag);
    dag = dag.add(tool('b'));
    const newest = saveLibrary(dir, dag);
    const bytes = readFileSync(newest);

    // bit flip
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 10]! ^= 1;
    writeFileSync(newest, flipped);
    let opened = openLibrary(dir);
    expect(opened.dag.version).toBe(1);
    expect(opened.dag.names()).toEqual(['a']);
    expect(opened.fallbacks.map((f) => [path.basename(f.file), f.error.code])).toEqual([['000002.cocoda', 'ERR_SNAPSHOT_CHECKSUM']]);
    expect(opened.fallbacks[0]!.error.message).toContain('000002.cocoda');

    // truncation
    writeFileSync(newest, bytes.subarray(0, bytes.length / 2));
    opened = openLibrary(dir);
    expect(opened.dag.version).toBe(1);
    expect(opened.fallbacks[0]!.error.code).toBe('ERR_SNAPSHOT_TRUNCATED');

    // missing file
    rmSync(newest);
    expect(openLibrary(dir).dag.version).toBe(1);

    // saving again after recovery replaces the bad version
    writeFileSync(newest, bytes.subarray(0, 10));
    const recovered = openLibrary(dir).dag.add(tool('c'));
    expect(recovered.version).toBe(2);
    saveLibrary(dir, recovered);
    expect(openLibrary(dir).dag.names()).toEqual(['a', 'c']);
    expect(readdirSync(path.join(dir, 'versions')).some((f) => f.startsWith('000002.cocoda.corrupt-'))).toBe(true);
  });

  it('a garbled HEAD still opens the newest valid snapshot; nothing loadable is an error naming the file', () => {
    const dir = path.join(root, 'lib');
    const { dag } = initLibrary(dir);
    saveLibrary(dir, dag.add(tool('a')));
    writeFileSync(path.join(dir, 'HEAD'), 'garbage');
    const opened = openLibrary(dir);
    expect(opened.dag.version).toBe(1);
    // the damaged HEAD is reported, not silently ignored
    expect(opened.fallbacks.map((f) => [path.basename(f.file), f.error.code])).toEqual([['HEAD', 'ERR_HEAD_CORRUPT']]);
    for (const v of listVersions(dir)) writeFileSync(v.file, 'CCDASNAP-but-truncated');
    let err: CocodaError | undefined;
    try {
      openLibrary(dir);
    } catch (e) {
      err = e as CocodaError;
    }
    expect(err?.code).toBe('ERR_SNAPSHOT_TRUNCATED');
    expect(err?.message).toContain('000001.cocoda');
    expect((err?.details?.failures as unknown[]).length).toBe(2);
  });

  it('a version file newer than HEAD (crash before HEAD moved) is ignored', () => {
    const dir = path.join(root, 'lib');
    const { dag } = initLibrary(dir);
    const v1 = dag.add(tool('a'));
    saveLibrary(dir, v1);
    writeFileSync(path.join(dir, 'HEAD'), `${versionFileName(0)}\n`);
    expect(openLibrary(dir).dag.version).toBe(0);
    expect(headVersion(dir)).toBe(0);
  });

  it('conflicting writers: the second save of a version fails and changes nothing', () => {
    const dir = path.join(root, 'lib');
    const { dag } = initLibrary(dir);
    const mine = dag.add(tool('mine'));
    const theirs = dag.add(tool('theirs'));
    saveLibrary(dir, theirs);
    expect(code(() => saveLibrary(dir, mine))).toBe('ERR_VERSION_CONFLICT');
    expect(code(() => saveLibrary(dir, dag))).toBe('ERR_VERSION_CONFLICT');
    expect(openLibrary(dir).dag.names()).toEqual(['theirs']);
    saveLibrary(dir, theirs); // saving the same version again is idempotent
  });

  it('keeps only the newest `keep` versions', () => {
    const dir = path.join(root, 'lib');
    let { dag } = initLibrary(dir);
    for (let i = 0; i < 6; i++) {
      dag = dag.add(tool(`t${i}`));
      saveLibrary(dir, dag, { keep: 3 });
    }
    expect(listVersions(dir).map((v) => v.version)).toEqual([4, 5, 6]);
  });

  it('refuses to turn a non-empty foreign directory into a library', () => {
    const dir = path.join(root, 'stuff');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'hi');
    expect(code(() => openOrInitLibrary(dir))).toBe('ERR_NOT_A_LIBRARY');
    expect(code(() => openLibrary(dir))).toBe('ERR_NOT_A_LIBRARY');
    expect(code(() => initLibrary(path.join(root, 'lib2')) && initLibrary(path.join(root, 'lib2')))).toBe('ERR_LIBRARY_EXISTS');
  });

  it('a failed mutation never reaches the disk', () => {
    const dir = path.join(root, 'lib');
    const { dag } = initLibrary(dir);
    const v1 = dag.add(tool('a'));
    saveLibrary(dir, v1);
    expect(code(() => v1.add(tool('a')))).toBe('ERR_DUPLICATE_TOOL');
    expect(openLibrary(dir).dag.version).toBe(1);
  });
});
