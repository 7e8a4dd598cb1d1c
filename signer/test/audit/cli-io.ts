import { Writable } from "node:stream";
import { runAuditCommand } from "../../src/cli/audit-command.js";

/** What one in-process `signer audit …` run printed and returned. */
export interface AuditRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** Run `signer audit <args>` in-process with exactly `env` (nothing leaks in from the runner). */
export async function runAudit(args: string[], env: Record<string, string>): Promise<AuditRun> {
  const out = sink();
  const err = sink();
  const code = await runAuditCommand(args, { ...env }, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}
