import type { Alg } from "../algorithms.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { AuditInput } from "../audit/event.js";
import type { Permission } from "../auth/permissions.js";
import type { Principal } from "../auth/principal.js";
import { BackendUnavailableError, type SigningBackend } from "../backends/backend.js";
import { isSignerError, SignerError } from "../errors.js";
import type { Metrics } from "../observability/metrics.js";
import type { KeyRegistry } from "../registry/key-registry.js";

/** One digest to sign. */
export interface SignItem {
  readonly digestHex: string;
  readonly kid?: string | undefined;
}

/** A signature as the API returns it. */
export interface SignResult {
  readonly kid: string;
  readonly alg: Alg;
  readonly signature: string;
  readonly digestHex: string;
  readonly signedAt: string;
  readonly auditSeq: number;
  /** Leaf index of the event in the transparency log (= auditSeq: leaf i is event seq i). */
  readonly logIndex: number;
}

/** What a batch item turns into: a result or a client-safe error. */
export type SignOutcome = SignResult | { readonly error: SignerError };

/** Dependencies of the signing flow. */
export interface SignServiceDeps {
  readonly registry: KeyRegistry;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly defaultKid: string | undefined;
  /** The transparency log's key, which never signs for callers. */
  readonly logKid?: string | undefined;
}

interface Authorized {
  readonly kid: string;
  readonly alg: Alg;
  readonly backend: SigningBackend;
  readonly digest: Buffer;
}

interface Prepared {
  readonly kid: string;
  readonly alg: Alg;
  readonly digestHex: string;
  readonly signature: Buffer;
}

/**
 * The signing flow: authorize → sign in the backend → audit (group commit) → release.
 * Nothing is released unless its audit event committed; refusals are audited too.
 */
export class SignService {
  readonly #deps: SignServiceDeps;

  constructor(deps: SignServiceDeps) {
    this.#deps = deps;
  }

