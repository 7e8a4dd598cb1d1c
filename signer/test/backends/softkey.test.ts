import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Alg } from "../../src/algorithms.js";
import {
  BackendConfigError,
  type BackendContext,
  BackendUnavailableError,
} from "../../src/backends/backend.js";
import { generateSoftKeyPem } from "../../src/backends/generate-softkey.js";
import { createBackend, registerBackend, registeredSchemes } from "../../src/backends/registry.js";
import { DEV_KEY_MARKER } from "../../src/backends/softkey/dev-marker.js";
import { Secret } from "../../src/config/secret.js";
import type { KeyConfig } from "../../src/config/types.js";
import { runBackendConformance } from "./conformance.js";
import { testKeyConfig } from "./key-config.js";

const dir = mkdtempSync(join(tmpdir(), "softkey-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const DEV: BackendContext = { strict: false, dataDir: dir };
const STRICT: BackendContext = { strict: true, dataDir: dir };

/** A KeyConfig as config builds it. */
function keyConfig(alg: Alg, uri: string, extra: Partial<KeyConfig> = {}): KeyConfig {
  return testKeyConfig("test", alg, uri, extra);
}

function writeKey(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes, { mode: 0o600 });
  return path;
}

function openssl(...args: string[]): Buffer {
  return execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
}

/** HMAC secrets by kid, so the conformance suite can check MACs with the openssl CLI. */
const hmacSecrets = new Map<string, Buffer>();
const hmacSecret = (backend: { kid: string }): Buffer | undefined => hmacSecrets.get(backend.kid);

let fileCounter = 0;
async function fileBackend(alg: Alg, material: Buffer) {
  const key = keyConfig(alg, `softkey:file=${writeKey(`${alg}-${++fileCounter}.key`, material)}`);
  if (alg === "hmac-sha256") hmacSecrets.set(key.kid, material);
  return createBackend(key, DEV);
}

runBackendConformance(
  "softkey (generateSoftKeyPem, file=)",
  (alg) => fileBackend(alg, generateSoftKeyPem(alg)),
  {
    hmacSecret,
  },
);

/** Keys as operators make them with the openssl 3 CLI, in its various PEM flavours. */
const OPENSSL_KEYS: Readonly<Record<Alg, () => Buffer>> = {
  ed25519: () => openssl("genpkey", "-algorithm", "ed25519"), // PKCS#8
  "ecdsa-sha256": () => openssl("ecparam", "-name", "prime256v1", "-genkey"), // EC PARAMETERS + SEC1
  "rsa-sha256": () => openssl("genrsa", "-traditional", "2048"), // PKCS#1 (OpenSSL 3 defaults to PKCS#8)
  "hmac-sha256": () => openssl("rand", "32"),
};

describe("openssl CLI key formats", () => {
  test("the openssl-made keys really are PKCS#8, SEC1 and PKCS#1", () => {
    assert.match(OPENSSL_KEYS.ed25519().toString(), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(OPENSSL_KEYS["ecdsa-sha256"]().toString(), /-----BEGIN EC PRIVATE KEY-----/);
    assert.match(OPENSSL_KEYS["rsa-sha256"]().toString(), /^-----BEGIN RSA PRIVATE KEY-----/);
  });
});

runBackendConformance("softkey (openssl CLI keys, file=)", (alg) => fileBackend(alg, OPENSSL_KEYS[alg]()), {
  hmacSecret,
});

runBackendConformance(
  "softkey (inline secret)",
  async (alg) => {
    const material = generateSoftKeyPem(alg, { rsaModulusBits: 2048 });
    const key = keyConfig(alg, "softkey:inline", { secret: new Secret(material) });
    if (alg === "hmac-sha256") hmacSecrets.set(key.kid, material);
    return createBackend(key, DEV);
  },
  { hmacSecret },
);

/** Expect createBackend to refuse `key` with a BackendConfigError naming the kid and matching `pattern`. */
async function refuses(key: KeyConfig, ctx: BackendContext, pattern: RegExp): Promise<void> {
  await assert.rejects(createBackend(key, ctx), (err: unknown) => {
    assert.ok(err instanceof BackendConfigError, String(err));
    assert.equal(err.kid, key.kid);
    assert.match(err.message, new RegExp(`^key ${key.kid}: `));
    assert.match(err.message, pattern);
    return true;
  });
}

describe("softkey refusals", () => {
  const ed25519Pem = generateSoftKeyPem("ed25519");

  test("a key whose type does not match the alg", async () => {
    const edFile = writeKey("mismatch-ed.pem", ed25519Pem);
    await refuses(
      keyConfig("ecdsa-sha256", `softkey:file=${edFile}`),
      DEV,
      /alg is ecdsa-sha256 but the key is an ed25519 key/,
    );
    await refuses(
      keyConfig("rsa-sha256", `softkey:file=${edFile}`),
      DEV,
      /alg is rsa-sha256 but the key is an ed25519 key/,
    );
    const ecFile = writeKey("mismatch-ec.pem", generateSoftKeyPem("ecdsa-sha256"));
    await refuses(
      keyConfig("ed25519", `softkey:file=${ecFile}`),
      DEV,
      /alg is ed25519 but the key is an EC prime256v1 key/,
    );
    await refuses(
      keyConfig("hmac-sha256", `softkey:file=${edFile}`),
      DEV,
      /PEM document, but alg is hmac-sha256/,
    );
    const raw = writeKey("raw-secret.bin", randomBytes(32));
    await refuses(keyConfig("ed25519", `softkey:file=${raw}`), DEV, /needs a PEM private key/);
  });

  test("a P-384 key for ecdsa-sha256", async () => {
    const pem = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    });
    await refuses(
      keyConfig("ecdsa-sha256", `softkey:file=${writeKey("p384.pem", pem)}`),
      DEV,
      /P-256 \(prime256v1\) key, not an EC secp384r1 key/,
    );
  });

  test("an RSA-1024 key", async () => {
    const pem = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
      type: "pkcs1",
      format: "pem",
    });
    await refuses(
      keyConfig("rsa-sha256", `softkey:file=${writeKey("rsa1024.pem", pem)}`),
      DEV,
      /at least 2048 bits, not 1024/,
    );
  });

  test("an HMAC secret shorter than 32 bytes, from a file or inline, without echoing it", async () => {
    const short = Buffer.from("0123456789abcdef0123456789abcde"); // 31 bytes
    await refuses(
      keyConfig("hmac-sha256", `softkey:file=${writeKey("short.bin", short)}`),
      DEV,
      /at least 32 bytes \(got 31\)/,
    );
    const inline = keyConfig("hmac-sha256", "softkey:inline", { secret: new Secret(short) });
    await assert.rejects(createBackend(inline, DEV), (err: Error) => !err.message.includes(short.toString()));
    await refuses(inline, DEV, /at least 32 bytes/);
  });

  test("an encrypted PEM and an unreadable one", async () => {
    const encrypted = openssl("genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:secret");
    await refuses(
      keyConfig("ed25519", `softkey:file=${writeKey("enc.pem", encrypted)}`),
      DEV,
      /encrypted PEM/,
    );
    const garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    await refuses(
      keyConfig("ed25519", `softkey:file=${writeKey("garbage.pem", garbage)}`),
      DEV,
      /not a readable PEM private key/,
    );
  });

  test("a missing file names the path", async () => {
    const path = join(dir, "does-not-exist.pem");
    await refuses(
      keyConfig("ed25519", `softkey:file=${path}`),
      DEV,
      new RegExp(`cannot read key file ${path} \\(ENOENT\\)`),
    );
  });

  test("malformed softkey URIs, and env=/inline without resolved material", async () => {
    for (const uri of ["softkey:", "softkey:file=", "softkey:env=", "softkey:env=1BAD", "softkey:path=/x"]) {
      await refuses(keyConfig("ed25519", uri), DEV, /softkey/);
    }
    await refuses(
      keyConfig("ed25519", "softkey:env=AUDIT_KEY"),
      DEV,
      /environment variable AUDIT_KEY was not resolved/,
    );
    await refuses(keyConfig("ed25519", "softkey:inline"), DEV, /inline key material was not resolved/);
  });

  test("an unknown scheme or a URI without one, naming only the scheme", async () => {
    await refuses(
      keyConfig("ed25519", "vault:secret/data/pin=1234"),
      DEV,
      /unknown key backend vault: \(expected .*softkey:/,
    );
    await assert.rejects(
      createBackend(keyConfig("ed25519", "vault:secret/pin=1234"), DEV),
      (err: Error) => !err.message.includes("1234"),
    );
    await refuses(keyConfig("ed25519", "/run/keys/audit.pem"), DEV, /no scheme/);
  });
});

