import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type CertKeyPem,
  certNotAfter,
  certSerialHex,
  createCrl,
  createDevCa,
  issueClientCert,
  issueServerCert,
} from "../../src/certs/dev-pki.js";
import { certText, openssl, tempDir } from "./helpers.js";

describe("dev PKI (checked with the openssl CLI)", () => {
  const tmp = tempDir("dev-pki");
  let ca: CertKeyPem;
  let server: CertKeyPem;
  let client: CertKeyPem;
  const file = (name: string) => join(tmp.dir, name);

  before(async () => {
    ca = await createDevCa();
    server = await issueServerCert(ca);
    client = await issueClientCert(ca, {
      commonName: "memory-layer",
      sanUris: ["spiffe://signer/memory-layer"],
    });
    writeFileSync(file("ca.crt"), ca.certPem);
    writeFileSync(file("server.crt"), server.certPem);
    writeFileSync(file("client.crt"), client.certPem);
  });
  after(() => tmp.cleanup());

  it("issues server and client certificates that openssl verify accepts", () => {
    const r = openssl(["verify", "-CAfile", file("ca.crt"), file("server.crt"), file("client.crt")]);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /server\.crt: OK/);
    assert.match(r.output, /client\.crt: OK/);
  });

  it("checks the purposes: the server cert is not a client cert and vice versa", () => {
    const asClient = ["verify", "-purpose", "sslclient", "-CAfile", file("ca.crt")];
    assert.equal(openssl([...asClient, file("client.crt")]).status, 0);
    assert.notEqual(openssl([...asClient, file("server.crt")]).status, 0);
    const asServer = ["verify", "-purpose", "sslserver", "-CAfile", file("ca.crt")];
    assert.equal(openssl([...asServer, file("server.crt")]).status, 0);
    assert.notEqual(openssl([...asServer, file("client.crt")]).status, 0);
  });

  it("makes a P-256 CA with critical CA:TRUE pathlen:0, keyCertSign and cRLSign, and a SKI", () => {
    const text = certText(ca.certPem);
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.match(text, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
    assert.match(text, /Subject Key Identifier/);
    assert.match(text, /Subject: CN = signing-proxy dev CA/);
  });

  it("puts DNS and IP SANs and serverAuth in the server cert, with the CA's key id as AKI", () => {
    const text = certText(server.certPem);
    assert.match(text, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    assert.match(text, /Extended Key Usage:\s+TLS Web Server Authentication\n/);
    assert.match(text, /Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(certText(ca.certPem))?.[1];
    assert.ok(ski);
    assert.match(text, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${ski}`));
  });

  it("puts the URI SAN and clientAuth in the client cert", () => {
    const text = certText(client.certPem);
    assert.match(text, /Subject: CN = memory-layer/);
    assert.match(text, /URI:spiffe:\/\/signer\/memory-layer/);
    assert.match(text, /Extended Key Usage:\s+TLS Web Client Authentication\n/);
  });

  it("writes private keys as PKCS#8 PEM", () => {
    for (const pem of [ca.keyPem, server.keyPem, client.keyPem]) {
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
    }
  });

  it("uses random, positive, 16-byte serials", () => {
    const serials = [ca, server, client].map((c) => certSerialHex(c.certPem));
    for (const s of serials) assert.match(s, /^[4-7][0-9a-f]{31}$/);
    assert.equal(new Set(serials).size, serials.length);
    assert.equal(serials[2], new X509Certificate(client.certPem).serialNumber.toLowerCase());
  });

  it("honours validDays, notBefore and notAfter", async () => {
    const days = (await issueServerCert(ca, { validDays: 2 })).certPem;
    const left = certNotAfter(days).getTime() - Date.now();
    assert.ok(left > 1.9 * 86_400_000 && left <= 2 * 86_400_000, String(left));
    const notBefore = new Date("2020-01-01T00:00:00Z");
    const notAfter = new Date("2020-02-01T00:00:00Z");
    const old = await issueClientCert(ca, { commonName: "old", notBefore, notAfter });
    assert.equal(certNotAfter(old.certPem).toISOString(), notAfter.toISOString());
    const x = new X509Certificate(old.certPem);
    assert.equal(new Date(x.validFrom).toISOString(), notBefore.toISOString());
  });

  it("refuses bad input instead of issuing odd certificates", async () => {
    await assert.rejects(issueClientCert(ca, { commonName: "" }), TypeError);
    await assert.rejects(issueClientCert(ca, { commonName: "x".repeat(65) }), TypeError);
    await assert.rejects(issueClientCert(ca, { commonName: "a\nb" }), TypeError);
    await assert.rejects(issueClientCert(ca, { commonName: "a", sanUris: ["not a uri"] }), TypeError);
    await assert.rejects(issueClientCert(ca, { commonName: "a", validDays: 0 }), RangeError);
    const t = new Date();
    await assert.rejects(issueClientCert(ca, { commonName: "a", notBefore: t, notAfter: t }), RangeError);
    await assert.rejects(issueServerCert(ca, { dnsNames: ["bad name"] }), TypeError);
    await assert.rejects(issueServerCert(ca, { ipAddresses: ["300.1.1.1"] }), TypeError);
    await assert.rejects(issueServerCert(ca, { dnsNames: [], ipAddresses: [] }), TypeError);
    await assert.rejects(createDevCa({ validDays: 1.5 }), RangeError);
  });

  it("refuses to issue from a leaf or from a CA whose key does not match", async () => {
    await assert.rejects(issueClientCert(server, { commonName: "x" }), /not a CA/);
    const other = await createDevCa();
    await assert.rejects(
      issueClientCert({ certPem: ca.certPem, keyPem: other.keyPem }, { commonName: "x" }),
      /does not match/,
    );
  });

  describe("CRL", () => {
    it("is a v2 CRL signed by the CA that lists the revoked serial", async () => {
      const serial = certSerialHex(client.certPem);
      const crlPem = await createCrl(ca, { revokedSerials: [serial], nextUpdateDays: 7 });
      assert.match(crlPem, /^-----BEGIN X509 CRL-----\n/);
      writeFileSync(file("crl.pem"), crlPem);
      const verified = openssl(["crl", "-in", file("crl.pem"), "-CAfile", file("ca.crt"), "-noout"]);
      assert.equal(verified.status, 0, verified.output);
      assert.match(verified.output, /verify OK/);
      const text = openssl(["crl", "-in", file("crl.pem"), "-noout", "-text"]).output;
      assert.match(text, /Version 2/);
      assert.match(text, new RegExp(`Serial Number: ${serial.toUpperCase()}`));
      assert.match(text, /CRL Number/);
      assert.match(text, /Authority Key Identifier/);
      assert.match(text, /Cessation Of Operation/);
    });

    it("marks the revoked certificate as revoked in openssl verify -crl_check", async () => {
      const crlPem = await createCrl(ca, { revokedSerials: [certSerialHex(client.certPem)] });
      writeFileSync(file("revoking.crl"), crlPem);
      const args = ["verify", "-crl_check", "-CAfile", file("ca.crt"), "-CRLfile", file("revoking.crl")];
      const revoked = openssl([...args, file("client.crt")]);
      assert.notEqual(revoked.status, 0);
      assert.match(revoked.output, /certificate revoked/);
      assert.equal(openssl([...args, file("server.crt")]).status, 0);
    });

    it("may be empty, and does not verify against another CA", async () => {
      writeFileSync(file("empty.crl"), await createCrl(ca, { revokedSerials: [] }));
      const text = openssl(["crl", "-in", file("empty.crl"), "-CAfile", file("ca.crt"), "-noout", "-text"]);
      assert.equal(text.status, 0, text.output);
      assert.match(text.output, /No Revoked Certificates/);
      const other = await createDevCa({ commonName: "signing-proxy dev CA" });
      writeFileSync(file("other.crl"), await createCrl(other, { revokedSerials: [] }));
      // OpenSSL 3.0 `crl -CAfile` exits 0 even on a bad signature; only its output tells.
      const foreign = openssl(["crl", "-in", file("other.crl"), "-CAfile", file("ca.crt"), "-noout"]);
      assert.match(foreign.output, /verify failure/);
      assert.doesNotMatch(foreign.output, /verify OK/);
    });

    it("refuses malformed or duplicate serials", async () => {
      await assert.rejects(createCrl(ca, { revokedSerials: ["xyz"] }), TypeError);
      await assert.rejects(createCrl(ca, { revokedSerials: ["0a", "0A"] }), TypeError);
    });
  });
});
