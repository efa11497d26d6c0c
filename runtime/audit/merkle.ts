import { createHash, hash } from 'node:crypto';

/**
 * RFC 6962 (Certificate Transparency) Merkle tree hashing over audit records:
 * leaf = SHA-256(0x00 || record hash bytes), node = SHA-256(0x01 || left || right), and a tree of
 * n leaves splits at the largest power of two below n. The standalone verifier
 * (verifier/verify-export.js) implements the same functions; test/audit checks they agree.
 */
export function leafHash(recordHashHex: string): Buffer {
  const input = Buffer.allocUnsafe(33);
  input[0] = 0;
  input.write(recordHashHex, 1, 'hex');
  return hash('sha256', input, 'buffer');
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 1;
  left.copy(input, 1);
  right.copy(input, 1 + left.length);
  return hash('sha256', input, 'buffer');
}

const EMPTY_ROOT = createHash('sha256').digest();

/**
 * The compact form of a growing tree: the roots of its perfect subtrees, largest (leftmost) first.
 * Appending costs O(1) amortised; the root of the first `size` leaves folds them right to left,
 * which equals the RFC 6962 tree hash. Stored with each checkpoint so the next one only hashes
 * the records added since.
 */
export class MerkleFrontier {
  private readonly nodes: { size: number; hash: Buffer }[];
  size: number;

  constructor(size = 0, roots: readonly string[] = []) {
    this.size = size;
    const sizes = subtreeSizes(size);
    if (sizes.length !== roots.length)
      throw new Error(`frontier for ${size} leaves needs ${sizes.length} hashes, got ${roots.length}`);
    this.nodes = roots.map((h, i) => ({ size: sizes[i]!, hash: Buffer.from(h, 'hex') }));
  }

  push(leaf: Buffer): void {
    let node = { size: 1, hash: leaf };
    while (this.nodes.length > 0 && this.nodes.at(-1)!.size === node.size) {
      const left = this.nodes.pop()!;
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    this.nodes.push(node);
    this.size += 1;
  }

  pushRecord(recordHashHex: string): void {
    this.push(leafHash(recordHashHex));
  }

  root(): Buffer {
    if (this.nodes.length === 0) return EMPTY_ROOT;
    let acc = this.nodes.at(-1)!.hash;
    for (let i = this.nodes.length - 2; i >= 0; i--) acc = nodeHash(this.nodes[i]!.hash, acc);
    return acc;
  }

  roots(): string[] {
    return this.nodes.map((n) => n.hash.toString('hex'));
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(this.size, this.roots());
  }
}

/** Sizes of the perfect subtrees making up a tree of n leaves, largest first (n's binary digits). */
export function subtreeSizes(n: number): number[] {
  const out: number[] = [];
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(n, 1))); bit >= 1; bit /= 2)
    if (Math.floor(n / bit) % 2 === 1) out.push(bit);
  return out;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 MTH over leaves[from, to). */
export function treeHash(leaves: readonly Buffer[], from = 0, to = leaves.length): Buffer {
  const n = to - from;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[from]!;
  const k = largestPowerOfTwoBelow(n);
  return nodeHash(treeHash(leaves, from, from + k), treeHash(leaves, from + k, to));
}

/** RFC 6962 PATH(m, D[n]): the audit path of leaf m (0-based), bottom first. */
export function inclusionPath(leaves: readonly Buffer[], m: number, from = 0, to = leaves.length): Buffer[] {
  const n = to - from;
  if (n <= 1) return [];
  const k = largestPowerOfTwoBelow(n);
  if (m < k) return [...inclusionPath(leaves, m, from, from + k), treeHash(leaves, from + k, to)];
  return [...inclusionPath(leaves, m - k, from + k, to), treeHash(leaves, from, from + k)];
}

/** Recomputes the root from a leaf and its audit path (RFC 9162 section 2.1.3.2). */
export function rootFromPath(leaf: Buffer, m: number, n: number, path: readonly Buffer[]): Buffer | null {
  if (m >= n) return null;
  let fn = m;
  let sn = n - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}
