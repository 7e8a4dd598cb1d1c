// Building blocks shared by the dev CA, leaf issuance and CRL generation: P-256 keys, PKCS#8 PEM,
// serials, validity windows and the checks on caller input.
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from "node:crypto";
import type { X509Certificate as X509Cert, Extension as X509Extension } from "@peculiar/x509";
import { x509 } from "./x509-lib.js";

/** A certificate and its private key, both PEM (the key PKCS#8). */
export interface CertKeyPem {
  readonly certPem: string;
  readonly keyPem: string;
}

/** The WebCrypto parameters of every dev key and signature: ECDSA P-256 with SHA-256. */
export const P256_SHA256 = Object.freeze({ name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" });

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/** How far notBefore / thisUpdate are back-dated, so a peer whose clock runs slow still accepts them. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** A fresh, extractable P-256 key pair. */
export async function generateP256(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(P256_SHA256, true, ["sign", "verify"]);
}

/** The private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"). */
export async function exportPkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

/** Parses a PEM certificate (first block). */
export function parseCertPem(certPem: string): X509Cert {
  if (typeof certPem !== "string" || !certPem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new TypeError("expected a PEM certificate");
  }
  return new x509.X509Certificate(certPem);
}

/**
 * Loads a CA (certificate + key, PKCS#8 or SEC1 PEM) for signing, after checking that it can sign
 * certificates and CRLs that verify.
 */
export async function loadIssuer(
  ca: CertKeyPem,
): Promise<{ cert: X509Cert; signingKey: webcrypto.CryptoKey }> {
  const cert = parseCertPem(ca.certPem);
  // Refuse a leaf as issuer: what it signs would never chain.
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (bc === null || !bc.ca)
    throw new Error("issuer certificate is not a CA (basicConstraints CA:true missing)");
  const keyObject = createPrivateKey(ca.keyPem);
  const details = keyObject.asymmetricKeyDetails;
  if (keyObject.asymmetricKeyType !== "ec" || details?.namedCurve !== "prime256v1") {
    throw new Error("dev CA key must be an ECDSA P-256 key");
  }
  // A key that does not match the CA certificate would issue certificates nobody can verify.
  const keySpki = createPublicKey(keyObject).export({ type: "spki", format: "der" });
  if (!keySpki.equals(Buffer.from(cert.publicKey.rawData))) {
    throw new Error("CA key does not match the CA certificate");
  }
  const pkcs8 = keyObject.export({ type: "pkcs8", format: "der" });
  const signingKey = await webcrypto.subtle.importKey("pkcs8", pkcs8, P256_SHA256, false, ["sign"]);
  return { cert, signingKey };
}

/** The authorityKeyIdentifier pointing at `issuer`: its own SKI when present (so chains match exactly). */
export async function authorityKeyIdFor(issuer: X509Cert): Promise<X509Extension> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski !== null) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
}

/** A random 16-byte serial (hex) whose top bit is clear and second bit set: positive, always 16 bytes. */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString("hex");
}

/** A DER INTEGER for a non-negative bigint (e.g. the CRL number extension value). */
export function derUnsignedInteger(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError("integer must be non-negative");
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let body = Buffer.from(hex, "hex");
  if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  if (body.length > 126) throw new RangeError("integer too large");
  return Uint8Array.from([0x02, body.length, ...body]);
}

/** Checks a validity period given in days (1 … 36500). */
export function checkValidDays(days: number, what: string): number {
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    throw new RangeError(`${what} must be an integer number of days between 1 and 36500`);
  }
  return days;
}

/** [notBefore, notAfter] for a certificate valid `days` from now, back-dated by the clock skew. */
export function validityFromDays(days: number, now = Date.now()): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** Checks a subject common name: 1–64 characters (RFC 5280 ub-common-name), no control characters. */
export function checkCommonName(cn: unknown, what = "commonName"): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject control characters
  if (typeof cn !== "string" || cn.length < 1 || cn.length > 64 || /[\u0000-\u001f\u007f]/.test(cn)) {
    throw new TypeError(`${what} must be 1-64 printable characters`);
  }
  return cn;
}

/** Checks a SAN URI: absolute (has a scheme) and free of whitespace. */
export function checkSanUri(uri: unknown): string {
  if (typeof uri !== "string" || uri.length > 2048 || /\s/.test(uri) || !URL.canParse(uri)) {
    throw new TypeError(`SAN URI must be an absolute URI, got ${JSON.stringify(uri)}`);
  }
  return uri;
}

/** Checks a certificate serial number given as hex (1–20 bytes, RFC 5280). */
export function checkSerialHex(serial: unknown): string {
  if (typeof serial !== "string" || !/^(?:[0-9a-fA-F]{2}){1,20}$/.test(serial)) {
    throw new TypeError(`serial must be 1-20 bytes of hex, got ${JSON.stringify(serial)}`);
  }
  return serial.toLowerCase();
}
