/**
 * Baselines measured on the same library versions and sub-goals as the cascade:
 *
 * * **flat**: every layer card of every tool in one prompt; the pick is a BM25 ranking of the whole
 *   four-layer text against the intent (no types, no structure).
 * * **flat-dense** (the paper's "w/o TDR" ablation): each tool's four cards concatenated into one
 *   TF-IDF vector; the top-8 tools by cosine to the intent are materialised in full.
 * * **text-tree** (RAPTOR-style): recursive spherical k-means over TF-IDF vectors of the L2 text;
 *   every node gets an extractive summary card (its top centroid terms and the description of the
 *   member nearest the centroid). Retrieval walks top-down with a beam, materialising the summary
 *   cards of every child it looks at; at the leaves it materialises the full records (four cards) of
 *   the tools in the chosen clusters and ranks them by cosine.
 */
import type { Corpus } from './corpus.ts';
import { LexicalRanker } from './lexical.ts';
import { TfIdf, VectorIndex, cosine, kmeans, type SparseVec } from './vectors.ts';
import { l2Text, terms } from './text.ts';
import { cardL1, cardL3, cardL4 } from './cards.ts';
import { FieldIndex, topSparse } from './bm25.ts';
import type { ToolRecord } from '../library/record.ts';
import { checkNonEmptyString, checkPositiveInt } from '../errors.ts';

/** What every retrieval method returns for one intent. */
export interface MethodResult {
  /** Tool ids surfaced to the planner, best first. */
  ranked: Int32Array;
  /** Prompt tokens materialised. */
  tokens: number;
  ms: number;
}

function fullText(r: ToolRecord): string {
  return `${l2Text(r)} ${cardL3(r)} ${cardL4(r)}`;
}

/**
 * Flat retrieval: pays the four cards of every tool.
 *
 * @example
 * ```ts
 * import { Corpus, FlatBaseline } from 'cocoda';
 * const flat = new FlatBaseline(new Corpus({ records }));
 * flat.retrieve('convert euros to yen').tokens; // = corpus.flatTotal()
 * ```
 */
export class FlatBaseline {
  private readonly ranker: LexicalRanker;
  private readonly all: Int32Array;

  constructor(readonly corpus: Corpus) {
    this.ranker = corpus.memoize('flat-bm25', () =>
      new LexicalRanker(corpus.records, (r) => ({ name: r.name, description: fullText(r), tags: r.tags.join(' ') })),
    );
    this.all = Int32Array.from({ length: corpus.n }, (_, i) => i);
  }

  retrieve(intent: string, k = 8): MethodResult {
    checkNonEmptyString('intent', intent);
    const t0 = performance.now();
    const ranked = this.ranker.rank(intent, this.all, k).ids;
    const tokens = this.corpus.flatTotal();
    return { ranked, tokens, ms: performance.now() - t0 };
  }
}

/** Flat dense retrieval ("w/o TDR"): top-`k` (8) by cosine over one vector of all four layers. */
export class FlatDenseBaseline {
  private readonly tfidf: TfIdf;
  private readonly index: VectorIndex;

  constructor(readonly corpus: Corpus, readonly k = 8) {
    checkPositiveInt('k', k);
    const built = corpus.memoize('flat-dense', () => {
      const texts = corpus.records.map(fullText);
      const tfidf = TfIdf.fit(texts);
      return { tfidf, index: new VectorIndex(texts.map((t) => tfidf.vector(t))) };
    });
    this.tfidf = built.tfidf;
    this.index = built.index;
  }

  /**
   * Top-`k` tools by cosine (default: the `k` given to the constructor). Tools with no term in
   * common with the intent are never surfaced, so fewer than `k` may come back.
   */
  retrieve(intent: string, k = this.k): MethodResult {
    checkNonEmptyString('intent', intent);
    checkPositiveInt('k', k);
    const t0 = performance.now();
    const ranked = this.index.top(this.tfidf.vector(intent), k).ids;
    let tokens = 0;
    for (const v of ranked) tokens += this.corpus.flatTokens(v);
    return { ranked, tokens, ms: performance.now() - t0 };
  }
}

/**
 * Plain BM25 over all tools (the `bm25` baseline): Okapi BM25 (k1 1.2, b 0.75, term frequencies
 * counted) over one field, each tool's four cards as text; the top `k` (8) tools are surfaced and
 * their four cards materialised, as flat-dense does. No types, no structure.
 *
 * @example
 * ```ts
 * import { Bm25Baseline, Corpus } from 'cocoda';
 * const bm25 = new Bm25Baseline(new Corpus({ records }));
 * bm25.retrieve('convert euros to yen').ranked; // best 8 ids
 * ```
 */
