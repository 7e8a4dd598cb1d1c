import { EMPTY_ROOT, nodeHash, splitPoint } from "@signing-proxy/client-sdk";

/**
 * An append-only RFC 9162 Merkle tree held in memory with every complete subtree hash, so roots
 * and proofs for any size cost O(log² n) hashes instead of rebuilding the tree. Memory is about
 * 2 × 32 bytes per leaf plus array overhead (≈ 150 MB per million events); see
 * docs/transparency-log.md for the cap and the plan to keep subtree hashes in the store instead.
 */
export class MerkleTree {
  /** levels[h][i] = hash of the complete subtree of 2^h leaves starting at leaf i·2^h. */
  readonly #levels: Buffer[][] = [[]];

  /** Number of leaves. */
  get size(): number {
    return this.#levels[0]!.length;
  }

  /** Append one leaf hash (32 bytes), completing every subtree it closes. */
  append(leaf: Buffer): void {
    if (leaf.length !== 32) throw new RangeError("leaf hash must be 32 bytes");
    let h = 0;
    let hash = leaf;
    for (;;) {
      const level = this.#levels[h] ?? [];
      this.#levels[h] = level;
      level.push(hash);
      const i = level.length - 1;
      // An odd index closes the pair (i-1, i): its parent is now complete one level up.
      if (i % 2 === 0) return;
      hash = nodeHash(level[i - 1]!, hash);
      h++;
    }
  }

  /** MTH of the first `size` leaves. */
  root(size: number = this.size): Buffer {
    this.#checkSize(size);
    return size === 0 ? Buffer.from(EMPTY_ROOT) : this.#mth(0, size);
  }

  /** RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size`. */
  inclusionProof(index: number, size: number): Buffer[] {
    this.#checkSize(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size)
      throw new RangeError("index out of range");
    const proof: Buffer[] = [];
    this.#path(index, 0, size, proof);
    return proof;
  }

  /** RFC 9162 §2.1.4.1 consistency proof between sizes `from` and `to` (0 < from ≤ to). */
  consistencyProof(from: number, to: number): Buffer[] {
    this.#checkSize(to);
    if (!Number.isSafeInteger(from) || from < 1 || from > to) throw new RangeError("from out of range");
    const proof: Buffer[] = [];
    this.#subproof(from, 0, to, true, proof);
    return proof;
  }

  #checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size)
      throw new RangeError("size out of range");
  }

  /** MTH(D[lo:hi]); perfect, aligned subtrees come straight from the levels. */
  #mth(lo: number, hi: number): Buffer {
    const n = hi - lo;
    const h = Math.log2(n);
    if (Number.isInteger(h)) return this.#levels[h]![lo / n]!;
    const k = splitPoint(n);
    return nodeHash(this.#mth(lo, lo + k), this.#mth(lo + k, hi));
  }

  #path(m: number, lo: number, hi: number, out: Buffer[]): void {
    const n = hi - lo;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      this.#path(m, lo, lo + k, out);
      out.push(this.#mth(lo + k, hi));
    } else {
      this.#path(m - k, lo + k, hi, out);
      out.push(this.#mth(lo, lo + k));
    }
  }

  #subproof(m: number, lo: number, hi: number, whole: boolean, out: Buffer[]): void {
    const n = hi - lo;
    if (m === n) {
      if (!whole) out.push(this.#mth(lo, hi));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.#subproof(m, lo, lo + k, whole, out);
      out.push(this.#mth(lo + k, hi));
    } else {
      this.#subproof(m - k, lo + k, hi, false, out);
      out.push(this.#mth(lo, lo + k));
    }
  }
}
