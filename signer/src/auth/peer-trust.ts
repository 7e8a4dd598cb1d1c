import { X509Certificate } from "node:crypto";
import type { DetailedPeerCertificate } from "node:tls";
import { x509 } from "../certs/x509-lib.js";

/** The client CA bundle and CRL as currently loaded (TLS_CLIENT_CA_FILE, TLS_CRL_FILE). */
export interface TrustMaterial {
  readonly ca: Buffer;
  readonly crl?: Buffer;
}

/** Whether an already-verified client certificate is still acceptable under the current material. */
export type PeerVerdict = "ok" | "revoked" | "untrusted";

const PEM_BLOCK = (label: string): RegExp =>
  new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`, "g");

function normalSerial(hex: string): string {
  return hex.toLowerCase().replace(/^(?:00)+(?=[0-9a-f])/, "");
}

function parseRevoked(crl: Buffer | undefined): ReadonlySet<string> {
  const revoked = new Set<string>();
  if (!crl) return revoked;
  for (const pem of crl.toString("utf8").match(PEM_BLOCK("X509 CRL")) ?? []) {
    const parsed = new x509.X509Crl(pem);
    // Serials are unique per issuer only, so each entry is keyed by both.
    for (const entry of parsed.entries) revoked.add(`${parsed.issuer}\n${normalSerial(entry.serialNumber)}`);
  }
  return revoked;
}

function parseCas(ca: Buffer): readonly X509Certificate[] {
  return (ca.toString("utf8").match(PEM_BLOCK("CERTIFICATE")) ?? []).map((pem) => new X509Certificate(pem));
}

/**
 * The revocation and trust state behind the TLS context. A TLS handshake is checked against the CA
 * and CRL once; SIGHUP swaps them for new handshakes only. This object lets the request hook re-check
 * certificates of connections opened before a reload, so a revoked certificate is refused on its
 * next request even over a keep-alive connection.
 */
export class PeerTrust {
  #generation = 0;
  #revoked: ReadonlySet<string>;
  #cas: readonly X509Certificate[];

  constructor(material: TrustMaterial) {
    this.#revoked = parseRevoked(material.crl);
    this.#cas = parseCas(material.ca);
  }

  /** Bumped by every reload; 0 while the material is the one every handshake was checked against. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Parse new material and return the function that swaps it in; a bad file throws here and leaves
   * the current state untouched, so a reload is all or nothing.
   */
  stage(material: TrustMaterial): () => void {
    const revoked = parseRevoked(material.crl);
    const cas = parseCas(material.ca);
    return () => {
      this.#revoked = revoked;
      this.#cas = cas;
      this.#generation++;
    };
  }

  /** Check a peer certificate (with its chain) against the current CRL and CA bundle. */
  check(peer: DetailedPeerCertificate): PeerVerdict {
    const leaf = new x509.X509Certificate(peer.raw);
    if (this.#revoked.has(`${leaf.issuer}\n${normalSerial(leaf.serialNumber)}`)) return "revoked";
    // A CA removed from the bundle must not keep vouching for connections it admitted earlier.
    for (let link: DetailedPeerCertificate | undefined = peer, depth = 0; link && depth < 8; depth++) {
      const cert = new X509Certificate(link.raw);
      if (this.#cas.some((ca) => ca.fingerprint256 === cert.fingerprint256)) return "ok";
      if (this.#cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) return "ok";
      link = link.issuerCertificate === link ? undefined : link.issuerCertificate;
    }
    return "untrusted";
  }
}
