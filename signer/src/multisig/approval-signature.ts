import { isSignerError, SignerError } from "../errors.js";
import type { KeyRegistry } from "../registry/key-registry.js";
import type { ApprovalMode } from "../store/multisig-records.js";

/** An approval signature over a proposal digest, made or checked. */
export interface ApprovalSignature {
  readonly alg: string;
  readonly signature: string;
  readonly mode: ApprovalMode;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The signature of `kid` over `digestHex`: made by the key's backend (any kind: softkey, PKCS#11,
 * KMS) when `detached` is undefined, else the detached signature once it verifies against the
 * registered key. Refuses with a SignerError; backend outages become ERR_BACKEND_UNAVAILABLE.
 */
export async function approvalSignature(
  registry: KeyRegistry,
  kid: string,
  digestHex: string,
  detached: string | undefined,
): Promise<ApprovalSignature> {
  const digest = Buffer.from(digestHex, "hex");
  if (detached !== undefined) {
    // Canonical base64 only, so one signature has one spelling in the proof.
    if (!BASE64.test(detached)) throw new SignerError("ERR_VALIDATION", "signature must be standard base64");
    const { valid, alg } = await registry.verify(kid, digest, Buffer.from(detached, "base64"));
    // A detached approval is only as good as its signature: check it before it can count.
    if (!valid) {
      throw new SignerError(
        "ERR_VALIDATION",
        `signature does not verify with key ${kid} over the proposal digest`,
      );
    }
    return { alg, signature: detached, mode: "detached" };
  }
  const { backend, record } = await registry.signer(kid);
  try {
    const signature = await backend.sign(digest);
    return { alg: record.alg, signature: signature.toString("base64"), mode: "proxy" };
  } catch (err) {
    if (isSignerError(err)) throw err;
    throw new SignerError("ERR_BACKEND_UNAVAILABLE", `key ${kid} could not sign`, { cause: err });
  }
}
