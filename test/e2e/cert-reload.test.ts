import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import {
  type CertKeyPem,
  certSerialHex,
  createCrl,
  issueClientCert,
  issueServerCert,
} from "../../signer/src/certs/dev-pki.js";
import { createSignerSetup, type SignerProcess, type SignerSetup } from "../helpers/process-fixture.js";
import { RawTlsConnection, rawGet } from "../helpers/raw-tls.js";

/** Resolve once `pattern` occurs at least `count` times in the process output. */
async function waitForLog(
  proc: SignerProcess,
  pattern: RegExp,
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const global = new RegExp(pattern.source, "g");
  while ((proc.output().match(global) ?? []).length < count) {
    if (Date.now() > deadline) throw new Error(`no ${count}× ${pattern} in:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One GET over an existing connection. */
async function getKeys(conn: RawTlsConnection) {
  conn.write(rawGet("/keys"));
  return conn.response();
}

describe("certificate lifecycle: SIGHUP reloads cert, key, CA and CRL without a restart", () => {
  let setup: SignerSetup;
  let proc: SignerProcess;
  let ca: CertKeyPem;
  let victim: CertKeyPem;
  let crlFile: string;
  let reloads = 0;
  const certs = () => join(setup.dir, "certs");
  const hup = async () => {
    process.kill(proc.pid, "SIGHUP");
    reloads++;
  };
  const creds = (c: CertKeyPem) => ({ ca: setup.ca, cert: c.certPem, key: c.keyPem });

  before(async () => {
    setup = await createSignerSetup();
    ca = {
      certPem: readFileSync(join(certs(), "ca.crt"), "utf8"),
      keyPem: readFileSync(join(certs(), "ca.key"), "utf8"),
    };
    // A second certificate for the same identity: the one that will be revoked.
    victim = await issueClientCert(ca, { commonName: "memory-layer" });
    crlFile = join(setup.dir, "crl.pem");
    writeFileSync(crlFile, await createCrl(ca, { revokedSerials: [], crlNumber: 1n }));
    proc = await setup.start({ TLS_CRL_FILE: crlFile });
  });
  after(async () => setup.close());

  test("a client certificate put on the CRL is refused after SIGHUP: new handshakes and open connections", async () => {
    const member = {
      certPem: readFileSync(join(certs(), "memory-layer.crt"), "utf8"),
      keyPem: readFileSync(join(certs(), "memory-layer.key"), "utf8"),
    };
    const kept = await RawTlsConnection.open(proc.url, creds(member));
    const revokedConn = await RawTlsConnection.open(proc.url, creds(victim));
    assert.equal((await getKeys(kept))?.status, 200);
    assert.equal((await getKeys(revokedConn))?.status, 200);

    writeFileSync(
      crlFile,
      await createCrl(ca, { revokedSerials: [certSerialHex(victim.certPem)], crlNumber: 2n }),
    );
    await hup();
    await waitForLog(proc, /TLS material reloaded/, reloads);

    // The connection opened before the reload: one 401, then the server closes it.
    const refused = await getKeys(revokedConn);
    assert.equal(refused?.status, 401);
    assert.match(refused?.body ?? "", /revoked/);
    assert.equal(refused?.headers.connection, "close");
    await revokedConn.waitClosed(5000);

    // A new connection with the revoked certificate never gets an answer.
    const fresh = await RawTlsConnection.open(proc.url, creds(victim)).catch(() => null);
    if (fresh) {
      const res = await getKeys(fresh).catch(() => null);
      assert.equal(res, null, "the handshake of a revoked certificate must fail");
      fresh.close();
    }
    // Other clients, and their connections opened before the reload, are unaffected.
    assert.equal((await getKeys(kept))?.status, 200);
    kept.close();
  });

  test("a new server certificate is served to new connections; open ones survive; expiry is a metric and a warning", async () => {
    const member = {
      certPem: readFileSync(join(certs(), "memory-layer.crt")),
      keyPem: readFileSync(join(certs(), "memory-layer.key")),
    };
    const open = await RawTlsConnection.open(proc.url, {
      ca: setup.ca,
      cert: member.certPem,
      key: member.keyPem,
    });
    assert.equal((await getKeys(open))?.status, 200);
    const next = await issueServerCert(ca, { validDays: 10 });
    writeFileSync(join(certs(), "server.crt"), next.certPem);
    writeFileSync(join(certs(), "server.key"), next.keyPem);
    await hup();
    await waitForLog(proc, /TLS material reloaded/, reloads);

    const fresh = await RawTlsConnection.open(proc.url, {
      ca: setup.ca,
      cert: member.certPem,
      key: member.keyPem,
    });
    assert.equal(fresh.socket.getPeerCertificate().serialNumber.toLowerCase(), certSerialHex(next.certPem));
    assert.equal((await getKeys(fresh))?.status, 200);
    assert.equal((await getKeys(open))?.status, 200, "a connection opened before the reload was dropped");
    fresh.close();
    open.close();

    await waitForLog(proc, /expires within 30 days/, 1);
    const metrics = await (await request(`${proc.managementUrl}/metrics`)).body.text();
    const seconds = Number(/^signer_tls_cert_expiry_seconds (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(seconds > 9 * 86_400 && seconds <= 10 * 86_400, `signer_tls_cert_expiry_seconds ${seconds}`);
  });

  test("a broken file on SIGHUP keeps the previous certificates and the service keeps serving", async () => {
    writeFileSync(crlFile, "-----BEGIN X509 CRL-----\nnot a crl\n-----END X509 CRL-----\n");
    process.kill(proc.pid, "SIGHUP");
    await waitForLog(proc, /TLS reload failed; keeping the previous certificates/, 1);
    const member = {
      cert: readFileSync(join(certs(), "memory-layer.crt")),
      key: readFileSync(join(certs(), "memory-layer.key")),
    };
    const conn = await RawTlsConnection.open(proc.url, { ca: setup.ca, ...member });
    assert.equal((await getKeys(conn))?.status, 200);
    conn.close();
    const exit = await proc.stop("SIGTERM");
    assert.equal(exit.code, 0);
  });
});
