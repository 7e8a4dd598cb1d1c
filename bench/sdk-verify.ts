// `node --conditions=source --import tsx bench/sdk-verify.ts [--quick]`: offline verification speed of
// the client SDK, one core. Compares node:crypto with @noble/curves for Ed25519 (the question the SDK
// had to answer: which one verifyDigest uses) and times verifyDigest itself for every asymmetric alg.
import {
  constants,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  publicDecrypt,
  sign,
  verify,
} from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256 } from "@noble/curves/nist.js";
import { type SignatureAlg, verifyDigest, verifyEd25519Portable } from "../client-sdk/src/index.js";

const quick = process.argv.includes("--quick");
const roundMs = quick ? 100 : 300;
const rounds = 5;

/**
 * Operations per second of `fn`: the best of `rounds` timed rounds after a warm-up, so a busy
 * machine's noise (other processes taking the core) is filtered out. `fn` must return true.
 */
function rate(fn: () => boolean): number {
  for (let i = 0; i < 50; i++) if (!fn()) throw new Error("verification failed during warm-up");
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    const end = start + roundMs;
    while (performance.now() < end) {
      for (let i = 0; i < 10; i++) fn();
      n += 10;
    }
    best = Math.max(best, n / ((performance.now() - start) / 1000));
  }
  return best;
}

const digest = createHash("sha256").update("bench").digest();
const digestHex = digest.toString("hex");
const pemOf = (k: KeyObject): string => k.export({ type: "spki", format: "pem" }) as string;

const ed = generateKeyPairSync("ed25519");
const edSig = sign(null, digest, ed.privateKey);
const edRaw = Uint8Array.from(Buffer.from(ed.publicKey.export({ format: "jwk" }).x ?? "", "base64url"));
const edPem = pemOf(ed.publicKey);

const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ecSecret = Buffer.from(ec.privateKey.export({ format: "jwk" }).d ?? "", "base64url");
const ecSig = p256.sign(digest, ecSecret, { prehash: false, format: "der" });
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsaSig = sign("sha256", Buffer.from("bench"), rsa.privateKey);

const rows: Array<[string, number]> = [
  ["ed25519  node:crypto verify (KeyObject)", rate(() => verify(null, digest, ed.publicKey, edSig))],
  [
    "ed25519  @noble/curves verify (raw key, zip215:false)",
    rate(() => ed25519.verify(edSig, digest, edRaw, { zip215: false })),
  ],
  ["ed25519  verifyEd25519Portable (PEM, noble)", rate(() => verifyEd25519Portable(edPem, digest, edSig))],
];
const viaSdk = (alg: SignatureAlg, publicKey: string, signature: Uint8Array) => () =>
  verifyDigest({ alg, publicKey, digestHex, signature });
rows.push(
  ["ed25519  verifyDigest (PEM, node:crypto)", rate(viaSdk("ed25519", edPem, edSig))],
  [
    "ecdsa-sha256 verifyDigest (PEM, noble prehash)",
    rate(viaSdk("ecdsa-sha256", pemOf(ec.publicKey), ecSig)),
  ],
  ["rsa-sha256 verifyDigest (PEM, publicDecrypt)", rate(viaSdk("rsa-sha256", pemOf(rsa.publicKey), rsaSig))],
  [
    "rsa-sha256 node:crypto publicDecrypt alone",
    rate(
      () => publicDecrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_PADDING }, rsaSig).length > 0,
    ),
  ],
);

const width = Math.max(...rows.map(([name]) => name.length));
process.stdout.write(
  `offline verification, ${process.version}, one core, best of ${rounds} rounds of ${roundMs} ms\n`,
);
for (const [name, opsPerSec] of rows) {
  const us = 1e6 / opsPerSec;
  process.stdout.write(
    `${name.padEnd(width)}  ${Math.round(opsPerSec).toString().padStart(7)}/s  ${us.toFixed(1).padStart(7)} µs\n`,
  );
}
