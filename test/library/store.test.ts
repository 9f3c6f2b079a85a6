import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ToolDag } from '../../src/library/dag.ts';
import { commitLibrary, headVersion, initLibrary, listVersions, loadLibraryVersion, openLibrary, openOrInitLibrary, saveLibrary, versionFileName } from '../../src/library/store.ts';
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

    // saving again after recovery commits above the bad version, which is never overwritten
    writeFileSync(newest, bytes.subarray(0, 10));
    const recovered = openLibrary(dir).dag.add(tool('c'));
    expect(recovered.version).toBe(2);
    const res = commitLibrary(dir, recovered);
    expect(res.version).toBe(3);
    expect(openLibrary(dir).dag.names()).toEqual(['a', 'c']);
    expect(openLibrary(dir).fallbacks).toEqual([]);
    expect(readFileSync(newest).length).toBe(10);
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

  it('concurrent writers from one version: the second save is rebased onto the first, nothing is lost', () => {
    const dir = path.join(root, 'lib');
    const { dag } = initLibrary(dir);
    const mine = dag.add(tool('mine'));
    const theirs = dag.add(tool('theirs'));
    expect(commitLibrary(dir, theirs)).toMatchObject({ version: 1, rebased: false, unchanged: false });
    const r = commitLibrary(dir, mine);
    expect(r).toMatchObject({ version: 2, rebased: true, unchanged: false });
    expect(r.dag.names()).toEqual(['theirs', 'mine']);
    expect(openLibrary(dir).dag.names()).toEqual(['theirs', 'mine']);
    // an old version with no changes of its own changes nothing
    expect(commitLibrary(dir, dag)).toMatchObject({ version: 2, unchanged: true });
    // saving the same version again is idempotent
    expect(commitLibrary(dir, theirs)).toMatchObject({ version: 2, unchanged: true });
    // continuing from the committed version is a plain fast-forward
    expect(commitLibrary(dir, r.dag.add(tool('next')))).toMatchObject({ version: 3, rebased: false });
    expect(openLibrary(dir).dag.names()).toEqual(['theirs', 'mine', 'next']);
  });

  it('conflicts: both writers changed one tool differently → ERR_VERSION_CONFLICT naming it, nothing written', () => {
    const dir = path.join(root, 'lib');
    const { dag } = initLibrary(dir);
    commitLibrary(dir, dag.add({ ...tool('x'), description: 'theirs' }));
    const err = (() => {
      try {
        commitLibrary(dir, dag.add({ ...tool('x'), description: 'mine' }));
      } catch (e) {
        return e as CocodaError;
      }
    })();
    expect(err?.code).toBe('ERR_VERSION_CONFLICT');
    expect(err?.details?.conflicts).toEqual([{ tool: 'x', reason: 'both added a tool "x", differently' }]);
    expect(openLibrary(dir).dag.record('x')!.description).toBe('theirs');
    expect(listVersions(dir).map((v) => v.version)).toEqual([0, 1]);
    // onMoved: 'fail' refuses any save that does not descend from HEAD
    expect(code(() => commitLibrary(dir, dag.add(tool('y')), { onMoved: 'fail' }))).toBe('ERR_VERSION_CONFLICT');
  });

  it('rebase replays changes and removals, and keeps what the other writer changed', () => {
    const dir = path.join(root, 'lib');
    const v1 = commitLibrary(dir, initLibrary(dir).dag.add([tool('a'), tool('b'), tool('c')])).dag;
    // writer A: changes a, removes b; writer B (saved first): changes c, adds d
    const a = v1.replace({ ...tool('a'), description: 'A was here' }).remove('b');
    commitLibrary(dir, v1.replace({ ...tool('c'), description: 'B was here' }).add(tool('d')));
    const r = commitLibrary(dir, a);
    expect(r.rebased).toBe(true);
    const head = openLibrary(dir).dag;
    expect(head.names().sort()).toEqual(['a', 'c', 'd']);
    expect(head.record('a')!.description).toBe('A was here');
    expect(head.record('c')!.description).toBe('B was here');
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

describe('the lock and odd leftovers', () => {
  it('a LOCK that is not ours (a file, a directory with content) stops nobody once stale; a live one is waited for', () => {
    const dir = path.join(root, 'lib');
    let { dag } = initLibrary(dir);
    const lock = path.join(dir, 'LOCK');
    const old = new Date(Date.now() - 60_000);
    writeFileSync(lock, 'not a lock dir');
    utimesSync(lock, old, old);
    dag = commitLibrary(dir, dag.add(tool('a'))).dag;
    mkdirSync(lock);
    writeFileSync(path.join(lock, 'junk'), 'x');
    utimesSync(lock, old, old);
    dag = commitLibrary(dir, dag.add(tool('b'))).dag;
    expect(openLibrary(dir).dag.names()).toEqual(['a', 'b']);
    // a fresh lock held by a live process (this one, pretending to be another writer)
    mkdirSync(lock);
    writeFileSync(path.join(dir, 'LOCK.owner'), JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'other' }));
    expect(code(() => commitLibrary(dir, dag.add(tool('c')), { lockTimeoutMs: 300 }))).toBe('ERR_LIBRARY_LOCKED');
    rmSync(lock, { recursive: true });
    expect(commitLibrary(dir, dag.add(tool('c'))).version).toBe(3);
  });

  it('a dead writer\'s lock is taken over within seconds', () => {
    const dir = path.join(root, 'lib');
    const { dag } = initLibrary(dir);
    mkdirSync(path.join(dir, 'LOCK'));
    writeFileSync(path.join(dir, 'LOCK.owner'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), token: 'dead' }));
    const t0 = Date.now();
    commitLibrary(dir, dag.add(tool('a')));
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a directory where HEAD belongs is moved aside, never deleted', () => {
    const dir = path.join(root, 'lib');
    const { dag } = initLibrary(dir);
    rmSync(path.join(dir, 'HEAD'));
    mkdirSync(path.join(dir, 'HEAD'));
    const o = openLibrary(dir);
    expect(o.fallbacks.map((f) => f.error.code)).toEqual(['ERR_HEAD_CORRUPT']);
    commitLibrary(dir, o.dag.add(tool('a')));
    expect(openLibrary(dir).fallbacks).toEqual([]);
    expect(readdirSync(dir).some((f) => f.startsWith('HEAD.displaced-'))).toBe(true);
    void dag;
  });

  it('a missing HEAD is reported; leftovers of a crashed writer are removed by the next writer', () => {
    const dir = path.join(root, 'lib');
    const { dag } = initLibrary(dir);
    const v1 = commitLibrary(dir, dag.add(tool('a'))).dag;
    // a crashed writer: an uncommitted version 2 and temp files
    writeFileSync(path.join(dir, 'versions', versionFileName(2)), readFileSync(path.join(dir, 'versions', versionFileName(1))));
    writeFileSync(path.join(dir, 'versions', '.000002.cocoda.new-1-abc'), 'x');
    writeFileSync(path.join(dir, '.HEAD.tmp-1-abc'), 'x');
    expect(openLibrary(dir, { recover: false }).dag.version).toBe(1);
    const r = commitLibrary(dir, v1.add(tool('b')));
    expect(r.version).toBe(2);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(readdirSync(path.join(dir, 'versions')).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(openLibrary(dir).dag.names()).toEqual(['a', 'b']);
    rmSync(path.join(dir, 'HEAD'));
    const o = openLibrary(dir);
    expect(o.fallbacks.map((f) => f.error.code)).toEqual(['ERR_HEAD_MISSING']);
    expect(o.dag.version).toBe(2);
  });
});

