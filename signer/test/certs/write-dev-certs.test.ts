import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { certSerialHex, createDevCa, issueClientCert } from "../../src/certs/dev-pki.js";
import { DEV_CLIENT_CN, DEV_CLIENT_SAN_URI, writeDevCerts } from "../../src/certs/write-dev-certs.js";
import { certText, mtlsHandshake, openssl, tempDir } from "./helpers.js";

const mode = (path: string) => statSync(path).mode & 0o777;
const read = (path: string) => readFileSync(path, "utf8");
const SCRIPT = new URL("../../../certs/make-dev-certs.sh", import.meta.url).pathname;

describe("writeDevCerts", () => {
  const tmp = tempDir("write-dev-certs");
  after(() => tmp.cleanup());

  it("writes the A1 layout with a 0700 directory and 0600 keys", async () => {
    const out = join(tmp.dir, "layout", "certs");
    const paths = await writeDevCerts(out, { clients: [{ cn: "op-alice", sanUri: "spiffe://ops/alice" }] });
    assert.deepEqual(readdirSync(out).sort(), [
      "ca.crt",
      "ca.key",
      "client.crt",
      "client.key",
      "op-alice.crt",
      "op-alice.key",
      "server.crt",
      "server.key",
    ]);
    assert.equal(paths.caCert, join(out, "ca.crt"));
    assert.equal(paths.serverKey, join(out, "server.key"));
    assert.deepEqual(paths.clients[DEV_CLIENT_CN], {
      cert: join(out, "client.crt"),
      key: join(out, "client.key"),
    });
    assert.equal(mode(out), 0o700);
    for (const key of ["ca.key", "server.key", "client.key", "op-alice.key"])
      assert.equal(mode(join(out, key)), 0o600);
    assert.equal(mode(join(out, "ca.crt")), 0o644);

    const verify = openssl(["verify", "-CAfile", "ca.crt", "server.crt", "client.crt", "op-alice.crt"], out);
    assert.equal(verify.status, 0, verify.output);
    assert.match(
      certText(read(join(out, "client.crt"))),
      new RegExp(`CN = ${DEV_CLIENT_CN}[\\s\\S]*URI:${DEV_CLIENT_SAN_URI}`),
    );
    assert.match(certText(read(join(out, "op-alice.crt"))), /URI:spiffe:\/\/ops\/alice/);

    // The files on disk work as-is for mutual TLS.
    const outcome = await mtlsHandshake({
      server: { key: read(paths.serverKey), cert: read(paths.serverCert), ca: read(paths.caCert) },
      client: {
        key: read(join(out, "client.key")),
        cert: read(join(out, "client.crt")),
        ca: read(paths.caCert),
      },
    });
    assert.equal(outcome.accepted, true);
    assert.equal(outcome.peer?.subject.CN, DEV_CLIENT_CN);
  });

  it("keeps existing files across runs and issues only the missing clients from the same CA", async () => {
    const out = join(tmp.dir, "idempotent");
    await writeDevCerts(out);
    const names = ["ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"];
    const before = new Map(names.map((n) => [n, read(join(out, n))]));
    const paths = await writeDevCerts(out, { clients: [{ cn: "memory-layer" }] });
    for (const n of names) assert.equal(read(join(out, n)), before.get(n), `${n} was rewritten`);
    assert.ok(paths.clients["memory-layer"]);
    assert.equal(openssl(["verify", "-CAfile", "ca.crt", "memory-layer.crt"], out).status, 0);
    const again = read(join(out, "memory-layer.crt"));
    await writeDevCerts(out, { clients: [{ cn: "memory-layer" }] });
    assert.equal(read(join(out, "memory-layer.crt")), again);
  });

  it("regenerates everything, CA included, with force", async () => {
    const out = join(tmp.dir, "force");
    await writeDevCerts(out);
    const oldCa = read(join(out, "ca.crt"));
    await writeDevCerts(out, { force: true });
    assert.notEqual(read(join(out, "ca.crt")), oldCa);
    assert.equal(openssl(["verify", "-CAfile", "ca.crt", "server.crt", "client.crt"], out).status, 0);
  });

  it("re-issues a leaf that is expired or not from this CA, keeping the CA", async () => {
    const out = join(tmp.dir, "repair");
    await writeDevCerts(out);
    const ca = { certPem: read(join(out, "ca.crt")), keyPem: read(join(out, "ca.key")) };
    const day = 86_400_000;
    const expired = await issueClientCert(ca, {
      commonName: DEV_CLIENT_CN,
      notBefore: new Date(Date.now() - 10 * day),
      notAfter: new Date(Date.now() - day),
    });
    writeFileSync(join(out, "client.crt"), expired.certPem);
    writeFileSync(join(out, "client.key"), expired.keyPem);
    const foreign = await issueClientCert(await createDevCa(), { commonName: "memory-layer" });
    writeFileSync(join(out, "memory-layer.crt"), foreign.certPem);
    writeFileSync(join(out, "memory-layer.key"), foreign.keyPem);
    await writeDevCerts(out, { clients: [{ cn: "memory-layer" }] });
    assert.equal(read(join(out, "ca.crt")), ca.certPem);
    assert.notEqual(certSerialHex(read(join(out, "client.crt"))), certSerialHex(expired.certPem));
    const verify = openssl(["verify", "-CAfile", "ca.crt", "client.crt", "memory-layer.crt"], out);
    assert.equal(verify.status, 0, verify.output);
  });

  it("narrows a reused key file to 0600", async () => {
    const out = join(tmp.dir, "modes");
    await writeDevCerts(out);
    chmodSync(join(out, "server.key"), 0o644);
    await writeDevCerts(out);
    assert.equal(mode(join(out, "server.key")), 0o600);
  });

  it("refuses client CNs that would escape the directory or overwrite the fixed layout", async () => {
    const out = join(tmp.dir, "refusals");
    for (const cn of ["ca", "Server", "client", "../evil", "a/b", ".hidden", "", DEV_CLIENT_CN]) {
      await assert.rejects(writeDevCerts(out, { clients: [{ cn }] }), TypeError, cn);
    }
    await assert.rejects(writeDevCerts(out, { clients: [{ cn: "x" }, { cn: "x" }] }), TypeError);
    await assert.rejects(writeDevCerts(out, { clients: [{ cn: "x", sanUri: "no scheme" }] }), TypeError);
    assert.equal(existsSync(join(tmp.dir, "evil.crt")), false);
  });

  it("refuses to replace half a CA", async () => {
    const out = join(tmp.dir, "half");
    await writeDevCerts(out);
    rmSync(join(out, "ca.key"));
    await assert.rejects(writeDevCerts(out), /ca\.key is missing/);
  });
});

