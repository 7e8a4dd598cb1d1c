import { X509Certificate } from "node:crypto";
import { Gauge, type Registry } from "prom-client";
import type { Logger } from "./logger.js";

/** Warn this long before the server certificate expires. */
export const CERT_EXPIRY_WARN_MS = 30 * 86_400_000;
const RECHECK_MS = 12 * 3_600_000;

/** The server certificate's expiry, as a metric and a warning (started by the service). */
export interface CertExpiryWatch {
  /** Read a new certificate (start-up, SIGHUP); warns at once when it is within 30 days of expiry. */
  update(certPem: Buffer): void;
  /** Seconds until expiry (negative once expired), as the metric reports it. */
  secondsLeft(): number;
  stop(): void;
}

/**
 * Export `signer_tls_cert_expiry_seconds` (seconds until the main port's certificate expires) and
 * log a warning when fewer than 30 days remain: at start-up, on every reload, and twice a day while
 * the process runs, so a long-lived replica warns as the date approaches.
 */
export function watchCertExpiry(
  registry: Registry,
  logger: Logger,
  now: () => number = Date.now,
): CertExpiryWatch {
  let notAfter = Number.NaN;
  let subject = "";
  const secondsLeft = () => (notAfter - now()) / 1000;
  new Gauge({
    name: "signer_tls_cert_expiry_seconds",
    help: "Seconds until the main port's TLS server certificate expires (negative once expired)",
    registers: [registry],
    collect() {
      if (!Number.isNaN(notAfter)) this.set(Math.floor(secondsLeft()));
    },
  });
  const check = () => {
    if (Number.isNaN(notAfter) || notAfter - now() > CERT_EXPIRY_WARN_MS) return;
    // Operators need weeks, not minutes, to renew: say so well before clients start failing.
    logger.warn(
      { subject, notAfter: new Date(notAfter).toISOString(), daysLeft: Math.floor(secondsLeft() / 86_400) },
      "the TLS server certificate expires within 30 days; renew it and send SIGHUP",
    );
  };
  const timer = setInterval(check, RECHECK_MS);
  timer.unref();
  return {
    update(certPem) {
      const cert = new X509Certificate(certPem);
      notAfter = Date.parse(cert.validTo);
      subject = cert.subject.replace(/\n/g, ", ");
      check();
    },
    secondsLeft,
    stop: () => clearInterval(timer),
  };
}
