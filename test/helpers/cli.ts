import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../../signer/src/cli/main.ts", import.meta.url));
const NODE_ARGS = ["--conditions=source", "--import", "tsx", MAIN];

/** A clean environment: PATH and HOME only, plus `env` (no variables leak in from the test runner). */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env };
}

/** Run `signer …` to completion. */
export function runSigner(args: string[], env: Record<string, string>, timeoutMs = 30_000) {
  const result = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    encoding: "utf8",
    timeout: timeoutMs,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Start `signer …` in the background. */
export function spawnSigner(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Resolve when `child` prints a line matching `pattern` (stdout or stderr), reject on exit or timeout. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`timeout waiting for ${pattern}; output: ${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}; output: ${seen}`));
    });
  });
}
