import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  type CertKeyPem,
  certSerialHex,
  createCrl,
  createDevCa,
  issueClientCert,
  issueServerCert,
} from "../../src/certs/dev-pki.js";
import { mtlsHandshake } from "./helpers.js";

const DAY = 86_400_000;

describe("dev PKI in a TLS 1.3 mutual-TLS handshake (node:tls)", () => {
  let ca: CertKeyPem;
  let server: CertKeyPem;
  let client: CertKeyPem;

  before(async () => {
    ca = await createDevCa();
    server = await issueServerCert(ca);
    client = await issueClientCert(ca, { commonName: "dev-client", sanUris: ["spiffe://signer/dev-client"] });
  });

  const serverSide = (crl?: string) => ({
    key: server.keyPem,
    cert: server.certPem,
    ca: ca.certPem,
    ...(crl === undefined ? {} : { crl }),
  });
  const clientSide = (c: CertKeyPem) => ({ key: c.keyPem, cert: c.certPem, ca: ca.certPem });

  /** Refused by the production settings, and (read with rejectUnauthorized off) for `reason`. */
  async function assertRejected(c: CertKeyPem, reason: string, crl?: string): Promise<void> {
    const strict = await mtlsHandshake({ server: serverSide(crl), client: clientSide(c) });
    assert.equal(strict.accepted, false, "the server must not accept this client");
    assert.equal(strict.peer, undefined, "no TLS session is established");
    const why = await mtlsHandshake({
      server: serverSide(crl),
      client: clientSide(c),
      rejectUnauthorized: false,
    });
    assert.equal(why.accepted, false);
    assert.equal(why.authorizationError, reason);
  }

  it("accepts the client cert, and the client accepts the server's 127.0.0.1 SAN", async () => {
    const outcome = await mtlsHandshake({ server: serverSide(), client: clientSide(client) });
    assert.equal(outcome.accepted, true);
    assert.equal(outcome.authorizationError, undefined);
  });

  it("exposes the client CN and SAN URI through getPeerCertificate()", async () => {
    const { peer } = await mtlsHandshake({ server: serverSide(), client: clientSide(client) });
    assert.ok(peer);
    assert.equal(peer.subject.CN, "dev-client");
    assert.ok(
      peer.subjectaltname?.split(", ").includes("URI:spiffe://signer/dev-client"),
      peer.subjectaltname,
    );
    assert.equal(peer.serialNumber.toLowerCase(), certSerialHex(client.certPem));
  });

  it("rejects a client cert from a second CA, even with the same CA name", async () => {
    const rogueCa = await createDevCa();
    const rogue = await issueClientCert(rogueCa, { commonName: "dev-client" });
    await assertRejected(rogue, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("rejects an expired client cert", async () => {
    const now = Date.now();
    const expired = await issueClientCert(ca, {
      commonName: "dev-client",
      notBefore: new Date(now - 10 * DAY),
      notAfter: new Date(now - DAY),
    });
    await assertRejected(expired, "CERT_HAS_EXPIRED");
  });

  it("rejects a client cert that is not yet valid", async () => {
    const now = Date.now();
    const future = await issueClientCert(ca, {
      commonName: "dev-client",
      notBefore: new Date(now + DAY),
      notAfter: new Date(now + 10 * DAY),
    });
    await assertRejected(future, "CERT_NOT_YET_VALID");
  });

  it("rejects a server cert presented as a client cert (clientAuth EKU required)", async () => {
    await assertRejected(server, "INVALID_PURPOSE");
  });

  it("rejects a client listed in the CRL and still accepts the others", async () => {
    const revoked = await issueClientCert(ca, { commonName: "revoked-client" });
    const crl = await createCrl(ca, { revokedSerials: [certSerialHex(revoked.certPem)] });
    await assertRejected(revoked, "CERT_REVOKED", crl);
    const ok = await mtlsHandshake({ server: serverSide(crl), client: clientSide(client) });
    assert.equal(ok.accepted, true);
  });
});
