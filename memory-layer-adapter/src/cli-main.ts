// Process entry point of memory-audit-verify (bin/memory-audit-verify.mjs loads it).
import { runMemoryAuditVerify } from "./cli.js";

process.exitCode = await runMemoryAuditVerify(process.argv.slice(2), process.env, {
  stdout: process.stdout,
  stderr: process.stderr,
});
