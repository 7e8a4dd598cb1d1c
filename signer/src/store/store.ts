import type { Alg, KeyStatus } from "../algorithms.js";
import type { ApiKeyRecord } from "./api-key-rows.js";
import type { CheckpointRecord } from "./log-checkpoints.js";
import type { MultisigDecider, ProposalRecord, ProposalState } from "./multisig-records.js";

/** A key as the registry records it. */
export interface KeyRecord {
  readonly kid: string;
  readonly alg: Alg;
  /** SPKI PEM; null for HMAC keys. */
  readonly publicKeyPem: string | null;
  readonly status: KeyStatus;
  /** RFC 3339 time the kid was first registered. */
  readonly deployedAt: string;
  /** RFC 3339 time of the last status change. */
  readonly updatedAt: string;
  readonly description: string;
  /** Backend kind (`softkey`, `pkcs11`, `awskms`), never the URI (it may hold a PIN reference). */
  readonly backend: string;
}

/** One audit event exactly as DESIGN.md A6 defines it. */
export interface AuditEvent {
  readonly seq: number;
  readonly ts: string;
  readonly principal: string;
  readonly op: string;
  readonly kid: string | null;
  readonly alg: string | null;
  readonly digestHex: string | null;
  readonly result: string;
  readonly requestId: string;
  readonly auditKid: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly signature: string | null;
}

/** The last committed event of the chain. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Builds the events of one batch on the chain head. It may be async (the seal is a signature); a
 * throw writes nothing. It must depend only on `head`: PostgreSQL first builds on the head its own
 * last append left and writes with one statement that checks that head under the row lock; if
 * another replica moved it, `build` runs again on the locked head.
 */
export type AuditBatchBuilder = (head: AuditHead | null) => Promise<readonly AuditEvent[]>;

/** Persistence for the registry and the audit log. SQLite and PostgreSQL pass one conformance suite. */
export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Apply pending versioned migrations (idempotent). */
  migrate(): Promise<void>;
  /** Throws when the store cannot serve requests (used by /readyz). */
  ping(): Promise<void>;

  /** Register a key if its kid is new; an existing record is returned unchanged. */
  registerKey(record: KeyRecord): Promise<KeyRecord>;
  getKey(kid: string): Promise<KeyRecord | null>;
  listKeys(): Promise<KeyRecord[]>;
  /** Change a key's status; throws StoreConflictError if the kid is unknown. */
  setKeyStatus(kid: string, status: KeyStatus, at: string): Promise<KeyRecord>;

  /**
   * Append one batch to the audit chain atomically: lock the head (across processes), call
   * `build(head)`, insert the events, commit (durably) — or roll back everything if anything fails.
   * The events are committed on the head `build` was last called with.
   * Throws StoreConflictError if the built events do not continue the head (wrong seq/prevHash).
   */
  appendAuditBatch(build: AuditBatchBuilder): Promise<readonly AuditEvent[]>;
  auditHead(): Promise<AuditHead | null>;
  /** Events with seq >= fromSeq, ascending, at most `limit`. */
  readAuditEvents(fromSeq: number, limit: number): Promise<AuditEvent[]>;

  /** API keys (`signer api-key`): insert a new record; StoreConflictError if the id exists. */
  createApiKey(record: ApiKeyRecord): Promise<void>;
  /** One API key record by id, or null; read per request so a revocation applies at once everywhere. */
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Set revokedAt (the first revocation time is kept); StoreConflictError for an unknown id. */
  revokeApiKey(id: string, at: string): Promise<ApiKeyRecord>;

  /** Multisig (docs/multisig.md): insert a new, pending proposal. */
  insertProposal(record: ProposalRecord): Promise<void>;
  /** A proposal with its approvals in order, or null. */
  getProposal(id: string): Promise<ProposalState | null>;
  /** Highest version of an approved proposal for `target`, or null. */
  lastApprovedVersion(target: string): Promise<number | null>;
  /**
   * Lock the proposal (serialised per proposal and per target, across processes), read it with its
   * approvals, the last approved version of its target and the records of `kids`, run `decide`,
   * apply its writes and commit — or roll everything back. Null when the proposal does not exist.
   */
  decideApproval<T>(id: string, kids: readonly string[], decide: MultisigDecider<T>): Promise<T | null>;

  /**
   * Transparency log: store a signed checkpoint unless one of that size exists (another replica
   * issued it); returns the stored record, which the caller compares with its own.
   */
  addCheckpoint(record: CheckpointRecord): Promise<CheckpointRecord>;
  /** The checkpoint with the largest tree size, or null. */
  latestCheckpoint(): Promise<CheckpointRecord | null>;

  close(): Promise<void>;
}

/** The store rejected a write because of its current state. */
export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreConflictError";
  }
}

/** The store cannot be reached or written (maps to 503). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}
