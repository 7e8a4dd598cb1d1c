import pkcs11js from "pkcs11js";
import { ckrCode, ckrName } from "./errors.js";

/** The part of the pkcs11js API the backend uses: a narrow seam tests can wrap to inject faults. */
export type Pkcs11Api = Pick<
  pkcs11js.PKCS11,
  | "C_GetSlotList"
  | "C_GetTokenInfo"
  | "C_GetMechanismList"
  | "C_OpenSession"
  | "C_CloseSession"
  | "C_GetSessionInfo"
  | "C_Login"
  | "C_FindObjectsInit"
  | "C_FindObjects"
  | "C_FindObjectsFinal"
  | "C_GetAttributeValue"
  | "C_SignInit"
  | "C_SignAsync"
  | "C_GenerateKeyPair"
  | "C_GenerateKey"
  | "C_Initialize"
>;

/** A loaded, initialized PKCS#11 module. */
export interface LoadedModule {
  readonly api: Pkcs11Api;
  /** C_Finalize (only if this load initialized the library) and unload. */
  unload(): void;
}

/** Loads and initializes the module at `path`; throws an Error saying why it cannot. */
export type ModuleLoader = (path: string) => LoadedModule;

/** The real loader: dlopen the module with pkcs11js and C_Initialize it for multi-threaded use. */
export const loadPkcs11Module: ModuleLoader = (path) => {
  const lib = new pkcs11js.PKCS11();
  try {
    lib.load(path);
  } catch (err) {
    // dlopen's message says why (missing file, wrong architecture, not a shared object).
    throw new Error(`cannot load the PKCS#11 module ${path}: ${dlopenReason(err, path)}`);
  }
  let initializedHere = true;
  try {
    // OS locking: signs run on libuv worker threads, so the library must lock for itself.
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (err) {
    // Another part of this process initialized it first; its state is shared, so use it as is.
    if (ckrCode(err) === pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) initializedHere = false;
    else {
      lib.close();
      throw new Error(`the PKCS#11 module ${path} failed to initialize (${ckrName(err)})`);
    }
  }
  return {
    api: lib,
    unload() {
      try {
        if (initializedHere) lib.C_Finalize();
      } finally {
        lib.close();
      }
    },
  };
};

function dlopenReason(err: unknown, path: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(`${path}: `, "").split("\n", 1)[0]?.slice(0, 200) ?? "unknown error";
}

interface Shared {
  readonly module: LoadedModule;
  refs: number;
}

const loaded = new Map<ModuleLoader, Map<string, Shared>>();

/** A reference to a shared module; `release()` unloads it when the last reference goes. */
export interface ModuleRef {
  readonly api: Pkcs11Api;
  release(): void;
}

/**
 * The module at `path`, loaded and initialized once per process (C_Initialize is process-wide, and
 * every key on every token of the module shares it). Throws like the loader.
 */
export function acquireModule(path: string, loader: ModuleLoader = loadPkcs11Module): ModuleRef {
  let byPath = loaded.get(loader);
  if (!byPath) {
    byPath = new Map();
    loaded.set(loader, byPath);
  }
  let shared = byPath.get(path);
  if (!shared) {
    shared = { module: loader(path), refs: 0 };
    byPath.set(path, shared);
  }
  shared.refs++;
  const entry = shared;
  let released = false;
  return {
    api: entry.module.api,
    release() {
      if (released) return;
      released = true;
      entry.refs--;
      if (entry.refs > 0) return;
      byPath.delete(path);
      entry.module.unload();
    },
  };
}
