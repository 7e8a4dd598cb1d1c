import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { before, describe, test } from "node:test";
import type { DetailedPeerCertificate } from "node:tls";
import { PeerTrust } from "../../src/auth/peer-trust.js";
import {
  type CertKeyPem,
  certSerialHex,
  createCrl,
  createDevCa,
  issueClientCert,
} from "../../src/certs/dev-pki.js";

/** What getPeerCertificate(true) returns for a leaf sent without its chain. */
function peerOf(certPem: string): DetailedPeerCertificate {
  const peer = { raw: new X509Certificate(certPem).raw } as DetailedPeerCertificate;
  peer.issuerCertificate = peer;
  return peer;
}

describe("PeerTrust: re-checking open connections after a reload", () => {
  let ca: CertKeyPem;
  let other: CertKeyPem;
  let alice: CertKeyPem;
  let bob: CertKeyPem;
  before(async () => {
    ca = await createDevCa();
    other = await createDevCa({ commonName: "another CA" });
    alice = await issueClientCert(ca, { commonName: "alice" });
    bob = await issueClientCert(ca, { commonName: "bob" });
  });

  test("a certificate on the CRL is revoked; others from the same CA stay ok", async () => {
    const crl = await createCrl(ca, { revokedSerials: [certSerialHex(alice.certPem)] });
    const trust = new PeerTrust({ ca: Buffer.from(ca.certPem), crl: Buffer.from(crl) });
    assert.equal(trust.check(peerOf(alice.certPem)), "revoked");
    assert.equal(trust.check(peerOf(bob.certPem)), "ok");
  });

  test("a serial revoked by another CA's CRL does not revoke this CA's certificate", async () => {
    const foreignCrl = await createCrl(other, { revokedSerials: [certSerialHex(alice.certPem)] });
    const trust = new PeerTrust({
      ca: Buffer.from(ca.certPem + other.certPem),
      crl: Buffer.from(foreignCrl),
    });
    assert.equal(trust.check(peerOf(alice.certPem)), "ok");
  });

  test("after the CA is replaced, certificates of the old CA are untrusted", () => {
    const trust = new PeerTrust({ ca: Buffer.from(ca.certPem) });
    trust.stage({ ca: Buffer.from(other.certPem) })();
    assert.equal(trust.generation, 1);
    assert.equal(trust.check(peerOf(alice.certPem)), "untrusted");
  });

  test("staging a broken CRL throws and leaves the current state and generation unchanged", async () => {
    const crl = await createCrl(ca, { revokedSerials: [certSerialHex(alice.certPem)] });
    const trust = new PeerTrust({ ca: Buffer.from(ca.certPem), crl: Buffer.from(crl) });
    assert.throws(() =>
      trust.stage({
        ca: Buffer.from(ca.certPem),
        crl: Buffer.from("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"),
      }),
    );
    assert.equal(trust.generation, 0);
    assert.equal(trust.check(peerOf(alice.certPem)), "revoked");
  });
});