  /** Sign every item; per-item failures are returned in place (the batch route), never thrown. */
  async signMany(
    principal: Principal,
    permission: Permission,
    op: string,
    requestId: string,
    items: readonly SignItem[],
  ): Promise<SignOutcome[]> {
    const prepared = await this.#prepareAll(principal, permission, items);
    const events: AuditInput[] = prepared.map((p, i) =>
      p instanceof SignerError
        ? {
            principal: principal.id,
            op,
            kid: items[i]!.kid ?? this.#deps.defaultKid ?? null,
            alg: null,
            digestHex: normalizeDigest(items[i]!.digestHex),
            result: `refused:${p.code}`,
            requestId,
          }
        : {
            principal: principal.id,
            op,
            kid: p.kid,
            alg: p.alg,
            digestHex: p.digestHex,
            result: "ok",
            requestId,
          },
    );
    // Fail closed: if the audit commit fails this throws ERR_AUDIT_UNAVAILABLE and no signature leaves.
    // Each signature stands only if its key is still active when the batch commits (the audit log
    // re-reads the status then; a revocation meanwhile turns the event into a refusal).
    const committed = await this.#deps.audit.record(
      events,
      prepared.map((p) => (p instanceof SignerError ? null : p.kid)),
    );
    return prepared.map((p, i) => {
      if (p instanceof SignerError) return { error: p };
      const event = committed[i]!;
      if (event.result !== "ok") {
        return { error: new SignerError("ERR_KEY_NOT_ACTIVE", `key ${p.kid} is no longer active`) };
      }
      return {
        kid: p.kid,
        alg: p.alg,
        signature: p.signature.toString("base64"),
        digestHex: p.digestHex,
        signedAt: event.ts,
        auditSeq: event.seq,
        logIndex: event.seq,
      };
    });
  }

  /** Sign one digest; a refusal is thrown (after it was audited). */
  async signOne(
    principal: Principal,
    permission: Permission,
    op: string,
    requestId: string,
    item: SignItem,
  ): Promise<SignResult> {
    const [outcome] = await this.signMany(principal, permission, op, requestId, [item]);
    if (!outcome) throw new SignerError("ERR_INTERNAL", "no signing outcome");
    if ("error" in outcome) throw outcome.error;
    return outcome;
  }

  /** Authorize every item, then sign what passed, grouped by backend (a batch goes to `signMany`). */
  async #prepareAll(
    principal: Principal,
    permission: Permission,
    items: readonly SignItem[],
  ): Promise<Array<Prepared | SignerError>> {
    const authorized = await Promise.all(items.map((item) => this.#authorize(principal, permission, item)));
    const out: Array<Prepared | SignerError> = authorized.map((a) =>
      a instanceof SignerError ? a : (undefined as unknown as Prepared),
    );
    const groups = new Map<SigningBackend, number[]>();
    authorized.forEach((a, i) => {
      if (a instanceof SignerError) return;
      const group = groups.get(a.backend);
      if (group) group.push(i);
      else groups.set(a.backend, [i]);
    });
    // A backend with signMany gets its share in one call; others sign item by item, so one failed
    // signature refuses only its own item.
    const shares = [...groups].flatMap(([backend, indices]) =>
      backend.signMany && indices.length > 1
        ? [{ backend, indices }]
        : indices.map((i) => ({ backend, indices: [i] })),
    );
    await Promise.all(
      shares.map(async ({ backend, indices }) => {
        const batch = indices.map((i) => authorized[i] as Authorized);
        const signatures = await this.#sign(backend, batch);
        indices.forEach((index, j) => {
          const a = batch[j]!;
          out[index] =
            signatures instanceof SignerError
              ? signatures
              : { kid: a.kid, alg: a.alg, digestHex: a.digest.toString("hex"), signature: signatures[j]! };
        });
      }),
    );
    return out;
  }

  /** Sign one backend's share; a failure refuses the whole share with a client-safe error. */
  async #sign(backend: SigningBackend, batch: readonly Authorized[]): Promise<Buffer[] | SignerError> {
    const { metrics } = this.#deps;
    const labels = { alg: backend.alg, backend: backend.kind };
    const started = process.hrtime.bigint();
    try {
      const signatures =
        backend.signMany && batch.length > 1
          ? await backend.signMany(batch.map((a) => a.digest))
          : [await backend.sign(batch[0]!.digest)];
      if (signatures.length !== batch.length)
        throw new Error("backend returned a wrong number of signatures");
      // signSeconds is per signature: a batch call counts its mean time once for each digest.
      const each = Number(process.hrtime.bigint() - started) / 1e9 / batch.length;
      for (let i = 0; i < batch.length; i++) metrics.signSeconds.observe(labels, each);
      return signatures;
    } catch (err) {
      metrics.signFailures.inc({ ...labels, reason: errorName(err) }, batch.length);
      if (isSignerError(err)) return err;
      if (err instanceof BackendUnavailableError) {
        return new SignerError("ERR_BACKEND_UNAVAILABLE", "the key backend is unavailable", { cause: err });
      }
      return new SignerError("ERR_BACKEND_UNAVAILABLE", `key ${backend.kid} could not sign`, { cause: err });
    }
  }

  /** Every check before signing one item: permission, kid, ownership, key status, digest. */
  async #authorize(
    principal: Principal,
    permission: Permission,
    item: SignItem,
  ): Promise<Authorized | SignerError> {
    try {
      // Roles first: a principal without the permission learns nothing about keys.
      if (!principal.permissions.has(permission)) {
        return new SignerError("ERR_FORBIDDEN", `principal ${principal.id} lacks ${permission}`);
      }
      const kid = item.kid ?? this.#deps.defaultKid;
      if (kid === undefined)
        return new SignerError("ERR_VALIDATION", "no kid given and no default key configured");
      // The log key signs checkpoints only: a caller-chosen digest signed by it could pass for one.
      if (kid === this.#deps.logKid) {
        return new SignerError("ERR_FORBIDDEN", `key ${kid} is the transparency log key`);
      }
      // A principal may only sign with the kids granted to it.
      if (!principal.keys.has(kid)) {
        return new SignerError("ERR_FORBIDDEN", `principal ${principal.id} may not use key ${kid}`);
      }
      // The cached status is enough here: the audit commit re-checks it before anything is released.
      const { backend, record } = await this.#deps.registry.signerCached(kid);
      const digest = Buffer.from(item.digestHex, "hex");
      if (digest.length !== 32) return new SignerError("ERR_BAD_DIGEST", "digestHex must be 32 bytes of hex");
      return { kid, alg: record.alg, backend, digest };
    } catch (err) {
      if (isSignerError(err)) return err;
      if (err instanceof BackendUnavailableError) {
        return new SignerError("ERR_BACKEND_UNAVAILABLE", "the key backend is unavailable", { cause: err });
      }
      throw err;
    }
  }
}

function normalizeDigest(digestHex: string): string | null {
  return /^[0-9a-fA-F]{64}$/.test(digestHex) ? digestHex.toLowerCase() : null;
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "unknown";
}
