import type pg from "pg";

/** A node-postgres Pool, or a connected Client (not inside a transaction of its own). */
export type PgPoolOrClient = pg.Pool | pg.ClientBase;

/** A connection for one transaction, and how to give it back. */
export interface Lease {
  readonly client: pg.ClientBase;
  /** Return the connection to its pool (destroying it after `err`); a no-op for a caller's Client. */
  release(err?: Error): void;
}

/** True for a pg.Pool (which hands out connections), false for a Client (which is one). */
function isPool(pg: PgPoolOrClient): pg is pg.Pool {
  // By shape rather than instanceof: the caller's pg may be another copy of the module.
  return typeof (pg as { totalCount?: unknown }).totalCount === "number";
}

/** Check a connection out of a pool, or use the given client as is. */
export async function lease(pg: PgPoolOrClient): Promise<Lease> {
  if (!isPool(pg)) return { client: pg, release() {} };
  const client = await pg.connect();
  return { client, release: (err) => client.release(err) };
}

/** Run `work` in one transaction: COMMIT when it resolves, ROLLBACK (and rethrow) when it throws. */
export async function inTransaction<T>(
  pg: PgPoolOrClient,
  begin: string,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const { client, release } = await lease(pg);
  // Set when the connection itself failed: the pool must then discard it rather than reuse it.
  let broken: Error | undefined;
  try {
    try {
      await client.query(begin);
    } catch (err) {
      broken = asError(err);
      throw err;
    }
    try {
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      // The first error is the one to report; a failed ROLLBACK only marks the connection broken.
      await client.query("ROLLBACK").catch((rollbackErr: unknown) => {
        broken = asError(rollbackErr);
      });
      throw err;
    }
  } finally {
    release(broken);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
