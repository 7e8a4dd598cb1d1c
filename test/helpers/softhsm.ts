import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pkcs11js from "pkcs11js";

/** Where distributions put the SoftHSM2 PKCS#11 module. */
const MODULE_CANDIDATES = [
  "/usr/lib/softhsm/libsofthsm2.so",
  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/local/lib/softhsm/libsofthsm2.so",
  "/usr/lib64/pkcs11/libsofthsm2.so",
];

/** The algs of DESIGN.md A4 → pkcs11-tool's key-generation arguments (OpenSC 0.23). */
export const PKCS11_TOOL_KEYGEN = Object.freeze({
  ed25519: ["--keypairgen", "--key-type", "EC:edwards25519"],
  "ecdsa-sha256": ["--keypairgen", "--key-type", "EC:prime256v1"],
  "rsa-sha256": ["--keypairgen", "--key-type", "rsa:2048"],
  "hmac-sha256": ["--keygen", "--key-type", "GENERIC:32"],
} as const);

/** A key alg pkcs11-tool can make. */
export type ToolAlg = keyof typeof PKCS11_TOOL_KEYGEN;

/** A throwaway SoftHSM2 token in a temp directory with its own SOFTHSM2_CONF. */
export interface SoftHsmToken {
  /** The store's directory (config, token directory, PIN files). */
  readonly dir: string;
  readonly label: string;
  readonly pin: string;
  readonly modulePath: string;
  /** A 0600 file holding the user PIN (for pin-source=file:). */
  readonly pinFile: string;
  /** Environment for child processes (`signer`, pkcs11-tool): SOFTHSM2_CONF. */
  readonly env: Readonly<Record<string, string>>;
  /** `pkcs11:token=…;object=…?module-path=…&pin-source=file:…`, plus `extraQuery` attributes. */
  uri(object: string, extraQuery?: string): string;
  /** Make a key with OpenSC's pkcs11-tool, as an operator would. */
  toolKey(alg: ToolAlg, label: string, idHex: string): void;
  /** Run pkcs11-tool against this token (logged in); returns stdout, throws on failure. */
  tool(args: readonly string[]): string;
}

/** Why SoftHSM2 tests cannot run here, or undefined when they can. */
export function softHsmUnavailable(): string | undefined {
  for (const cmd of ["softhsm2-util", "pkcs11-tool"]) {
    if (spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0) return `${cmd} is not installed`;
  }
  return findModule() === undefined ? "libsofthsm2.so was not found" : undefined;
}

/**
 * Register `suite` when SoftHSM2 and OpenSC are installed. Otherwise a skipped test says why, or,
 * under REQUIRE_INTEGRATION=1 (.ci/run), a failing one: CI must never skip the HSM suites silently.
 */
export function withSoftHsm(title: string, suite: () => void): void {
  const missing = softHsmUnavailable();
  if (missing === undefined) {
    suite();
    return;
  }
  if (process.env.REQUIRE_INTEGRATION === "1") {
    test(`${title}: SoftHSM2 and OpenSC are installed (REQUIRE_INTEGRATION=1)`, () => {
      assert.fail(`REQUIRE_INTEGRATION=1 but ${missing}; ${title} cannot run`);
    });
  } else {
    test(title, { skip: `${missing}; .ci/run installs softhsm2 and opensc` }, () => {});
  }
}

let store: { readonly dir: string; readonly conf: string } | undefined;

/**
 * This process's SoftHSM2 store: a temp directory with its own token directory and config, made
 * on first use and removed at exit. Only here is process.env.SOFTHSM2_CONF set, for the
 * in-process module; SoftHSM reads it once, at C_Initialize.
 */
function softHsmStore(): { readonly dir: string; readonly conf: string } {
  if (store) return store;
  const dir = mkdtempSync(join(tmpdir(), "softhsm-"));
  const conf = join(dir, "softhsm2.conf");
  mkdirSync(join(dir, "tokens"));
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  store = { dir, conf };
  return store;
}

/**
 * Initialize a new token in this process's throwaway store. Create every token a test file needs
 * before the first backend loads the module: SoftHSM lists tokens as they were at C_Initialize.
 */
export function createSoftHsmToken(label = "signer-test", pin = "24681357"): SoftHsmToken {
  const modulePath = findModule();
  if (!modulePath) throw new Error("libsofthsm2.so not found");
  const { dir, conf } = softHsmStore();
  const env = { SOFTHSM2_CONF: conf };
  run(
    "softhsm2-util",
    ["--init-token", "--free", "--label", label, "--so-pin", "12345678", "--pin", pin],
    env,
  );
  const pinFile = join(dir, `${label}.pin`);
  writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
  const tool = (args: readonly string[]) =>
    run(
      "pkcs11-tool",
      ["--module", modulePath, "--token-label", label, "--login", "--pin", pin, ...args],
      env,
    );
  return {
    dir,
    label,
    pin,
    modulePath,
    pinFile,
    env,
    uri: (object, extraQuery) =>
      `pkcs11:token=${encodeURIComponent(label)};object=${encodeURIComponent(object)}` +
      `?module-path=${modulePath}&pin-source=file:${pinFile}${extraQuery ? `&${extraQuery}` : ""}`,
    toolKey: (alg, keyLabel, idHex) => {
      tool([...PKCS11_TOOL_KEYGEN[alg], "--label", keyLabel, "--id", idHex]);
    },
    tool,
  };
}

function findModule(): string | undefined {
  return MODULE_CANDIDATES.find((path) => existsSync(path));
}

function run(cmd: string, args: readonly string[], env: Record<string, string>): string {
  const result = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args[0]} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

/** A raw pkcs11js session on a token, for doing things behind the backend's back. */
export interface RawSession {
  readonly api: pkcs11js.PKCS11;
  readonly slot: Buffer;
  readonly session: Buffer;
  /** The one object of `cls` (CKO_*) labelled `label`. */
  find(label: string, cls: number): Buffer;
  /** C_SignInit + C_Sign, synchronously, as a plain PKCS#11 application would. */
  sign(mechanism: number, key: Buffer, data: Buffer, outLength: number): Buffer;
  close(): void;
}

/**
 * Open a logged-in session with a separate pkcs11js instance. The library state is process-wide,
 * so this sees (and can close or log out) the backend's sessions. Open it before the first backend
 * so that the library stays initialized by this instance while backends come and go.
 */
export function openRawSession(token: SoftHsmToken): RawSession {
  const api = new pkcs11js.PKCS11();
  api.load(token.modulePath);
  try {
    api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test(String(err))) throw err;
  }
  const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.trimEnd() === token.label);
  if (!slot) throw new Error(`token ${token.label} not visible in-process`);
  const session = api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  try {
    api.C_Login(session, pkcs11js.CKU_USER, token.pin);
  } catch (err) {
    if (!/CKR_USER_ALREADY_LOGGED_IN/.test(String(err))) throw err;
  }
  return {
    api,
    slot,
    session,
    find(label, cls) {
      api.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: cls },
        { type: pkcs11js.CKA_LABEL, value: label },
      ]);
      const found = api.C_FindObjects(session, 4);
      api.C_FindObjectsFinal(session);
      if (found.length !== 1) throw new Error(`${found.length} objects labelled ${label}`);
      return found[0]!;
    },
    sign(mechanism, key, data, outLength) {
      api.C_SignInit(session, { mechanism }, key);
      return api.C_Sign(session, data, Buffer.alloc(outLength));
    },
    close() {
      try {
        api.C_CloseSession(session);
      } catch {
        // Already closed by a test that closes all sessions.
      }
    },
  };
}
