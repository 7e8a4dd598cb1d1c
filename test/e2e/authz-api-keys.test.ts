import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { issueApiKey, scopeDigest } from "../../signer/src/auth/api-key-admin.js";
import { generateApiKey } from "../../signer/src/auth/api-key-token.js";
import { openApiKeyWriteSession } from "../../signer/src/cli/api-key-store.js";
import { loadConfig } from "../../signer/src/config/config.js";
import { runSigner } from "../helpers/cli.js";
import { createPgSchema, createSignerSetup, SIGN_KID, withPostgres } from "../helpers/process-fixture.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

const digestHex = "ef".repeat(32);
type Issued = {
  id: string;
  key: string;
  principal: string;
  permissions: string[];
  keys: string[];
  expiresAt: string;
};

describe("issued API keys as a second factor (SQLite, CLI next to a running service)", () => {
  let fx: ServiceFixture;
  let env: Record<string, string>;
  let issued: Issued;
  const sign = (key: string | undefined, kid = "k-ed25519", cn = "memory-layer", header = "x-api-key") =>
    call(fx.agent(cn), `${fx.service.url}/sign/hash`, {
      body: { digestHex, kid },
      headers: key === undefined ? {} : { [header]: header === "authorization" ? `Bearer ${key}` : key },
    });

  /** Issue a key in process (same code path as the CLI, without another tsx start-up). */
  async function issue(permissions: string[], keys: string[]) {
    const session = await openApiKeyWriteSession(loadConfig(env));
    try {
      return await issueApiKey(session, loadConfig(env).principals, {
        name: "test",
        principal: "memory-layer",
        permissions,
        keys,
        expiresInMs: 3_600_000,
      });
    } finally {
      await session.close();
    }
  }

  before(async () => {
    fx = await startFixture({
      configPatch: {
        principals: [
          {
            id: "memory-layer",
            match: { cn: "memory-layer" },
            roles: ["service"],
            keys: ["k-ed25519", "k-ecdsa"],
            requireApiKey: true,
          },
          { id: "auditor", match: { cn: "auditor" }, roles: ["Auditor"], keys: [] },
        ],
      },
    });
    env = { SIGNER_CONFIG: join(fx.dir, "config.json"), SIGNER_DATA_DIR: join(fx.dir, "data") };
  });
  after(async () => fx.close());

  test("requireApiKey: the certificate alone is refused (401)", async () => {
    const res = await sign(undefined);
    assert.equal(res.status, 401);
    assert.equal((res.body as { error: { code: string } }).error.code, "ERR_UNAUTHENTICATED");
  });

  test("`signer api-key generate --json` prints id, key, principal, permissions, keys, expiresAt once", () => {
    const out = runSigner(
      [
        "api-key",
        "generate",
        "--name",
        "ci",
        "--principal",
        "memory-layer",
        "--permissions",
        "sign:hash,verify",
        "--keys",
        "k-ed25519",
        "--expires-in",
        "1h",
        "--json",
      ],
      env,
    );
    assert.equal(out.status, 0, out.stderr);
    issued = JSON.parse(out.stdout) as Issued;
    assert.deepEqual(Object.keys(issued), ["id", "key", "principal", "permissions", "keys", "expiresAt"]);
    assert.match(issued.key, /^spk_[0-9a-f]{16}_/);
    assert.deepEqual(issued.permissions, ["sign:hash", "verify"]);
    assert.ok(Math.abs(Date.parse(issued.expiresAt) - Date.now() - 3_600_000) < 60_000);
  });

  test("with its key (x-api-key or Bearer) the principal signs, but only within the key's scope", async () => {
    assert.equal((await sign(issued.key)).status, 200);
    assert.equal((await sign(issued.key, "k-ed25519", "memory-layer", "authorization")).status, 200);
    // k-ecdsa is the principal's, but not the key's: the key narrows the request.
    assert.equal((await sign(issued.key, "k-ecdsa")).status, 403);
    const verifyOnly = await issue(["verify"], []);
    assert.equal((await sign(verifyOnly.key)).status, 403);
  });

  test("a wrong, tampered or another principal's key is refused, never ignored", async () => {
    const tampered = `${issued.key.slice(0, -2)}xx`;
    assert.equal((await sign(tampered)).status, 401);
    assert.equal(
      (await sign("spk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).status,
      401,
    );
    const asAuditor = await call(fx.agent("auditor"), `${fx.service.url}/keys`, {
      headers: { "x-api-key": issued.key },
    });
    assert.equal(asAuditor.status, 401, "a key is bound to its principal's certificate");
  });

  test("`list` shows scope and expiry, never the key or its hash", () => {
    const out = runSigner(["api-key", "list", "--json"], env);
    assert.equal(out.status, 0, out.stderr);
    const listed = (JSON.parse(out.stdout) as { apiKeys: Array<Record<string, unknown>> }).apiKeys;
    const entry = listed.find((k) => k.id === issued.id);
    assert.ok(entry);
    assert.equal(entry.principal, "memory-layer");
    assert.ok(!("key" in entry) && !("keyHash" in entry));
    assert.ok(!out.stdout.includes(issued.key.split("_")[2]!));
  });

  test("an expired key is refused although nobody revoked it", async () => {
    // Written straight to the store with a past expiry: no wall-clock race with a loaded machine.
    const { id, key, keyHash } = generateApiKey();
    const base = { name: "old", principal: "memory-layer", permissions: ["sign:hash"], keys: ["k-ed25519"] };
    const now = Date.now();
    await fx.service.deps.store.createApiKey({
      ...base,
      id,
      keyHash,
      createdAt: new Date(now - 7_200_000).toISOString(),
      expiresAt: new Date(now - 1000).toISOString(),
      revokedAt: null,
    });
    assert.equal((await sign(key)).status, 401);
  });

  test("`revoke` takes effect on the very next request over the same connection", async () => {
    assert.equal((await sign(issued.key)).status, 200);
    const out = runSigner(["api-key", "revoke", issued.id, "--json"], env);
    assert.equal(out.status, 0, out.stderr);
    assert.equal((JSON.parse(out.stdout) as { already: boolean }).already, false);
    const after = await sign(issued.key, "k-ed25519", "memory-layer", "x-api-key");
    assert.equal(after.status, 401);
  });

  test("generate and revoke are sealed audit events with the scope digest; the store never holds the key", async () => {
    const events = await fx.service.deps.store.readAuditEvents(0, 10_000);
    const mine = events.filter((e) => e.requestId === `apikey:${issued.id}`);
    assert.deepEqual(
      mine.map((e) => e.op),
      ["apikey.generate", "apikey.revoke"],
    );
    assert.match(mine[0]!.principal, /^cli:/);
    const record = await fx.service.deps.store.getApiKey(issued.id);
    assert.ok(record);
    assert.equal(mine[0]!.digestHex, scopeDigest(record));
    assert.ok(events.some((e) => e.op === "sign.hash" && e.result === "refused:ERR_UNAUTHENTICATED"));
    const secret = issued.key.split("_")[2]!;
    const dataDir = join(fx.dir, "data");
    for (const file of readdirSync(dataDir)) {
      assert.ok(!readFileSync(join(dataDir, file)).includes(secret), `${file} contains the key`);
    }
  });
});

withPostgres("API key revocation across replicas", (pgUrl) => {
  describe("revocation is effective immediately on every replica (shared PostgreSQL)", () => {
    test("two `signer serve` replicas accept a key, and both refuse it right after `api-key revoke`", async () => {
      const schema = await createPgSchema(pgUrl);
      const setup = await createSignerSetup({ databaseUrl: schema.url });
      try {
        const config = JSON.parse(readFileSync(setup.env.SIGNER_CONFIG!, "utf8")) as {
          principals: Array<Record<string, unknown>>;
        };
        config.principals[0] = { ...config.principals[0], requireApiKey: true };
        const configFile = join(setup.dir, "config-apikeys.json");
        writeFileSync(configFile, JSON.stringify(config));
        const env = { ...setup.env, SIGNER_CONFIG: configFile };
        const replicas = await Promise.all([setup.start(env), setup.start(env)]);
        const out = runSigner(
          [
            "api-key",
            "generate",
            "--name",
            "replicas",
            "--principal",
            "memory-layer",
            "--permissions",
            "sign:hash",
          ].concat(["--keys", SIGN_KID, "--expires-in", "10m", "--json"]),
          env,
        );
        assert.equal(out.status, 0, out.stderr);
        const { id, key } = JSON.parse(out.stdout) as Issued;
        const agents = replicas.map(() => setup.agent());
        const signOn = (i: number) =>
          call(agents[i], `${replicas[i]!.url}/sign/hash`, {
            body: { digestHex },
            headers: { "x-api-key": key },
          });
        assert.deepEqual([(await signOn(0)).status, (await signOn(1)).status], [200, 200]);
        const revoked = runSigner(["api-key", "revoke", id], env);
        assert.equal(revoked.status, 0, revoked.stderr);
        assert.deepEqual([(await signOn(0)).status, (await signOn(1)).status], [401, 401]);
        await Promise.all(replicas.map((r) => r.stop("SIGTERM")));
      } finally {
        await setup.close();
        await schema.drop();
      }
    });
  });
});
