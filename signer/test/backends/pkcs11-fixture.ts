import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pkcs11js from "pkcs11js";
import { runSigner } from "../../../test/helpers/cli.js";
import type { SoftHsmToken, ToolAlg } from "../../../test/helpers/softhsm.js";
import type { Alg } from "../../src/algorithms.js";
import type { BackendContext } from "../../src/backends/backend.js";
import { loadPkcs11Module, type ModuleLoader, type Pkcs11Api } from "../../src/backends/pkcs11/module.js";
import type { KeyConfig } from "../../src/config/types.js";
import { testKeyConfig } from "./key-config.js";

/** Outside strict mode. */
export const DEV: BackendContext = { strict: false, dataDir: "/nonexistent" };
/** Strict mode (production): pin-value and extractable keys are refused. */
export const STRICT: BackendContext = { strict: true, dataDir: "/nonexistent" };

/** Labels and ids of the keys pkcs11-tool makes, one per alg. */
export const TOOL_KEYS: Readonly<Record<ToolAlg, { readonly label: string; readonly id: string }>> = {
  ed25519: { label: "tool-ed25519", id: "01" },
  "ecdsa-sha256": { label: "tool-p256", id: "02" },
  "rsa-sha256": { label: "tool-rsa", id: "03" },
  "hmac-sha256": { label: "tool-hmac", id: "04" },
};

/** A KeyConfig as config builds it. */
export function keyConfig(alg: Alg, uri: string, extra: Partial<KeyConfig> = {}): KeyConfig {
  return testKeyConfig("p11", alg, uri, extra);
}

/** Make one key per alg with pkcs11-tool. */
export function makeToolKeys(token: SoftHsmToken): void {
  for (const [alg, { label, id }] of Object.entries(TOOL_KEYS)) token.toolKey(alg as ToolAlg, label, id);
}

/** What `signer keys generate --json` prints. */
export interface GeneratedKey {
  readonly uri: string;
  readonly alg: Alg;
  readonly label: string;
  readonly id: string;
  readonly publicKeyPem: string | null;
}

/** Run `signer keys generate --backend pkcs11` in a child process, as an operator would. */
export function cliGenerate(token: SoftHsmToken, alg: Alg, label: string, env: Record<string, string> = {}) {
  return runSigner(
    ["keys", "generate", "--backend", "pkcs11", "--alg", alg, "--json", "--uri", token.uri(label)],
    { ...token.env, ...env },
    60_000,
  );
}

/** Generate a key with the CLI and return its printed description; throws when the CLI fails. */
export function cliGenerateOk(token: SoftHsmToken, alg: Alg, label: string): GeneratedKey {
  const result = cliGenerate(token, alg, label);
  if (result.status !== 0) throw new Error(`keys generate failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as GeneratedKey;
}

/** A 0600 file with `content` next to the token's files. */
export function writeSecretFile(token: SoftHsmToken, name: string, content: string): string {
  const path = join(token.dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** A module loader over the real SoftHSM module that counts calls and injects failures. */
export interface FaultyModule {
  readonly loader: ModuleLoader;
  /** Calls per PKCS#11 function since the last reset. */
  readonly calls: Map<string, number>;
  /** Make the next `times` calls of `fn` fail with the CKR_ return value `ckr` (e.g. "CKR_DEVICE_REMOVED"). */
  fail(fn: keyof Pkcs11Api, ckr: string, times?: number): void;
  /** Make C_GetSlotList report no tokens (a removed token) until called with false. */
  hideTokens(hidden: boolean): void;
  /** Hold every C_SignAsync until the returned function is called. */
  holdSigns(): () => void;
}

/** A {@link FaultyModule}; each one is its own module instance in the backend's module registry. */
export function faultyModule(): FaultyModule {
  const calls = new Map<string, number>();
  const faults = new Map<string, { ckr: string; times: number }>();
  let hidden = false;
  let gate: Promise<void> | undefined;
  const loader: ModuleLoader = (path) => {
    const real = loadPkcs11Module(path);
    const target = real.api as unknown as Record<string, (...args: unknown[]) => unknown>;
    const api = new Proxy(target, {
      get(obj, prop) {
        const fn = obj[prop as string];
        if (typeof prop !== "string" || typeof fn !== "function") return fn;
        return (...args: unknown[]) => {
          calls.set(prop, (calls.get(prop) ?? 0) + 1);
          const fault = faults.get(prop);
          if (fault && fault.times > 0) {
            fault.times--;
            const code = (pkcs11js as unknown as Record<string, number>)[fault.ckr] ?? 0;
            throw new pkcs11js.Pkcs11Error(`${fault.ckr}:${code}`, code, prop);
          }
          if (prop === "C_GetSlotList" && hidden) return [];
          const held = gate;
          if (prop === "C_SignAsync" && held) return held.then(() => fn.apply(obj, args));
          return fn.apply(obj, args);
        };
      },
    });
    return { api: api as unknown as Pkcs11Api, unload: real.unload };
  };
  return {
    loader,
    calls,
    fail: (fn, ckr, times = 1) => void faults.set(fn, { ckr, times }),
    hideTokens: (value) => {
      hidden = value;
    },
    holdSigns: () => {
      let open = () => {};
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}
