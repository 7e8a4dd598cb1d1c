import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Verify a DESIGN.md A4 signature with the openssl CLI — an implementation independent of ours.
 * Ed25519 signs the raw digest bytes; ECDSA and RSA take the digest as a SHA-256 prehash.
 */
export function opensslVerify(alg: string, publicKeyPem: string, digest: Buffer, signature: Buffer): boolean {
  const dir = mkdtempSync(join(tmpdir(), "openssl-verify-"));
  try {
    const pub = join(dir, "pub.pem");
    const data = join(dir, "digest.bin");
    const sig = join(dir, "sig.bin");
    writeFileSync(pub, publicKeyPem);
    writeFileSync(data, digest);
    writeFileSync(sig, signature);
    const base = ["pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", data, "-sigfile", sig];
    const args =
      alg === "ed25519"
        ? [...base, "-rawin"]
        : alg === "rsa-sha256"
          ? [...base, "-pkeyopt", "rsa_padding_mode:pkcs1", "-pkeyopt", "digest:sha256"]
          : [...base, "-pkeyopt", "digest:sha256"];
    const result = spawnSync("openssl", args, { encoding: "utf8" });
    if (result.error) throw result.error;
    return result.status === 0 && result.stdout.includes("Signature Verified Successfully");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** HMAC-SHA-256 of `data` under `key` computed by the openssl CLI. */
export function opensslHmac(key: Buffer, data: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "openssl-mac-"));
  try {
    const file = join(dir, "data.bin");
    writeFileSync(file, data);
    const result = spawnSync(
      "openssl",
      ["mac", "-digest", "SHA256", "-macopt", `hexkey:${key.toString("hex")}`, "-in", file, "HMAC"],
      { encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`openssl mac failed: ${result.stderr}`);
    return Buffer.from(result.stdout.trim(), "hex");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
