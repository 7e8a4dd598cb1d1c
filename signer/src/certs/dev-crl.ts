// X.509 v2 CRLs signed by the dev CA, for TLS_CRL_FILE (revoking a dev client certificate).
import {
  authorityKeyIdFor,
  type CertKeyPem,
  CLOCK_SKEW_MS,
  checkSerialHex,
  checkValidDays,
  DAY_MS,
  derUnsignedInteger,
  loadIssuer,
  P256_SHA256,
} from "./pki-support.js";
import { x509 } from "./x509-lib.js";

/** Options of {@link createCrl}. */
export interface CreateCrlOptions {
  /** Serial numbers (hex, as {@link certSerialHex} returns them) of the revoked certificates; may be empty. */
  readonly revokedSerials: readonly string[];
  /**
   * Days until nextUpdate (default 30). OpenSSL rejects every peer once a CRL is past nextUpdate,
   * so a deployed CRL must be re-issued before then.
   */
  readonly nextUpdateDays?: number;
  /** The CRL number (default: the current Unix time in seconds, so later CRLs get larger numbers). */
  readonly crlNumber?: bigint;
  /**
   * The reasonCode of every entry (default "cessationOfOperation"). Always present: @peculiar/x509
   * 2.2 writes an empty, non-conforming crlEntryExtensions SEQUENCE for an entry without one, and
   * RFC 5280 §5.3.1 says not to use "unspecified".
   */
  readonly reason?: CrlReason;
}

/** RFC 5280 revocation reasons usable for an entry (not "unspecified", not "removeFromCRL"). */
export type CrlReason =
  | "keyCompromise"
  | "cACompromise"
  | "affiliationChanged"
  | "superseded"
  | "cessationOfOperation"
  | "certificateHold"
  | "privilegeWithdrawn"
  | "aACompromise";

const OID_CRL_NUMBER = "2.5.29.20";

/** Creates an X.509 v2 CRL (PEM) signed by `ca`, with authorityKeyIdentifier and cRLNumber extensions. */
export async function createCrl(ca: CertKeyPem, options: CreateCrlOptions): Promise<string> {
  const serials = options.revokedSerials.map(checkSerialHex);
  // A duplicate entry is almost certainly a caller bug; the generator would also refuse it.
  if (new Set(serials).size !== serials.length) throw new TypeError("revokedSerials contains duplicates");
  const days = checkValidDays(options.nextUpdateDays ?? 30, "nextUpdateDays");
  const crlNumber = options.crlNumber ?? BigInt(Math.floor(Date.now() / 1000));
  const reason = options.reason ?? "cessationOfOperation";
  if (!Object.hasOwn(x509.X509CrlReason, reason) || reason === ("unspecified" as string)) {
    throw new TypeError(`unknown CRL reason ${JSON.stringify(reason)}`);
  }
  const issuer = await loadIssuer(ca);
  const now = Date.now();
  const crl = await x509.X509CrlGenerator.create({
    // The issuer DN must equal the CA subject byte for byte, or OpenSSL cannot match the CRL to the CA.
    issuer: issuer.cert.subjectName,
    // Back-dated: a CRL whose thisUpdate is in the future makes OpenSSL reject every peer.
    thisUpdate: new Date(now - CLOCK_SKEW_MS),
    nextUpdate: new Date(now + days * DAY_MS),
    signingAlgorithm: P256_SHA256,
    signingKey: issuer.signingKey,
    entries: serials.map((serialNumber) => ({
      serialNumber,
      revocationDate: new Date(now - CLOCK_SKEW_MS),
      reason: x509.X509CrlReason[reason],
    })),
    extensions: [
      await authorityKeyIdFor(issuer.cert),
      // RFC 5280 §5.2.3: conforming CRL issuers include a monotonically increasing CRL number.
      new x509.Extension(OID_CRL_NUMBER, false, derUnsignedInteger(crlNumber)),
    ],
  });
  // @peculiar/x509 labels PEM "CRL"; OpenSSL (and so node:tls) only reads "X509 CRL" (RFC 7468).
  return x509.PemConverter.encode(crl.rawData, "X509 CRL");
}
