import { createHash, timingSafeEqual } from "node:crypto";

/**
 * RFC 6962 / RFC 9162 §2.1 Merkle tree hashing and proof verification. Sizes and indexes are plain
 * numbers; they are shifted with division, not `>>`, because JS bit operators truncate to 32 bits.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256 of the empty string: the root of an empty tree (RFC 9162 §2.1.1). */
export const EMPTY_ROOT: Buffer = createHash("sha256").digest();

/** MTH of one entry: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash("sha256").update(LEAF_PREFIX).update(data).digest();
}

/** Interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}

/** Largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) from leaf hashes, per RFC 9162 §2.1.1 (O(n); for tests and small trees). */
export function rootFromLeafHashes(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return Buffer.from(EMPTY_ROOT);
  if (leaves.length === 1) return Buffer.from(leaves[0]!);
  const k = splitPoint(leaves.length);
  return nodeHash(rootFromLeafHashes(leaves.slice(0, k)), rootFromLeafHashes(leaves.slice(k)));
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);
const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  // Every hash is 32 bytes; a different length is a malformed input, not a near miss.
  return a.length === 32 && b.length === 32 && timingSafeEqual(a, b);
}

/**
 * RFC 9162 §2.1.3.2: true when `proof` shows the leaf hash at `index` is in the tree of `size`
 * whose root is `root`. Any malformed input is false, never a throw.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isSize(index) || !isSize(size) || index >= size) return false;
  if (proof.some((p) => p.length !== 32) || leaf.length !== 32) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(r, root);
}

/**
 * RFC 9162 §2.1.4.2: true when `proof` shows the tree of `size2` (root2) extends the tree of
 * `size1` (root1) — same first size1 entries, nothing rewritten or removed.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!isSize(size1) || !isSize(size2) || size2 < size1) return false;
  if (proof.some((p) => p.length !== 32)) return false;
  // An empty tree is consistent with everything, so a "proof" from it proves nothing: refused.
  if (size1 === 0) return false;
  // Equal sizes: nothing to prove, the roots must be byte-identical.
  if (size1 === size2) return proof.length === 0 && Buffer.from(root1).equals(root2);
  if (proof.length === 0) return false;
  const path: Uint8Array[] = [...proof];
  const isPowerOfTwo = size1 === 2 ** Math.round(Math.log2(size1));
  if (isPowerOfTwo) path.unshift(root1);
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(fr, root1) && sameHash(sr, root2);
}
