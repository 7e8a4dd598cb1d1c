import { randomBytes, randomUUID } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import type { SoftKeyMaterial } from "../backends/softkey/load-key.js";
import { KmsError, notFound } from "./kms-error.js";
import { importMaterial, MOCK_KEY_SPECS, type MockKeySpec, type MockKeyUsage } from "./mock-key.js";

/** One key as the state file holds it (private material included: the mock is not a security boundary). */
export interface StoredKey {
  readonly keyId: string;
  readonly arn: string;
  readonly keySpec: MockKeySpec;
  readonly keyUsage: MockKeyUsage;
  readonly description: string;
  readonly enabled: boolean;
  /** Seconds since the epoch, as KMS timestamps are. */
  readonly creationDate: number;
  readonly material: string;
}

interface StateFile {
  readonly version: 1;
  readonly account: string;
  readonly keys: StoredKey[];
  /** Alias name (`alias/…`) → key ID. */
  readonly aliases: Record<string, string>;
}

/** The example account id of the AWS documentation. */
const DEFAULT_ACCOUNT = "111122223333";
const ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

/**
 * The mock's keys and aliases, persisted as JSON in `path` (mode 0600, replaced atomically by
 * write-to-temp + fsync + rename, so a crash never leaves a half-written file) or kept in memory.
 */
export class MockKmsState {
  readonly account: string;
  readonly #path: string | undefined;
  readonly #keys = new Map<string, StoredKey>();
  readonly #aliases = new Map<string, string>();
  readonly #materials = new Map<string, SoftKeyMaterial>();

  private constructor(path: string | undefined, file: StateFile | undefined) {
    this.#path = path;
    this.account = file?.account ?? DEFAULT_ACCOUNT;
    for (const key of file?.keys ?? []) this.#keys.set(key.keyId, key);
    for (const [alias, keyId] of Object.entries(file?.aliases ?? {})) this.#aliases.set(alias, keyId);
  }

  /** Load the state file when it exists (a corrupt file is an error, never silently replaced). */
  static open(path?: string): MockKmsState {
    if (path === undefined) return new MockKmsState(undefined, undefined);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new MockKmsState(path, undefined);
      throw err;
    }
    return new MockKmsState(path, parseStateFile(path, text));
  }

  /** Create and persist a key. */
  createKey(
    spec: MockKeySpec,
    usage: MockKeyUsage,
    description: string,
    region: string,
    material: string,
  ): StoredKey {
    const keyId = randomUUID();
    const key: StoredKey = {
      keyId,
      arn: `arn:aws:kms:${region}:${this.account}:key/${keyId}`,
      keySpec: spec,
      keyUsage: usage,
      description,
      enabled: true,
      creationDate: Math.floor(Date.now() / 1000),
      material,
    };
    this.#keys.set(keyId, key);
    this.#save();
    return key;
  }

  /** Resolve a key ID, key ARN, alias name or alias ARN; NotFoundException otherwise. */
  resolve(id: string, region: string): StoredKey {
    const arn = ARN.exec(id);
    if (arn) {
      const [, arnRegion, account, type, name] = arn as unknown as [string, string, string, string, string];
      if (type === "alias") return this.#byAlias(`alias/${name}`, account, arnRegion);
      const key = this.#keys.get(name);
      // A key ARN names one region and account; the same ID elsewhere is another key.
      if (!key || key.arn !== id) throw notFound("Key", id);
      return key;
    }
    if (id.startsWith("alias/")) return this.#byAlias(id, this.account, region);
    const key = this.#keys.get(id);
    if (!key) throw notFound("Key", `arn:aws:kms:${region}:${this.account}:key/${id}`);
    return key;
  }

  /** The imported material of a key (imported once, then cached). */
  material(key: StoredKey): SoftKeyMaterial {
    let material = this.#materials.get(key.keyId);
    if (!material) {
      material = importMaterial(key.keyId, key.keySpec, key.material);
      this.#materials.set(key.keyId, material);
    }
    return material;
  }

  /** Point a new alias at a key (by key ID or key ARN, as KMS requires). */
  createAlias(alias: string, target: string, region: string): void {
    // KMS refuses alias targets that are aliases: an alias chain could be re-pointed from a distance.
    if (target.startsWith("alias/") || /:alias\//.test(target)) {
      throw new KmsError("ValidationException", "TargetKeyId must be a key ID or key ARN, not an alias.");
    }
    const key = this.resolve(target, region);
    if (this.#aliases.has(alias)) {
      throw new KmsError(
        "AlreadyExistsException",
        `An alias with the name ${this.#aliasArn(alias, region)} already exists`,
      );
    }
    this.#aliases.set(alias, key.keyId);
    this.#save();
  }

  /** Enable or disable a key. */
  setEnabled(key: StoredKey, enabled: boolean): void {
    this.#keys.set(key.keyId, { ...key, enabled });
    this.#save();
  }

  /** All keys, oldest first. */
  keys(): StoredKey[] {
    return [...this.#keys.values()];
  }

  #byAlias(alias: string, account: string, region: string): StoredKey {
    const keyId = account === this.account ? this.#aliases.get(alias) : undefined;
    const key = keyId === undefined ? undefined : this.#keys.get(keyId);
    if (!key) throw notFound("Alias", this.#aliasArn(alias, region));
    return key;
  }

  #aliasArn(alias: string, region: string): string {
    return `arn:aws:kms:${region}:${this.account}:${alias}`;
  }

  #save(): void {
    const path = this.#path;
    if (path === undefined) return;
    const file: StateFile = {
      version: 1,
      account: this.account,
      keys: [...this.#keys.values()],
      aliases: Object.fromEntries(this.#aliases),
    };
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    // Private key material: owner-only from the first byte written (0600), never a window of 0644.
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, path);
  }
}

function parseStateFile(path: string, text: string): StateFile {
  const fail = (why: string): never => {
    throw new Error(`mock-kms state file ${path} is not usable: ${why}; move it away to start empty`);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail("not JSON");
  }
  const file = data as Partial<StateFile>;
  if (typeof file !== "object" || file === null || file.version !== 1) return fail("unknown version");
  if (typeof file.account !== "string" || !/^\d{12}$/.test(file.account)) return fail("bad account");
  if (!Array.isArray(file.keys)) return fail("keys is not an array");
  for (const key of file.keys as unknown[]) {
    const k = key as Partial<StoredKey>;
    const ok =
      typeof k.keyId === "string" &&
      typeof k.arn === "string" &&
      (MOCK_KEY_SPECS as readonly string[]).includes(k.keySpec ?? "") &&
      (k.keyUsage === "SIGN_VERIFY" || k.keyUsage === "GENERATE_VERIFY_MAC") &&
      typeof k.enabled === "boolean" &&
      typeof k.material === "string";
    if (!ok) return fail("a key entry is malformed");
  }
  if (typeof file.aliases !== "object" || file.aliases === null) return fail("aliases is not an object");
  return file as StateFile;
}