describe("softkey in strict mode", () => {
  const hint = /awskms: or pkcs11:.*AUDIT_SIGNING_PRIVATE_KEY as an emergency key/;

  test("a non-emergency softkey is refused", async () => {
    const file = writeKey("strict.pem", generateSoftKeyPem("ed25519"));
    await refuses(
      keyConfig("ed25519", `softkey:file=${file}`),
      STRICT,
      /software keys \(softkey:\) are for dev\/CI only/,
    );
    await refuses(keyConfig("ed25519", `softkey:file=${file}`), STRICT, hint);
    const hmac = keyConfig("hmac-sha256", "softkey:inline", { secret: new Secret(randomBytes(32)) });
    await refuses(hmac, STRICT, hint);
  });

  test("a mock/dev key is refused even when marked emergency", async () => {
    const key = keyConfig("ed25519", "softkey:inline", {
      secret: new Secret(generateSoftKeyPem("ed25519")),
      dev: true,
      emergency: true,
      source: "MOCK_AUDIT_SIGNING_KEY",
    });
    await refuses(key, STRICT, /mock\/dev key \(MOCK_AUDIT_SIGNING_KEY\)/);
  });

  test("a key carrying the signer dev marker is refused, even as the emergency key", async () => {
    const marked = generateSoftKeyPem("ed25519", { devMarker: true });
    const key = keyConfig("ed25519", "softkey:inline", { secret: new Secret(marked), emergency: true });
    await refuses(key, STRICT, /'signer dev' key \(it carries the dev marker\)/);
  });

  test("the emergency key is allowed and signs", async () => {
    const key = keyConfig("ecdsa-sha256", "softkey:inline", {
      secret: new Secret(generateSoftKeyPem("ecdsa-sha256")),
      emergency: true,
      source: "AUDIT_SIGNING_PRIVATE_KEY",
    });
    const backend = await createBackend(key, STRICT);
    const digest = randomBytes(32);
    assert.equal(await backend.verify(digest, await backend.sign(digest)), true);
    await backend.close();
  });

  test("outside strict mode a dev-marked key works", async () => {
    const file = writeKey("dev-marked.pem", generateSoftKeyPem("ed25519", { devMarker: true }));
    const backend = await createBackend(keyConfig("ed25519", `softkey:file=${file}`), DEV);
    await backend.healthCheck();
    await backend.close();
  });
});