describe("certs/make-dev-certs.sh", () => {
  const tmp = tempDir("make-dev-certs");
  after(() => tmp.cleanup());
  const out = join(tmp.dir, "out");

  it("produces the same layout, and certificates openssl verify accepts", () => {
    execFileSync("bash", [SCRIPT, out, "memory-layer", "op-bob=spiffe://ops/bob"], { stdio: "pipe" });
    const crts = ["server.crt", "client.crt", "memory-layer.crt", "op-bob.crt"];
    const verify = openssl(["verify", "-CAfile", "ca.crt", ...crts], out);
    assert.equal(verify.status, 0, verify.output);
    assert.equal(mode(out), 0o700);
    for (const key of ["ca.key", "server.key", "client.key", "op-bob.key"]) {
      assert.equal(mode(join(out, key)), 0o600);
      assert.match(read(join(out, key)), /^-----BEGIN PRIVATE KEY-----/);
    }
    const ca = certText(read(join(out, "ca.crt")));
    assert.match(ca, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(ca, /ASN1 OID: prime256v1/);
    const server = certText(read(join(out, "server.crt")));
    assert.match(server, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    assert.match(server, /TLS Web Server Authentication/);
    assert.match(certText(read(join(out, "client.crt"))), new RegExp(`URI:${DEV_CLIENT_SAN_URI}`));
    const bob = certText(read(join(out, "op-bob.crt")));
    assert.match(bob, /URI:spiffe:\/\/ops\/bob/);
    assert.match(bob, /TLS Web Client Authentication/);
  });

  it("reuses its CA on a second run, and writeDevCerts can extend its output", async () => {
    const caBefore = read(join(out, "ca.crt"));
    const clientBefore = read(join(out, "client.crt"));
    execFileSync("bash", [SCRIPT, out, "memory-layer", "carol"], { stdio: "pipe" });
    assert.equal(read(join(out, "ca.crt")), caBefore);
    await writeDevCerts(out, { clients: [{ cn: "dave", sanUri: "spiffe://ops/dave" }] });
    assert.equal(read(join(out, "ca.crt")), caBefore);
    assert.equal(read(join(out, "client.crt")), clientBefore, "the script's client cert is reused as-is");
    const verify = openssl(["verify", "-CAfile", "ca.crt", "carol.crt", "dave.crt"], out);
    assert.equal(verify.status, 0, verify.output);
  });

  it("refuses a reserved client CN", () => {
    assert.throws(() => execFileSync("bash", [SCRIPT, out, "ca"], { stdio: "pipe" }));
  });
});
