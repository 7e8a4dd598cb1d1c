import { digestHexOf } from "./canonical.js";
import { SigningProxyError } from "./client-error.js";
import type {
  AuditEventsPage,
  AuditHead,
  JwksDocument,
  MultisigApprovalInput,
  MultisigManifestInput,
  MultisigProofInput,
  MultisigProofResponse,
  MultisigProposalCreated,
  MultisigProposalView,
  MultisigVerifyResponse,
  ProxyAuditEvent,
  SignBatchItem,
  SignBatchResult,
  SignCanonicalRequest,
  SignerEntry,
  SignersDocument,
  SignHashRequest,
  SignResult,
  VerifyRequest,
  VerifyResult,
} from "./client-types.js";
import { type PemInput, Transport, type TransportRequest } from "./http-transport.js";
import { type RetryPolicy, resolveRetryPolicy } from "./retry.js";

export type { PemInput } from "./http-transport.js";

/** Options of {@link SigningProxyClient}. */
export interface SigningProxyClientOptions {
  /** The main port, e.g. `https://signer.internal:8081` (a path prefix is kept). */
  readonly url: string;
  /** CA bundle (PEM) the proxy's server certificate must chain to. */
  readonly ca: PemInput | readonly PemInput[];
  /** This service's client certificate and key (PEM): its identity to the proxy. */
  readonly cert: PemInput;
  readonly key: PemInput;
  /** Sent as `x-api-key` when the proxy requires an API key on top of the certificate. */
  readonly apiKey?: string;
  /** Per-attempt timeout in ms (connect + answer); default 10 000. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (default 2), or a full policy. */
  readonly retries?: number | Partial<RetryPolicy>;
  /** Keep-alive connections in the pool; default 16. */
  readonly connections?: number;
  /** TLS server name to verify, when the URL's host is not in the certificate. */
  readonly servername?: string;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
const ALGS = new Set(["ed25519", "ecdsa-sha256", "rsa-sha256", "hmac-sha256"]);

/**
 * Typed client for every route of the proxy's main port (DESIGN.md A5), over one keep-alive mTLS
 * pool. Failures are SigningProxyError. 503 and 429 answers and connections that never carried the
 * request are retried with full-jitter exponential backoff, honouring Retry-After; an unknown outcome
 * (reset, timeout) is retried only for reads, verification and signing — a repeated sign just signs
 * again and is audited again — never for multisig proposals or approvals.
 */
export class SigningProxyClient {
  private readonly transport: Transport;

  constructor(options: SigningProxyClientOptions) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError("timeoutMs must be > 0");
    const connections = options.connections ?? 16;
    if (!Number.isSafeInteger(connections) || connections < 1)
      throw new RangeError("connections must be ≥ 1");
    const retry = resolveRetryPolicy(
      typeof options.retries === "number" ? { retries: options.retries } : options.retries,
    );
    this.transport = new Transport({
      url: options.url,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      timeoutMs,
      connections,
      retry,
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      ...(options.servername !== undefined ? { servername: options.servername } : {}),
    });
  }

  /** POST /sign/hash: sign a SHA-256 digest with `kid` (default: the proxy's defaultKid). */
  async signHash(req: SignHashRequest): Promise<SignResult> {
    if (typeof req.digestHex !== "string" || !HEX64.test(req.digestHex)) {
      throw new TypeError("digestHex must be 64 hex characters (a SHA-256 digest)");
    }
    const body = await this.post("/sign/hash", req, "repeatable");
    return signResult(body, req.digestHex.toLowerCase());
  }

  /** POST /sign/canonical; the answer's digestHex is checked against the SDK's own RFC 8785 digest. */
  async signCanonical(req: SignCanonicalRequest): Promise<SignResult> {
    // Canonicalizing here first refuses what the proxy would refuse, without a round trip.
    const expected = digestHexOf(req.payload);
    return signResult(await this.post("/sign/canonical", req, "repeatable"), expected);
  }

  /** POST /sign/batch (≤ 1024 items): results in request order, each a signature or its own error. */
  async signBatch(items: readonly SignBatchItem[]): Promise<SignBatchResult[]> {
    for (const item of items) {
      if (typeof item.digestHex !== "string" || !HEX64.test(item.digestHex)) {
        throw new TypeError("every digestHex must be 64 hex characters");
      }
    }
    const body = (await this.post("/sign/batch", { items }, "repeatable")) as { results?: unknown };
    const results = body?.results;
    if (!Array.isArray(results) || results.length !== items.length) {
      throw unexpected("/sign/batch answered with a different number of results");
    }
    return results.map((r: unknown, i) =>
      typeof r === "object" && r !== null && "error" in r
        ? (r as SignBatchResult)
        : signResult(r, items[i]!.digestHex.toLowerCase()),
    );
  }

  /** POST /verify: the proxy checks a signature with a registered key (`valid: false` is not an error). */
  async verify(req: VerifyRequest): Promise<VerifyResult> {
    return (await this.post("/verify", req, "repeatable")) as VerifyResult;
  }

