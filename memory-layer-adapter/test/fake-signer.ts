// A local stand-in for the signing proxy: signs audit digests with an in-memory Ed25519 key and
// publishes it in the /keys shape, so adapter tests run without a proxy process.
import { generateKeyPairSync, sign } from "node:crypto";
import type { SignersDocument, SignResult } from "@signing-proxy/client-sdk";

/** A fake signer: `fail` makes the next signs throw `failWith`; `calls` counts signs. */
export interface FakeSigner {
  readonly kid: string;
  readonly keys: SignersDocument;
  calls: number;
  failWith: unknown;
  signAuditDigest(digestHex: string): Promise<SignResult>;
  getKeys(): Promise<SignersDocument>;
}

/** A fake signer for `kid` (default `fake-ed25519`) with a fresh key. */
export function fakeSigner(kid = "fake-ed25519"): FakeSigner {
  const pair = generateKeyPairSync("ed25519");
  const pem = pair.publicKey.export({ type: "spki", format: "pem" }) as string;
  const signer: FakeSigner = {
    kid,
    calls: 0,
    failWith: undefined,
    keys: {
      signers: [
        {
          signer_kid: kid,
          algorithm: "ed25519",
          public_key_pem: pem,
          deployedAt: "2025-01-01T00:00:00.000Z",
          description: "fake",
          status: "active",
        },
      ],
    },
    async signAuditDigest(digestHex) {
      signer.calls++;
      if (signer.failWith !== undefined) throw signer.failWith;
      return {
        kid,
        alg: "ed25519",
        signature: sign(null, Buffer.from(digestHex, "hex"), pair.privateKey).toString("base64"),
        digestHex,
        signedAt: new Date().toISOString(),
        auditSeq: signer.calls,
      };
    },
    async getKeys() {
      if (signer.failWith !== undefined) throw signer.failWith;
      return signer.keys;
    },
  };
  return signer;
}