describe("softkey backend behaviour", () => {
  test("the public KeyObject is imported once and reused", async () => {
    const backend = await fileBackend("ed25519", generateSoftKeyPem("ed25519"));
    assert.equal(await backend.publicKey(), await backend.publicKey());
    await backend.close();
  });

  test("after close() it neither signs nor answers health checks", async () => {
    const backend = await fileBackend("hmac-sha256", generateSoftKeyPem("hmac-sha256"));
    await backend.close();
    await assert.rejects(backend.sign(randomBytes(32)), BackendUnavailableError);
    await assert.rejects(backend.healthCheck(), BackendUnavailableError);
  });

  test("PEM with literal \\n escapes (as pasted into env files) is accepted inline", async () => {
    const escaped = generateSoftKeyPem("ed25519").toString().trimEnd().replaceAll("\n", "\\n");
    const key = keyConfig("ed25519", "softkey:env=AUDIT_KEY", { secret: new Secret(escaped) });
    const backend = await createBackend(key, DEV);
    await backend.healthCheck();
    await backend.close();
  });
});

describe("generateSoftKeyPem", () => {
  test("the dev marker is an explanatory line before -----BEGIN that openssl and node both read past", () => {
    const marked = generateSoftKeyPem("ecdsa-sha256", { devMarker: true }).toString();
    assert.ok(marked.startsWith(`${DEV_KEY_MARKER}\n-----BEGIN PRIVATE KEY-----\n`));
    const file = writeKey("marked-openssl.pem", marked);
    assert.match(openssl("pkey", "-in", file, "-pubout").toString(), /^-----BEGIN PUBLIC KEY-----/);
    assert.ok(!generateSoftKeyPem("ed25519").toString().includes(DEV_KEY_MARKER));
  });

  test("HMAC secrets are 32 random bytes and cannot carry the marker", () => {
    const a = generateSoftKeyPem("hmac-sha256");
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, generateSoftKeyPem("hmac-sha256"));
    assert.throws(() => generateSoftKeyPem("hmac-sha256", { devMarker: true }), TypeError);
  });

  test("RSA defaults to 3072 bits and refuses less than 2048", () => {
    const file = writeKey("rsa-default.pem", generateSoftKeyPem("rsa-sha256"));
    assert.match(openssl("pkey", "-in", file, "-noout", "-text").toString(), /3072 bit/);
    assert.throws(() => generateSoftKeyPem("rsa-sha256", { rsaModulusBits: 1024 }), TypeError);
  });
});

describe("backend registry", () => {
  test("softkey is registered by default; a scheme cannot be registered twice", () => {
    assert.ok(registeredSchemes().includes("softkey"));
    assert.throws(
      () => registerBackend("softkey", async () => assert.fail("unreachable")),
      /already registered/,
    );
    assert.throws(() => registerBackend("Bad Scheme", async () => assert.fail("unreachable")), TypeError);
  });

  test("a registered scheme is chosen by the text before the first colon", async () => {
    const seen: string[] = [];
    registerBackend("test-fake", async (key, ctx) => {
      seen.push(key.uri);
      return createBackend({ ...key, uri: "softkey:inline" }, ctx);
    });
    const secret = new Secret(randomBytes(32));
    const backend = await createBackend(keyConfig("hmac-sha256", "test-fake:a:b=c", { secret }), DEV);
    assert.deepEqual(seen, ["test-fake:a:b=c"]);
    await backend.close();
  });

  test("a backend answering for another alg is refused", async () => {
    registerBackend("test-wrong-alg", async (key, ctx) =>
      createBackend({ ...key, uri: "softkey:inline", alg: "hmac-sha256" }, ctx),
    );
    const key = keyConfig("ed25519", "test-wrong-alg:x", { secret: new Secret(randomBytes(32)) });
    await refuses(key, DEV, /returned .*\/hmac-sha256/);
  });
});
