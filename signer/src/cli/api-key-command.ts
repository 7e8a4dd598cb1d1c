import { parseArgs } from "node:util";
import {
  ApiKeyAdminError,
  checkIssueRequest,
  issueApiKey,
  revokeApiKey,
  viewOf,
} from "../auth/api-key-admin.js";
import { parseExpiresIn } from "../auth/api-key-token.js";
import { openStore } from "../store/open-store.js";
import { openApiKeyWriteSession } from "./api-key-store.js";
import { configOrExit } from "./serve-command.js";

const HELP = `usage:
  signer api-key generate --name NAME --principal ID --permissions P1,P2 [--keys KID1,KID2]
                          --expires-in 90s|30m|1h|7d [--json]
      Issues an API key for a configured principal, scoped to a subset of its permissions and
      kids, expiring (at most 366d). Prints the key once; only its SHA-256 is stored. A principal
      with "requireApiKey": true must present one of its keys (x-api-key, or Authorization: Bearer)
      on top of its client certificate; any presented key narrows the request to the key's scope.
  signer api-key list [--json]
      Lists issued keys (id, name, principal, scope, expiry, revocation); never the keys.
  signer api-key revoke ID [--json]
      Revokes a key; every replica refuses it on its next request (the store is read per request).
Generate and revoke are audit events sealed by the audit key. The store is the one that
DATABASE_URL / SIGNER_DATA_DIR / SIGNER_CONFIG name, and may be in use by a running service.
`;

function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function write(text: string): void {
  process.stdout.write(text);
}

/** `signer api-key generate|list|revoke` (DESIGN.md A7). */
export async function apiKeyCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      json: { type: "boolean" },
      name: { type: "string" },
      principal: { type: "string" },
      permissions: { type: "string" },
      keys: { type: "string" },
      "expires-in": { type: "string" },
    },
  });
  const [action, id] = positionals;
  if (values.help) {
    write(HELP);
    return 0;
  }
  const config = configOrExit(env);
  if (!config) return 2;
  try {
    if (action === "list") {
      const store = await openStore({
        dataDir: config.dataDir,
        readonly: true,
        ...(config.databaseUrl ? { databaseUrl: config.databaseUrl.revealText() } : {}),
      });
      try {
        const keys = (await store.listApiKeys()).map(viewOf);
        if (values.json) write(`${JSON.stringify({ apiKeys: keys }, null, 2)}\n`);
        else
          for (const k of keys)
            write(
              `${k.id}  ${k.principal}  ${k.name}  ${k.permissions.join(",")}  ${k.keys.join(",") || "-"}  expires ${k.expiresAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ""}\n`,
            );
        return 0;
      } finally {
        await store.close();
      }
    }
    if (action === "generate") {
      const expiresInMs = parseExpiresIn(values["expires-in"] ?? "");
      if (!values.name || !values.principal || !values.permissions || expiresInMs === undefined) {
        process.stderr.write(
          `signer api-key generate: --name, --principal, --permissions and --expires-in (e.g. 1h, at most 366d) are required\n`,
        );
        return 2;
      }
      const request = {
        name: values.name,
        principal: values.principal,
        permissions: list(values.permissions),
        keys: list(values.keys),
        expiresInMs,
      };
      // Refuse a bad scope before touching the store or the audit key.
      checkIssueRequest(config.principals, request);
      const session = await openApiKeyWriteSession(config);
      try {
        const { key, record } = await issueApiKey(session, config.principals, request);
        const { id: keyId, principal, permissions, keys, expiresAt } = record;
        if (values.json)
          write(`${JSON.stringify({ id: keyId, key, principal, permissions, keys, expiresAt })}\n`);
        else write(`API key ${keyId} for ${principal} (expires ${expiresAt}); shown only now:\n${key}\n`);
        return 0;
      } finally {
        await session.close();
      }
    }
    if (action === "revoke" && id !== undefined && positionals.length === 2) {
      const session = await openApiKeyWriteSession(config);
      try {
        const { record, already } = await revokeApiKey(session, id);
        if (values.json)
          write(`${JSON.stringify({ id: record.id, revokedAt: record.revokedAt, already })}\n`);
        else write(`API key ${record.id} ${already ? "was already" : "is"} revoked (${record.revokedAt})\n`);
        return 0;
      } finally {
        await session.close();
      }
    }
  } catch (err) {
    if (!(err instanceof ApiKeyAdminError)) throw err;
    process.stderr.write(`signer api-key: ${err.message}\n`);
    return err.kind === "usage" ? 2 : 1;
  }
  process.stderr.write(HELP);
  return 2;
}
