import type { Migration } from "./migrations.js";

const COLUMNS = `
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  principal TEXT NOT NULL,
  permissions TEXT NOT NULL,
  keys TEXT NOT NULL,
  key_hash TEXT NOT NULL CHECK (length(key_hash) = 64),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT`;

/**
 * Version 3: issued API keys (`signer api-key`). Only a SHA-256 of each key is stored; the key is
 * shown once. Rows are never deleted, so a revoked key keeps its history.
 */
export const API_KEYS_MIGRATION: Migration = Object.freeze({
  version: 3,
  name: "api-keys",
  sqlite: `CREATE TABLE api_keys (${COLUMNS}\n) STRICT;\nCREATE INDEX api_keys_principal ON api_keys (principal);\n`,
  postgres: `CREATE TABLE api_keys (${COLUMNS}\n);\nCREATE INDEX api_keys_principal ON api_keys (principal);\n`,
});
