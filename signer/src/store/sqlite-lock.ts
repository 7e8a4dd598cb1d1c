import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { StoreUnavailableError } from "./store.js";

/** What a lock file records about its holder. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  /** Linux /proc start time of the holder, to tell a live holder from a recycled pid. */
  readonly procStart?: string;
}

/** A held process lock; `release()` is idempotent. */
export interface ProcessLock {
  readonly path: string;
  release(): void;
}

/** Another live process holds the database's lock file. */
export class StoreLockedError extends StoreUnavailableError {
  readonly lockPath: string;
  readonly owner: LockOwner | null;
  constructor(message: string, lockPath: string, owner: LockOwner | null) {
    super(message);
    this.name = "StoreLockedError";
    this.lockPath = lockPath;
    this.owner = owner;
  }
}

/** Timing knobs; the defaults suit production, tests shorten them. */
export interface ProcessLockOptions {
  /** How often the holder touches the lock file. */
  readonly heartbeatMs?: number;
  /** A lock from another host whose file was not touched for this long is stale. */
  readonly staleAfterMs?: number;
}

/** Lock paths this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

/** Linux: field 22 of /proc/<pid>/stat (start time in clock ticks); null where unavailable. */
function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseOwner(raw: string): LockOwner | null {
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== "object" || v === null) return null;
    const o = v as Record<string, unknown>;
    // pid 0 or a negative pid would make kill() signal a whole process group.
    if (!Number.isSafeInteger(o.pid) || (o.pid as number) <= 0) return null;
    if (typeof o.hostname !== "string" || typeof o.startedAt !== "string") return null;
    const base = { pid: o.pid as number, hostname: o.hostname, startedAt: o.startedAt };
    return typeof o.procStart === "string" ? { ...base, procStart: o.procStart } : base;
  } catch {
    return null;
  }
}

function isLive(owner: LockOwner, lockPath: string, mtimeMs: number, staleAfterMs: number): boolean {
  // On another host we cannot probe the pid; the holder's heartbeat on the file is the evidence.
  if (owner.hostname !== hostname()) return Date.now() - mtimeMs < staleAfterMs;
  // Our own pid: live only if this process took it; otherwise a previous incarnation (e.g. pid 1
  // in a restarted container) left it behind.
  if (owner.pid === process.pid) return held.has(lockPath);
  if (!pidAlive(owner.pid)) return false;
  // The pid exists, but if its start time differs it was recycled by an unrelated process.
  const now = procStart(owner.pid);
  return owner.procStart === undefined || now === null || now === owner.procStart;
}

function tryCreate(lockPath: string, content: string): boolean {
  let fd: number;
  try {
    // O_CREAT|O_EXCL: exactly one process can create the file.
    fd = openSync(lockPath, "wx", 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new StoreUnavailableError(`cannot create lock file ${lockPath}`, { cause: e });
  }
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readLock(lockPath: string): { raw: string; mtimeMs: number } | null {
  try {
    return { raw: readFileSync(lockPath, "utf8"), mtimeMs: statSync(lockPath).mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new StoreUnavailableError(`cannot read lock file ${lockPath}`, { cause: e });
  }
}

/** Remove the lock file only if it still holds `raw`, so we never delete a lock someone else just took. */
function removeIfUnchanged(lockPath: string, raw: string): void {
  const now = readLock(lockPath);
  if (now === null || now.raw !== raw) return;
  try {
    unlinkSync(lockPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/**
 * Take `<dbPath>.lock` so that two signer processes never write one SQLite file; a lock left by a
 * dead process is taken over. Throws StoreLockedError naming the holder's pid and the file.
 */
export function acquireProcessLock(dbPath: string, opts: ProcessLockOptions = {}): ProcessLock {
  const heartbeatMs = opts.heartbeatMs ?? 10_000;
  const staleAfterMs = opts.staleAfterMs ?? 60_000;
  const lockPath = `${resolve(dbPath)}.lock`;
  const self = procStart(process.pid);
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    ...(self === null ? {} : { procStart: self }),
  };
  const content = `${JSON.stringify(owner)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!held.has(lockPath) && tryCreate(lockPath, content)) return holdLock(lockPath, content, heartbeatMs);
    const existing = readLock(lockPath);
    if (existing === null) continue;
    const other = parseOwner(existing.raw);
    if (other === null) {
      // Empty or garbled: either a holder is between create and write, or it crashed there.
      if (Date.now() - existing.mtimeMs < 5_000) {
        throw new StoreLockedError(
          `lock file ${lockPath} is being created by another process`,
          lockPath,
          null,
        );
      }
    } else if (isLive(other, lockPath, existing.mtimeMs, staleAfterMs)) {
      throw new StoreLockedError(
        `database is in use by pid ${other.pid} on ${other.hostname} (since ${other.startedAt}); ` +
          `lock file ${lockPath}. Stop that process, or delete the file if it is certainly not running.`,
        lockPath,
        other,
      );
    }
    removeIfUnchanged(lockPath, existing.raw);
  }
  throw new StoreLockedError(`could not acquire lock file ${lockPath}: it keeps changing`, lockPath, null);
}

function holdLock(lockPath: string, content: string, heartbeatMs: number): ProcessLock {
  held.add(lockPath);
  // Touching the file lets a process on another host (shared volume) see that we are alive.
  const timer = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(lockPath, now, now);
    } catch {
      // A missed heartbeat only makes the lock look older; the next one retries.
    }
  }, heartbeatMs);
  timer.unref();
  let released = false;
  return {
    path: lockPath,
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      held.delete(lockPath);
      removeIfUnchanged(lockPath, content);
    },
  };
}
