#!/usr/bin/env node
// TLS reloader sidecar (deploy/helm): sends SIGHUP to `signer serve` when a watched certificate,
// key, CA bundle or CRL changes, so the signer swaps its TLS context without dropping connections.
// Kubernetes updates a mounted Secret by swapping a `..data` symlink, which inotify-based watching
// misses on some file systems, so this compares content fingerprints on an interval instead.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const HELP = `usage: cert-reloader.mjs --watch DIR [--watch DIR]... (--process TEXT | --pid PID) [--interval SECONDS]
  --watch DIR      directory whose files (dot-entries skipped) are fingerprinted
  --process TEXT   signal every process whose command line contains TEXT (needs a shared PID namespace)
  --pid PID        signal this process instead
  --interval S     seconds between checks (default 10)
`;

const { values } = parseArgs({
  options: {
    watch: { type: "string", multiple: true },
    process: { type: "string" },
    pid: { type: "string" },
    interval: { type: "string", default: "10" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});
const intervalMs = Number(values.interval) * 1000;
if (values.help || !values.watch?.length || (!values.process && !values.pid) || !(intervalMs > 0)) {
  process.stdout.write(HELP);
  process.exit(values.help ? 0 : 2);
}

function log(level, msg, extra = {}) {
  process.stdout.write(
    `${JSON.stringify({ level, time: Date.now(), name: "cert-reloader", msg, ...extra })}\n`,
  );
}

/** SHA-256 over every visible file's name and content; a file that cannot be read counts as changed. */
function fingerprint(dirs) {
  const hash = createHash("sha256");
  for (const dir of dirs) {
    let names = [];
    try {
      names = readdirSync(dir)
        .filter((n) => !n.startsWith("."))
        .sort();
    } catch (err) {
      hash.update(`${dir}: ${err.code}\n`);
    }
    for (const name of names) {
      hash.update(`${dir}/${name}\n`);
      try {
        hash.update(readFileSync(join(dir, name)));
      } catch (err) {
        hash.update(`unreadable: ${err.code}\n`);
      }
    }
  }
  return hash.digest("hex");
}

/** PIDs whose /proc/PID/cmdline (arguments joined by spaces) contains `text`, other than ours. */
function findProcesses(text) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      if (argv.join(" ").includes(text)) pids.push(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return pids;
}

let last = fingerprint(values.watch);
log(30, "watching", { dirs: values.watch, intervalMs });
const timer = setInterval(() => {
  const next = fingerprint(values.watch);
  if (next === last) return;
  const pids = values.pid ? [Number(values.pid)] : findProcesses(values.process ?? "");
  if (pids.length === 0) {
    // Keep the old fingerprint so the change is signalled once the signer is back.
    log(40, "TLS files changed but no signer process found", { process: values.process });
    return;
  }
  last = next;
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGHUP");
      log(30, "TLS files changed; sent SIGHUP", { pid });
    } catch (err) {
      log(50, "could not signal the signer", { pid, code: err.code });
    }
  }
}, intervalMs);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    clearInterval(timer);
    process.exit(0);
  });
}
