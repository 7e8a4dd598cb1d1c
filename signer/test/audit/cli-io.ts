import { captureStream } from "../../../test/helpers/capture.js";
import { runAuditCommand } from "../../src/cli/audit-command.js";

/** What one in-process `signer audit …` run printed and returned. */
export interface AuditRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const sink = captureStream;

/** Run `signer audit <args>` in-process with exactly `env` (nothing leaks in from the runner). */
export async function runAudit(args: string[], env: Record<string, string>): Promise<AuditRun> {
  const out = sink();
  const err = sink();
  const code = await runAuditCommand(args, { ...env }, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}
