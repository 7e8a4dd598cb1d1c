// Development PKI for mutual TLS: a dev CA, server and client certificates, as PEM strings.
// Dev/CI only — these keys are generated in process and written unencrypted by write-dev-certs.ts.
import { isIP } from "node:net";
import type { ExtendedKeyUsage, Extension as X509Extension } from "@peculiar/x509";
import {
  authorityKeyIdFor,
  type CertKeyPem,
  checkCommonName,
  checkSanUri,
  checkValidDays,
  DAY_MS,
  exportPkcs8Pem,
  generateP256,
  loadIssuer,
  P256_SHA256,
  parseCertPem,
  randomSerialHex,
  validityFromDays,
} from "./pki-support.js";
import { x509 } from "./x509-lib.js";

export { type CreateCrlOptions, type CrlReason, createCrl } from "./dev-crl.js";
export type { CertKeyPem } from "./pki-support.js";

/** Options of {@link createDevCa}. */
export interface DevCaOptions {
  readonly commonName?: string;
  /** Default 3650. */
  readonly validDays?: number;
}

/** Options of {@link issueServerCert}. */
export interface ServerCertOptions {
  /** Default "localhost". */
  readonly commonName?: string;
  /** Default ["localhost"]. */
  readonly dnsNames?: readonly string[];
  /** Default ["127.0.0.1", "::1"]. */
  readonly ipAddresses?: readonly string[];
  /** Default 397. */
  readonly validDays?: number;
}

/** Options of {@link issueClientCert}. `notBefore`/`notAfter` override `validDays` (e.g. expired test certs). */
export interface ClientCertOptions {
  readonly commonName: string;
  readonly sanUris?: readonly string[];
  /** Default 397. */
  readonly validDays?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** Default common name of the dev CA. */
export const DEV_CA_COMMON_NAME = "signing-proxy dev CA";
const DEFAULT_CA_DAYS = 3650;
const DEFAULT_LEAF_DAYS = 397;

/** Creates a self-signed ECDSA P-256 dev CA (CA:true critical, pathlen 0, keyCertSign + cRLSign, SKI). */
export async function createDevCa(options: DevCaOptions = {}): Promise<CertKeyPem> {
  const commonName = checkCommonName(options.commonName ?? DEV_CA_COMMON_NAME);
  const { notBefore, notAfter } = validityFromDays(
    checkValidDays(options.validDays ?? DEFAULT_CA_DAYS, "validDays"),
  );
  const keys = await generateP256();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: [{ CN: [commonName] }],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: P256_SHA256,
    extensions: [
      // pathlen 0: the dev CA issues leaves only, never intermediates.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportPkcs8Pem(keys.privateKey) };
}

/** Issues a TLS server certificate (serverAuth EKU, digitalSignature, DNS and IP SANs, AKI). */
export async function issueServerCert(ca: CertKeyPem, options: ServerCertOptions = {}): Promise<CertKeyPem> {
  const commonName = checkCommonName(options.commonName ?? "localhost");
  const dnsNames = options.dnsNames ?? ["localhost"];
  const ipAddresses = options.ipAddresses ?? ["127.0.0.1", "::1"];
  for (const name of dnsNames) {
    if (!/^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(name)) {
      throw new TypeError(`invalid DNS name ${JSON.stringify(name)}`);
    }
  }
  for (const ip of ipAddresses) {
    if (isIP(ip) === 0) throw new TypeError(`invalid IP address ${JSON.stringify(ip)}`);
  }
  // A server certificate without SANs is rejected by every modern TLS client (CN is not checked).
  if (dnsNames.length + ipAddresses.length === 0) throw new TypeError("a server certificate needs a SAN");
  const sans: Array<{ type: "dns" | "ip"; value: string }> = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ];
  const days = checkValidDays(options.validDays ?? DEFAULT_LEAF_DAYS, "validDays");
  return issueLeaf(ca, commonName, x509.ExtendedKeyUsage.serverAuth, validityFromDays(days), [
    new x509.SubjectAlternativeNameExtension(sans),
  ]);
}

/** Issues a TLS client certificate (clientAuth EKU, digitalSignature, optional URI SANs such as SPIFFE IDs). */
export async function issueClientCert(ca: CertKeyPem, options: ClientCertOptions): Promise<CertKeyPem> {
  const commonName = checkCommonName(options.commonName);
  const sanUris = (options.sanUris ?? []).map(checkSanUri);
  const days = checkValidDays(options.validDays ?? DEFAULT_LEAF_DAYS, "validDays");
  const defaults = validityFromDays(days);
  const notBefore = options.notBefore ?? defaults.notBefore;
  const notAfter =
    options.notAfter ??
    (options.notBefore === undefined ? defaults.notAfter : new Date(notBefore.getTime() + days * DAY_MS));
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime()) || notAfter <= notBefore) {
    throw new RangeError("notAfter must be a valid date after notBefore");
  }
  const extra =
    sanUris.length > 0
      ? [new x509.SubjectAlternativeNameExtension(sanUris.map((value) => ({ type: "url" as const, value })))]
      : [];
  return issueLeaf(ca, commonName, x509.ExtendedKeyUsage.clientAuth, { notBefore, notAfter }, extra);
}

/** The certificate's serial number as lowercase hex (no sign-padding byte). */
export function certSerialHex(certPem: string): string {
  return parseCertPem(certPem).serialNumber.toLowerCase();
}

/** The certificate's notAfter. */
export function certNotAfter(certPem: string): Date {
  return parseCertPem(certPem).notAfter;
}

async function issueLeaf(
  ca: CertKeyPem,
  commonName: string,
  eku: ExtendedKeyUsage,
  validity: { notBefore: Date; notAfter: Date },
  extra: X509Extension[],
): Promise<CertKeyPem> {
  const issuer = await loadIssuer(ca);
  const keys = await generateP256();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: [{ CN: [commonName] }],
    // The issuer DN is copied from the CA certificate so it matches byte for byte when chains are built.
    issuer: issuer.cert.subjectName,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer.signingKey,
    signingAlgorithm: P256_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([eku], false),
      ...extra,
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await authorityKeyIdFor(issuer.cert),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportPkcs8Pem(keys.privateKey) };
}