describe('init', () => {
  it('fills an existing empty directory in place (it may be a working directory), never replacing it', () => {
    const dir = path.join(root, 'here');
    mkdirSync(dir);
    const ino = statSync(dir).ino;
    const { dag } = initLibrary(dir, { records: [tool('a')] });
    expect(dag.version).toBe(1);
    expect(statSync(dir).ino).toBe(ino);
    expect(readdirSync(dir).sort()).toEqual(['HEAD', 'versions']);
    expect(openLibrary(dir).dag.names()).toEqual(['a']);
    expect(code(() => initLibrary(dir))).toBe('ERR_LIBRARY_EXISTS');
  });

  it('a new directory appears whole; a crashed init inside a directory is cleaned by the next writer', () => {
    const dir = path.join(root, 'fresh');
    initLibrary(dir);
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
    // an init killed after moving versions/ in, before HEAD: a complete version, HEAD missing
    const half = path.join(root, 'half');
    mkdirSync(path.join(half, '.init-999999999-x'), { recursive: true });
    writeFileSync(path.join(half, '.init-999999999-x', 'HEAD'), '000000.cocoda\n');
    const v0 = initLibrary(path.join(root, 'tmp0')).file;
    mkdirSync(path.join(half, 'versions'));
    writeFileSync(path.join(half, 'versions', '000000.cocoda'), readFileSync(v0));
    const o = openLibrary(half, { recover: false });
    expect(o.fallbacks.map((f) => f.error.code)).toEqual(['ERR_HEAD_MISSING']);
    commitLibrary(half, o.dag.add(tool('a')));
    expect(readdirSync(half).sort()).toEqual(['HEAD', 'versions']);
    expect(openLibrary(half).fallbacks).toEqual([]);
  });
});

describe('rebase of MERGEs', () => {
  it('both writers appended examples to one tool: theirs kept, mine appended, no conflict', () => {
    const dir = path.join(root, 'lib');
    const t = { name: 'inc', signature: '(x: float) -> float', body: 'function inc(x) { return x + 1; }', examples: [{ args: [1], result: 2 }] };
    const v1 = commitLibrary(dir, initLibrary(dir).dag.add(t)).dag;
    commitLibrary(dir, v1.replace({ ...t, examples: [...t.examples, { args: [5], result: 6 }] }));
    const r = commitLibrary(dir, v1.replace({ ...t, examples: [...t.examples, { args: [7], result: 8 }, { args: [5], result: 6 }] }));
    expect(r.rebased).toBe(true);
    expect(openLibrary(dir).dag.record('inc')!.examples.map((e) => e.args[0])).toEqual([1, 5, 7]);
    // a changed body on one side is still a conflict
    const v = openLibrary(dir).dag;
    commitLibrary(dir, v.replace({ ...t, examples: [...t.examples, { args: [9], result: 10 }] }));
    expect(code(() => commitLibrary(dir, v.replace({ ...t, body: 'function inc(x) { return 1 + x; }' })))).toBe('ERR_VERSION_CONFLICT');
  });
});