export class Bm25Baseline {
  private readonly index: FieldIndex;

  constructor(readonly corpus: Corpus, readonly k = 8) {
    checkPositiveInt('k', k);
    this.index = corpus.memoize('bm25-plain', () =>
      FieldIndex.build(corpus.records.map((r) => [`${cardL1(r)} ${fullText(r)}`]), [{ name: 'text', weight: 1, b: 0.75 }], { binary: false }),
    );
  }

  retrieve(intent: string, k = this.k): MethodResult {
    checkNonEmptyString('intent', intent);
    checkPositiveInt('k', k);
    const t0 = performance.now();
    const ranked = topSparse(this.index.search([...new Set(terms(intent))].map((term) => ({ term, weight: 1 }))), k).ids;
    let tokens = 0;
    for (const v of ranked) tokens += this.corpus.flatTokens(v);
    return { ranked, tokens, ms: performance.now() - t0 };
  }
}

interface TreeNode {
  /** Child node ids (internal node) … */
  children: number[];
  /** … or tool ids (leaf cluster). */
  tools: number[];
  summary: string;
  /** TF-IDF vector of the summary text. */
  vec: SparseVec;
  /** Normalised centroid of the members' L2 vectors (the node's embedding for the walk). */
  centroid: SparseVec;
  summaryTokens: number;
}

export interface TextTreeOptions {
  /** Children per internal node (k of each k-means split). Default 8. */
  branching?: number;
  /** A cluster of at most this many tools is a leaf. Default 8. */
  leafSize?: number;
  /** Nodes kept per level of the walk. Default 2. */
  beam?: number;
  /** What the walk compares the intent with: the node's centroid (default) or its summary text. */
  walkBy?: 'centroid' | 'summary';
  seed?: number;
}

/**
 * RAPTOR-style text tree over L2 descriptions (see the module comment).
 *
 * @example
 * ```ts
 * import { Corpus, TextTree } from 'cocoda';
 * const tree = new TextTree(new Corpus({ records }));
 * const r = tree.retrieve('price of bitcoin yesterday');
 * r.tokens; // summary cards on the path + the leaf clusters' full records
 * ```
 */
export class TextTree {
  readonly nodes: TreeNode[] = [];
  readonly root: number;
  readonly beam: number;
  readonly walkBy: 'centroid' | 'summary';
  private readonly tfidf: TfIdf;
  private readonly vecs: SparseVec[];

  constructor(readonly corpus: Corpus, opts: TextTreeOptions = {}) {
    const branching = checkPositiveInt('branching', opts.branching ?? 8);
    const leafSize = checkPositiveInt('leafSize', opts.leafSize ?? 8);
    this.beam = checkPositiveInt('beam', opts.beam ?? 2);
    this.walkBy = opts.walkBy ?? 'centroid';
    const built = corpus.memoize(`text-tree:${branching}:${leafSize}:${opts.seed ?? 1}`, () => {
      const texts = corpus.records.map(l2Text);
      const tfidf = TfIdf.fit(texts);
      const vecs = texts.map((t) => tfidf.vector(t));
      const nodes: TreeNode[] = [];
      const build = (members: number[], centroid: SparseVec | null, depth: number): number => {
        const id = nodes.length;
        const empty = (): SparseVec => ({ idx: new Int32Array(), val: new Float64Array() });
        const node: TreeNode = { children: [], tools: [], summary: '', vec: empty(), centroid: centroid ?? empty(), summaryTokens: 0 };
        nodes.push(node);
        if (members.length <= leafSize) node.tools = members;
        else {
          let { clusters, centroids } = kmeans(vecs, members, Math.min(branching, Math.ceil(members.length / leafSize)), (opts.seed ?? 1) + id);
          if (clusters.length < 2) {
            // Degenerate split (identical texts): cut into equal slices so the tree still shrinks.
            const per = Math.ceil(members.length / branching);
            clusters = [];
            for (let i = 0; i < members.length; i += per) clusters.push(members.slice(i, i + per));
            centroids = clusters.map(() => ({ idx: new Int32Array(), val: new Float64Array() }));
          }
          for (let c = 0; c < clusters.length; c++) node.children.push(build(clusters[c]!, centroids[c]!, depth + 1));
        }
        if (node.centroid.idx.length === 0) node.centroid = meanVector(vecs, members);
        const summary = summarise(tfidf, vecs, corpus.records, members, node.centroid);
        node.summary = summary;
        node.vec = tfidf.vector(summary);
        node.summaryTokens = corpus.cards.counter.count(summary + '\n');
        return id;
      };
      const root = build(Array.from({ length: corpus.n }, (_, i) => i), null, 0);
      return { nodes, root, tfidf, vecs };
    });
    this.nodes = built.nodes;
    this.root = built.root;
    this.tfidf = built.tfidf;
    this.vecs = built.vecs;
  }

