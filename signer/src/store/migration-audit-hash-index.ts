import type { Migration } from "./migrations.js";

/**
 * Migration 5: drop the UNIQUE index on `audit_events.hash`. It added no integrity (every hash covers
 * its `seq`, the primary key, and its predecessor's hash, so two equal hashes would be a SHA-256
 * collision), while every append paid for it: the hashes are random, so each event dirtied another
 * page of the index; at 24 events per batch SQLite's commit took ≈1.0 ms with the index and
 * ≈0.4 ms without (docs/performance.md). Nothing looks events up by hash.
 *
 * SQLite cannot drop a column constraint in place, so the table is rebuilt in the migration's
 * transaction (rows copied unchanged, then the append-only triggers recreated); on a large log this
 * costs one copy at the first start of this version (1.6 s per million events measured on the
 * 2-vCPU dev VM). PostgreSQL drops the constraint.
 */
export const AUDIT_HASH_INDEX_MIGRATION: Migration = Object.freeze({
  version: 5,
  name: "audit-events-without-hash-index",
  sqlite: `
CREATE TABLE audit_events_v5 (
  seq INTEGER PRIMARY KEY CHECK (seq >= 0),
  ts TEXT NOT NULL,
  principal TEXT NOT NULL,
  op TEXT NOT NULL,
  kid TEXT,
  alg TEXT,
  digest_hex TEXT,
  result TEXT NOT NULL,
  request_id TEXT NOT NULL,
  audit_kid TEXT NOT NULL,
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL CHECK (length(hash) = 64),
  signature TEXT
) STRICT;
INSERT INTO audit_events_v5 (seq, ts, principal, op, kid, alg, digest_hex, result, request_id, audit_kid, prev_hash, hash, signature)
  SELECT seq, ts, principal, op, kid, alg, digest_hex, result, request_id, audit_kid, prev_hash, hash, signature
  FROM audit_events ORDER BY seq;
DROP TABLE audit_events;
ALTER TABLE audit_events_v5 RENAME TO audit_events;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
`,
  postgres: `
ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS audit_events_hash_key;
`,
});
