import type { Migration } from "./migrations.js";

/*
 * Schema version 2: multisig proposals and approvals (docs/multisig.md). The database itself
 * refuses what the coordinator must never do: change a decided proposal (its proof is frozen),
 * edit a manifest, delete anything, approve twice with one kid or one public key, or add an
 * approval to a proposal that is no longer pending.
 */

const SQLITE = `
CREATE TABLE multisig_proposals (
  id TEXT PRIMARY KEY NOT NULL,
  policy TEXT NOT NULL,
  threshold INTEGER NOT NULL CHECK (threshold >= 1),
  signers TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('upgrade', 'rollback', 'key-promotion', 'key-revocation')),
  target TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  manifest TEXT NOT NULL,
  digest_hex TEXT NOT NULL CHECK (length(digest_hex) = 64),
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  decided_at TEXT,
  proof TEXT,
  CHECK ((status = 'approved') = (proof IS NOT NULL)),
  CHECK ((status = 'pending') = (decided_at IS NULL))
) STRICT;
CREATE INDEX multisig_proposals_target ON multisig_proposals (target, status, version);

CREATE TABLE multisig_approvals (
  proposal_id TEXT NOT NULL REFERENCES multisig_proposals (id),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  kid TEXT NOT NULL,
  alg TEXT NOT NULL,
  signature TEXT NOT NULL,
  key_fingerprint TEXT NOT NULL CHECK (length(key_fingerprint) = 64),
  approver TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('proxy', 'detached')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (proposal_id, seq),
  UNIQUE (proposal_id, kid),
  UNIQUE (proposal_id, key_fingerprint)
) STRICT;

CREATE TRIGGER multisig_proposals_frozen BEFORE UPDATE ON multisig_proposals
  WHEN OLD.status <> 'pending'
BEGIN SELECT RAISE(ABORT, 'a decided multisig proposal is immutable'); END;
CREATE TRIGGER multisig_proposals_fixed BEFORE UPDATE OF id, policy, threshold, signers, type,
  target, version, manifest, digest_hex, expires_at, created_at, created_by ON multisig_proposals
BEGIN SELECT RAISE(ABORT, 'a multisig manifest is immutable'); END;
CREATE TRIGGER multisig_proposals_no_delete BEFORE DELETE ON multisig_proposals
BEGIN SELECT RAISE(ABORT, 'multisig proposals are never deleted'); END;
CREATE TRIGGER multisig_approvals_pending_only BEFORE INSERT ON multisig_approvals
  WHEN (SELECT status FROM multisig_proposals WHERE id = NEW.proposal_id) IS NOT 'pending'
BEGIN SELECT RAISE(ABORT, 'approvals are only accepted while the proposal is pending'); END;
CREATE TRIGGER multisig_approvals_no_update BEFORE UPDATE ON multisig_approvals
BEGIN SELECT RAISE(ABORT, 'multisig approvals are append-only'); END;
CREATE TRIGGER multisig_approvals_no_delete BEFORE DELETE ON multisig_approvals
BEGIN SELECT RAISE(ABORT, 'multisig approvals are append-only'); END;
`;

const POSTGRES = `
CREATE TABLE multisig_proposals (
  id TEXT PRIMARY KEY,
  policy TEXT NOT NULL,
  threshold INTEGER NOT NULL CHECK (threshold >= 1),
  signers TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('upgrade', 'rollback', 'key-promotion', 'key-revocation')),
  target TEXT NOT NULL,
  version BIGINT NOT NULL CHECK (version >= 1),
  manifest TEXT NOT NULL,
  digest_hex TEXT NOT NULL CHECK (length(digest_hex) = 64),
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  decided_at TEXT,
  proof TEXT,
  CHECK ((status = 'approved') = (proof IS NOT NULL)),
  CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX multisig_proposals_target ON multisig_proposals (target, status, version);

CREATE TABLE multisig_approvals (
  proposal_id TEXT NOT NULL REFERENCES multisig_proposals (id),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  kid TEXT NOT NULL,
  alg TEXT NOT NULL,
  signature TEXT NOT NULL,
  key_fingerprint TEXT NOT NULL CHECK (length(key_fingerprint) = 64),
  approver TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('proxy', 'detached')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (proposal_id, seq),
  UNIQUE (proposal_id, kid),
  UNIQUE (proposal_id, key_fingerprint)
);

CREATE FUNCTION multisig_proposals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'multisig proposals are never deleted';
  END IF;
  IF OLD.status <> 'pending' THEN
    RAISE EXCEPTION 'a decided multisig proposal is immutable';
  END IF;
  IF (NEW.id, NEW.policy, NEW.threshold, NEW.signers, NEW.type, NEW.target, NEW.version,
      NEW.manifest, NEW.digest_hex, NEW.expires_at, NEW.created_at, NEW.created_by)
     IS DISTINCT FROM
     (OLD.id, OLD.policy, OLD.threshold, OLD.signers, OLD.type, OLD.target, OLD.version,
      OLD.manifest, OLD.digest_hex, OLD.expires_at, OLD.created_at, OLD.created_by) THEN
    RAISE EXCEPTION 'a multisig manifest is immutable';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER multisig_proposals_guard BEFORE UPDATE OR DELETE ON multisig_proposals
  FOR EACH ROW EXECUTE FUNCTION multisig_proposals_guard();

CREATE FUNCTION multisig_approvals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION 'multisig approvals are append-only';
  END IF;
  IF (SELECT status FROM multisig_proposals WHERE id = NEW.proposal_id) IS DISTINCT FROM 'pending' THEN
    RAISE EXCEPTION 'approvals are only accepted while the proposal is pending';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER multisig_approvals_guard BEFORE INSERT OR UPDATE OR DELETE ON multisig_approvals
  FOR EACH ROW EXECUTE FUNCTION multisig_approvals_guard();
CREATE TRIGGER multisig_no_truncate BEFORE TRUNCATE ON multisig_approvals
  FOR EACH STATEMENT EXECUTE FUNCTION multisig_approvals_guard();
`;

/** Migration 2 ("multisig"): proposals and approvals, immutable once decided. */
export const MULTISIG_MIGRATION: Migration = Object.freeze({
  version: 2,
  name: "multisig",
  sqlite: SQLITE,
  postgres: POSTGRES,
});