  /**
   * Walks the tree for `intent`; returns the surfaced tools (every member of the leaves reached,
   * best first) and the tokens. `opts.beam` overrides the tree's beam for this walk (the
   * matched-accuracy sweep of `cocoda bench retrieval`).
   */
  retrieve(intent: string, opts: { beam?: number } = {}): MethodResult & { summariesShown: number; leaves: number } {
    checkNonEmptyString('intent', intent);
    const beam = opts.beam === undefined ? this.beam : checkPositiveInt('beam', opts.beam);
    const t0 = performance.now();
    const q = this.tfidf.vector(intent);
    let tokens = 0;
    let shown = 0;
    let frontier: Array<{ node: number; score: number }> = [{ node: this.root, score: 1 }];
    while (frontier.some((f) => this.nodes[f.node]!.children.length > 0)) {
      const next: Array<{ node: number; score: number }> = [];
      for (const f of frontier) {
        const node = this.nodes[f.node]!;
        if (node.children.length === 0) {
          next.push(f);
          continue;
        }
        for (const c of node.children) {
          const child = this.nodes[c]!;
          tokens += child.summaryTokens;
          shown++;
          next.push({ node: c, score: cosine(q, this.walkBy === 'centroid' ? child.centroid : child.vec) });
        }
      }
      next.sort((a, b) => b.score - a.score || a.node - b.node);
      frontier = next.slice(0, beam);
    }
    const tools: Array<{ v: number; s: number }> = [];
    for (const f of frontier) {
      for (const v of this.nodes[f.node]!.tools) {
        tokens += this.corpus.flatTokens(v);
        tools.push({ v, s: cosine(q, this.vecs[v]!) });
      }
    }
    tools.sort((a, b) => b.s - a.s || a.v - b.v);
    return { ranked: Int32Array.from(tools.map((t) => t.v)), tokens, ms: performance.now() - t0, summariesShown: shown, leaves: frontier.length };
  }

  /** Number of leaf clusters (a beam this wide materialises every tool). */
  leafCount(): number {
    let c = 0;
    for (const n of this.nodes) if (n.children.length === 0) c++;
    return c;
  }

  /** Height of the tree (root = 0). */
  height(): number {
    const h = (n: number): number => {
      const node = this.nodes[n]!;
      return node.children.length === 0 ? 0 : 1 + Math.max(...node.children.map(h));
    };
    return h(this.root);
  }
}

/** Normalised mean of the members' vectors. */
function meanVector(vecs: SparseVec[], members: number[]): SparseVec {
  const acc = new Map<number, number>();
  for (const m of members) {
    const v = vecs[m]!;
    for (let i = 0; i < v.idx.length; i++) acc.set(v.idx[i]!, (acc.get(v.idx[i]!) ?? 0) + v.val[i]!);
  }
  const pairs = [...acc.entries()].sort((a, b) => a[0] - b[0]);
  const norm = Math.sqrt(pairs.reduce((s, p) => s + p[1] * p[1], 0)) || 1;
  return { idx: Int32Array.from(pairs.map((p) => p[0])), val: Float64Array.from(pairs.map((p) => p[1] / norm)) };
}

/** Extractive summary: top centroid terms and the description of the most central member. */
function summarise(tfidf: TfIdf, vecs: SparseVec[], records: readonly ToolRecord[], members: number[], c: SparseVec): string {
  const top = [...c.idx.keys()].sort((a, b) => c.val[b]! - c.val[a]! || c.idx[a]! - c.idx[b]!).slice(0, 8);
  const words = top.map((i) => tfidf.word(c.idx[i]!));
  let rep = members[0]!;
  let best = -Infinity;
  for (const m of members) {
    const s = cosine(vecs[m]!, c);
    if (s > best) {
      best = s;
      rep = m;
    }
  }
  const r = records[rep]!;
  const desc = r.description.trim().split(/\s+/).slice(0, 24).join(' ');
  return `[${members.length} tools] ${words.join(', ')}. e.g. ${r.name}: ${desc}`;
}