  /** `signHash` of `digestHex` with the proxy's default key: the Memory Layer's audit signature. */
  async signAuditDigest(digestHex: string): Promise<SignResult> {
    return this.signHash({ digestHex });
  }

  /** GET /keys: the signers.json document (all statuses; HMAC keys without public_key_pem). */
  async getKeys(): Promise<SignersDocument> {
    const body = (await this.get("/keys")) as { signers?: unknown };
    if (!Array.isArray(body?.signers)) throw unexpected("/keys answered without a signers array");
    return body as SignersDocument;
  }

  /** GET /keys/:kid. */
  async getKey(kid: string): Promise<SignerEntry> {
    return (await this.get(`/keys/${encodeURIComponent(kid)}`)) as SignerEntry;
  }

  /** GET /.well-known/jwks.json: the asymmetric, non-revoked keys. */
  async getJwks(): Promise<JwksDocument> {
    return (await this.get("/.well-known/jwks.json")) as JwksDocument;
  }

  /** GET /audit/head (Auditor, SuperAdmin). */
  async auditHead(): Promise<AuditHead> {
    return (await this.get("/audit/head")) as AuditHead;
  }

  /** GET /audit/events: at most `limit` (≤ 1000) events from `fromSeq`. */
  async auditEvents(query: { fromSeq?: number; limit?: number } = {}): Promise<AuditEventsPage> {
    const params = new URLSearchParams();
    if (query.fromSeq !== undefined) params.set("fromSeq", String(nonNegative(query.fromSeq, "fromSeq")));
    if (query.limit !== undefined) params.set("limit", String(nonNegative(query.limit, "limit")));
    const qs = params.toString() === "" ? "" : `?${params.toString()}`;
    return (await this.get(`/audit/events${qs}`)) as AuditEventsPage;
  }

  /** Every audit event from `fromSeq` on, fetched page by page. */
  async *iterateAuditEvents(fromSeq = 0, pageSize = 1000): AsyncGenerator<ProxyAuditEvent> {
    let next = fromSeq;
    for (;;) {
      const page = await this.auditEvents({ fromSeq: next, limit: pageSize });
      yield* page.events;
      if (page.events.length < pageSize) return;
      next = page.nextSeq;
    }
  }

  /** POST /multisig/proposals (not retried after an unknown outcome: it would make a second proposal). */
  async multisigPropose(req: {
    policy: string;
    manifest: MultisigManifestInput;
  }): Promise<MultisigProposalCreated> {
    return (await this.post("/multisig/proposals", req, "once")) as MultisigProposalCreated;
  }

  /** GET /multisig/proposals/:id: status and approvals. */
  async multisigGet(id: string): Promise<MultisigProposalView> {
    return (await this.get(`/multisig/proposals/${encodeURIComponent(id)}`)) as MultisigProposalView;
  }

  /** POST /multisig/proposals/:id/approvals: approve with `kid` (the proxy signs) or a detached signature. */
  async multisigApprove(id: string, approval: MultisigApprovalInput): Promise<MultisigProposalView> {
    const path = `/multisig/proposals/${encodeURIComponent(id)}/approvals`;
    return (await this.post(path, approval, "once")) as MultisigProposalView;
  }

  /** GET /multisig/proposals/:id/proof (409 ERR_CONFLICT until approved); check it offline with verifyMultisigProof. */
  async multisigProof(id: string): Promise<MultisigProofResponse> {
    return (await this.get(`/multisig/proposals/${encodeURIComponent(id)}/proof`)) as MultisigProofResponse;
  }

  /** POST /multisig/verify: the proxy checks a proof against its trusted policy. */
  async multisigVerify(proof: MultisigProofInput): Promise<MultisigVerifyResponse> {
    return (await this.post("/multisig/verify", { proof }, "repeatable")) as MultisigVerifyResponse;
  }

  /** Close the connection pool; later calls fail with ERR_CLIENT_CLOSED. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  private get(path: string): Promise<unknown> {
    return this.transport.call({ method: "GET", path, safety: "repeatable" });
  }

  private post(path: string, body: unknown, safety: TransportRequest["safety"]): Promise<unknown> {
    return this.transport.call({ method: "POST", path, body, safety });
  }
}

/** Check the fields a caller relies on, and that the proxy signed the digest that was asked for. */
function signResult(value: unknown, expectedDigestHex: string): SignResult {
  const r = value as Partial<Record<keyof SignResult, unknown>> | null;
  if (
    typeof r?.kid !== "string" ||
    typeof r.alg !== "string" ||
    !ALGS.has(r.alg) ||
    typeof r.signature !== "string" ||
    typeof r.digestHex !== "string" ||
    typeof r.auditSeq !== "number"
  ) {
    throw unexpected("the sign answer lacks kid, alg, signature, digestHex or auditSeq");
  }
  // A proxy that signed another digest than ours must not hand us a signature we would trust.
  if (r.digestHex.toLowerCase() !== expectedDigestHex) {
    throw unexpected("the proxy signed a different digest than the one requested");
  }
  return value as SignResult;
}

function nonNegative(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return n;
}

function unexpected(message: string): SigningProxyError {
  return new SigningProxyError("ERR_UNEXPECTED_RESPONSE", message);
}
