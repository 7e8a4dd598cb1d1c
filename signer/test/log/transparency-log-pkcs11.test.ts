import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openCheckpoint, parseVerifierKey, verifyNote } from "@signing-proxy/client-sdk";
import { createSoftHsmToken, withSoftHsm } from "../../../test/helpers/softhsm.js";
import { AuditLog } from "../../src/audit/audit-log.js";
import { TransparencyLog } from "../../src/log/transparency-log.js";
import { createLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { KeyRegistry } from "../../src/registry/key-registry.js";
import { targetKinds, withTarget } from "../audit/db-targets.js";
import { keyConfig } from "../backends/pkcs11-fixture.js";

const ORIGIN = "signer.test/log-hsm";

withSoftHsm("transparency log with a PKCS#11 Ed25519 log key", () => {
  const token = createSoftHsmToken("log-key");
  token.toolKey("ed25519", "log-ed", "21");
  token.toolKey("ed25519", "audit-ed", "22");
  const keys = [
    keyConfig("ed25519", token.uri("log-ed"), { kid: "k-log" }),
    keyConfig("ed25519", token.uri("audit-ed"), { kid: "k-audit" }),
  ];

  for (const kind of targetKinds()) {
    describe(`checkpoints (${kind.name})`, { skip: kind.skip ?? false }, () => {
      test("in strict mode, checkpoints are signed on the token and verify with verifyNote", async () => {
        await withTarget(kind, async (t) => {
          const logger = createLogger("silent");
          // Strict (production) mode: software keys are refused, so this is the HSM path only.
          const registry = await KeyRegistry.open(t.store, keys, { strict: true, dataDir: t.dir });
          const log = await TransparencyLog.open({
            store: t.store,
            registry,
            logKid: "k-log",
            origin: ORIGIN,
            logger,
          });
          const audit = new AuditLog({
            store: t.store,
            auditKid: "k-audit",
            metrics: createMetrics(),
            logger,
            sealer: async () => (await registry.signer("k-audit")).backend,
          });
          try {
            await audit.record(
              Array.from({ length: 4 }, (_, i) => ({
                principal: "p",
                op: "sign.hash",
                kid: "k",
                alg: "ed25519",
                digestHex: String(i).repeat(64),
                result: "ok",
                requestId: `r${i}`,
              })),
            );
            const c = await log.checkpoint();
            assert.equal(c.size, 4);
            const vk = parseVerifierKey(log.verifierKey);
            const { text, signedBy } = verifyNote(c.note, [vk]);
            assert.deepEqual(signedBy, [ORIGIN]);
            assert.ok(text.startsWith(`${ORIGIN}\n4\n`));
            assert.equal(openCheckpoint(c.note, [vk], ORIGIN).size, 4);
            // The verifier key is the token key's public half.
            const pub = await (await registry.signer("k-log")).backend.publicKey();
            assert.ok(pub?.equals(vk.publicKey));
          } finally {
            await audit.close();
            await log.close();
            await registry.close();
          }
        });
      });
    });
  }
});
