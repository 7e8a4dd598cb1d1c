import { isSigningProxyError, type SignersDocument, type SignResult } from "@signing-proxy/client-sdk";

/** The part of SigningProxyClient the health check uses. */
export interface HealthSigner {
  getKeys(): Promise<SignersDocument>;
  signAuditDigest(digestHex: string): Promise<SignResult>;
}

/** Options of {@link getAuditHealth}. */
export interface AuditHealthOptions {
  readonly signer: HealthSigner;
  /** The whole check must answer within this many ms; default 3000. */
  readonly timeoutMs?: number;
  /**
   * Also sign a fixed digest (SHA-256 of "memory-audit-health"). Off by default: every such sign is
   * an event in the proxy's own audit log, so a probe every few seconds would flood it.
   */
  readonly sign?: boolean;
}

/** For the Memory Layer's /readyz: `ok` false means audit writes would fail now. */
export interface AuditHealth {
  readonly ok: boolean;
  readonly detail: string;
}

/** SHA-256("memory-audit-health"), the digest the optional probe signs. */
const PROBE_DIGEST = "015ba4e05a5e0e25c78db2737a68a7681f6b620bf3c3ae48298e53fc538adf13";

/**
 * Is the signing proxy usable for audit writes? By default: GET /keys over mTLS succeeds (the
 * proxy is up, accepts this service's certificate and reads its store) and lists at least one
 * active key. With `sign: true`, also a real signature of a fixed digest. Never throws.
 */
export async function getAuditHealth(options: AuditHealthOptions): Promise<AuditHealth> {
  const timeoutMs = options.timeoutMs ?? 3000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<AuditHealth>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `signing proxy: no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([probe(options), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function probe(options: AuditHealthOptions): Promise<AuditHealth> {
  try {
    const keys = await options.signer.getKeys();
    const active = keys.signers.filter((k) => k.status === "active").length;
    if (active === 0) return { ok: false, detail: "signing proxy reachable but lists no active key" };
    if (options.sign === true) {
      const signed = await options.signer.signAuditDigest(PROBE_DIGEST);
      return { ok: true, detail: `signing proxy reachable over mTLS; probe signed by ${signed.kid}` };
    }
    return { ok: true, detail: `signing proxy reachable over mTLS; ${active} active key(s)` };
  } catch (err) {
    // The detail may be public (/readyz): the error code only, never a message with internals.
    const code = isSigningProxyError(err) ? err.code : "ERR_UNKNOWN";
    return { ok: false, detail: `signing proxy unavailable: ${code}` };
  }
}
