import pg from "pg";
import { pendingMigrations, SCHEMA_MIGRATIONS_DDL } from "./migrations.js";
import { StoreConflictError, StoreUnavailableError } from "./store.js";

/** SQLSTATE classes meaning "cannot serve now": connection, auth, rollback/serialisation,
 * resources, operator intervention, system, internal; plus read-only transaction (a standby). */
const UNAVAILABLE_SQLSTATE = /^(08|28|40|53|57|58|XX)|^25006$/;

/** Translate a pg failure into the Store error contract; unexpected SQL errors pass through. */
export function mapPgError(e: unknown): unknown {
  if (e instanceof StoreConflictError || e instanceof StoreUnavailableError) return e;
  if (e instanceof pg.DatabaseError) {
    const code = e.code ?? "";
    if (code.startsWith("23")) return new StoreConflictError(`postgres constraint failed (${code})`);
    if (UNAVAILABLE_SQLSTATE.test(code))
      return new StoreUnavailableError(`postgres unavailable (${code})`, { cause: e });
    return e;
  }
  // Anything else pg throws is client-side: refused/reset socket, connect timeout, ended pool.
  if (e instanceof Error)
    return new StoreUnavailableError(`postgres unavailable: ${e.message}`, { cause: e });
  return e;
}

/** A schema name safe to splice into a startup option (no quoting needed, no spaces). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Add `-c name=value` session settings to the URL's `options` parameter. They go in the URL
 * because pg lets the connection string override a Pool's own `options` field.
 */
export function withSessionSettings(url: string, settings: Readonly<Record<string, string>>): string {
  const entries = Object.entries(settings);
  if (entries.length === 0) return url;
  for (const [name, value] of entries) {
    // Startup options are space-separated; a space or backslash would inject another setting.
    if (!/^[a-z_]+$/.test(name) || !/^[A-Za-z0-9_,.-]+$/.test(value)) {
      throw new RangeError(`invalid postgres session setting ${name}`);
    }
  }
  const u = new URL(url);
  const extra = entries.map(([name, value]) => `-c ${name}=${value}`).join(" ");
  const existing = u.searchParams.get("options");
  u.searchParams.set("options", existing ? `${existing} ${extra}` : extra);
  return u.toString();
}

/** Throws unless `schema` is a plain lowercase identifier. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema))
    throw new RangeError(`invalid postgres schema name ${JSON.stringify(schema)}`);
}

/** A query function whose pg errors are already mapped to the Store contract. */
export type Query = <R extends pg.QueryResultRow>(
  text: string,
  params?: unknown[],
) => Promise<pg.QueryResult<R>>;

/**
 * Run `fn` in one transaction on a dedicated client. Errors thrown by `fn` itself (e.g. by an
 * audit builder) pass through unchanged; pg errors arrive already mapped through `q`.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (q: Query, first: pg.QueryResult | undefined) => Promise<T>,
  /** A statement without parameters sent with BEGIN in one round trip; its result goes to `fn`. */
  first?: string,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw mapPgError(e);
  }
  let broken: Error | undefined;
  // pg emits 'error' on a checked-out client whose socket dies between queries (e.g. while the
  // builder runs); without a listener that would be an uncaught exception and kill the process.
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on("error", onError);
  const q: Query = async (text, params) => {
    try {
      return await client.query(text, params);
    } catch (e) {
      if (!(e instanceof pg.DatabaseError)) broken ??= e instanceof Error ? e : new Error(String(e));
      throw mapPgError(e);
    }
  };
  try {
    const begun = await q(first === undefined ? "BEGIN" : `BEGIN; ${first}`);
    // A multi-statement query answers with one result per statement.
    const result = await fn(q, first === undefined ? undefined : (begun as unknown as pg.QueryResult[])[1]);
    // synchronous_commit (default on) makes COMMIT return only once the WAL is flushed.
    await q("COMMIT");
    return result;
  } catch (e) {
    if (broken === undefined) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
    }
    throw e;
  } finally {
    client.off("error", onError);
    // A client in an unknown state is destroyed rather than returned to the pool.
    client.release(broken);
  }
}

/**
 * Apply pending migrations, one transaction each, under a transaction-scoped advisory lock keyed
 * by the schema, so replicas starting together apply every version exactly once.
 */
export async function migratePostgres(pool: pg.Pool, readonly: boolean): Promise<void> {
  if (readonly) {
    const q: Query = (text, params) =>
      pool.query(text, params).catch((e: unknown) => Promise.reject(mapPgError(e)));
    const exists = await q<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
    const applied =
      exists.rows[0]?.t == null
        ? []
        : (await q<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version);
    const pending = pendingMigrations(new Set(applied));
    if (pending.length > 0) {
      throw new StoreUnavailableError(
        `database schema is missing migration ${pending[0]?.version}; start the service once to migrate`,
      );
    }
    return;
  }
  for (;;) {
    const applied = await inTransaction(pool, async (q) => {
      await q(
        "SELECT pg_advisory_xact_lock(hashtext('signing-proxy.migrate'), hashtext(coalesce(current_schema(), '')))",
      );
      await q(SCHEMA_MIGRATIONS_DDL);
      const rows = await q<{ version: number }>("SELECT version FROM schema_migrations");
      const next = pendingMigrations(new Set(rows.rows.map((r) => r.version)))[0];
      if (next === undefined) return false;
      await q(next.postgres);
      await q("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
        next.version,
        next.name,
        new Date().toISOString(),
      ]);
      return true;
    });
    if (!applied) return;
  }
}
