// examples/memory-layer keeps working: its service against a real proxy (mTLS) and PostgreSQL.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SigningProxyClient } from "@signing-proxy/client-sdk";
import pg from "pg";
import { createMemoryService } from "../../examples/memory-layer/server.js";
import { migrate } from "../../memory-layer-adapter/src/index.js";
import { createPgSchema, type PgSchema, withPostgres } from "../helpers/process-fixture.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

withPostgres("memory-layer example", (pgUrl) => {
  describe("memory-layer example", { timeout: 30_000 }, () => {
    let fx: ServiceFixture;
    let schema: PgSchema;
    let pool: pg.Pool;
    let signer: SigningProxyClient;
    let server: ReturnType<typeof createMemoryService>;
    let base: string;
    before(async () => {
      fx = await startFixture();
      schema = await createPgSchema(pgUrl);
      pool = new pg.Pool({ connectionString: schema.url, max: 4 });
      await migrate(pool);
      const file = (ext: string) => readFileSync(join(fx.dir, "certs", `memory-layer.${ext}`));
      signer = new SigningProxyClient({
        url: fx.service.url,
        ca: fx.ca,
        cert: file("crt"),
        key: file("key"),
      });
      server = createMemoryService({ pool, signer });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((resolve) => server.close(resolve));
      await signer.close();
      await pool.end();
      await schema.drop();
      await fx.close();
    });

    test("writes are signed audit events; the chain verifies; readiness reflects the proxy", async () => {
      for (const text of ["hello", "wörld"]) {
        const res = await call(undefined, `${base}/memories`, { body: { text } });
        assert.equal(res.status, 201, res.text);
        assert.equal((res.body as { signerKid: string }).signerKid, "k-ed25519");
      }
      assert.deepEqual((await call(undefined, `${base}/audit/verify`)).body, { ok: true, count: 2 });
      assert.equal((await call(undefined, `${base}/readyz`)).status, 200);
      assert.match(
        (await call(undefined, `${base}/metrics`)).text,
        /# TYPE memory_audit_sign_failures_total counter/,
      );
      assert.equal((await call(undefined, `${base}/memories`, { body: { text: 1 } })).status, 400);
    });
  });
});
