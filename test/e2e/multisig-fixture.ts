import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call, type JsonResponse } from "../helpers/tls-client.js";

/** The five operators of the 3-of-5 policy (ed25519 and P-256 mixed) and their kids. */
export const OPERATORS = [
  ["alice", "ed25519"],
  ["bob", "ecdsa-sha256"],
  ["carol", "ed25519"],
  ["dave", "ecdsa-sha256"],
  ["erin", "ed25519"],
] as const;

/** kid of an operator's key. */
export const kidOf = (name: string): string => `op-${name}-v1`;

/** The trusted policy the fixture configures. */
export const POLICY = Object.freeze({
  id: "upgrades",
  threshold: 3,
  signers: OPERATORS.map(([n]) => kidOf(n)),
});

/** A running proxy with five operators, a 3-of-5 policy, and keys to rotate. */
export interface MultisigFixture {
  readonly fx: ServiceFixture;
  /** Private keys by kid, for detached signatures made outside the proxy. */
  readonly privateKeys: ReadonlyMap<string, KeyObject>;
  /** A JSON call over mTLS as client certificate `cn`. */
  call(cn: string, path: string, body?: unknown): Promise<JsonResponse>;
  close(): Promise<void>;
}

function newKey(alg: "ed25519" | "ecdsa-sha256"): KeyObject {
  return alg === "ed25519"
    ? generateKeyPairSync("ed25519").privateKey
    : generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
}

/**
 * Start the proxy with: five operator keys and principals (alice … erin) under policy `upgrades`;
 * `mallory`, an Operator whose key is outside the policy; `memory-layer`, a service that signs with
 * `svc-old-v1` (active) and `svc-new-v2` (candidate); `auditor`. `twinOf` registers a second kid
 * (`op-twin-v1`) with the same key as that operator and puts it in the policy.
 */
export async function startMultisigFixture(options: { twinOf?: string } = {}): Promise<MultisigFixture> {
  const dir = mkdtempSync(join(tmpdir(), "multisig-e2e-"));
  const specs: [string, "ed25519" | "ecdsa-sha256", string?][] = [
    ...OPERATORS.map(([name, alg]) => [kidOf(name), alg] as [string, "ed25519" | "ecdsa-sha256"]),
    ["op-mallory-v1", "ed25519"],
    ["audit-v1", "ed25519"],
    ["svc-old-v1", "ecdsa-sha256"],
    ["svc-new-v2", "ed25519", "candidate"],
  ];
  const privateKeys = new Map(specs.map(([kid, alg]) => [kid, newKey(alg)]));
  const keyEntry = (kid: string, file: string, alg: string, status = "active") => {
    writeFileSync(join(dir, file), privateKeys.get(kid)!.export({ type: "pkcs8", format: "pem" }) as string, {
      mode: 0o600,
    });
    return { kid, uri: `softkey:file=${join(dir, file)}`, alg, status };
  };
  const keys = specs.map(([kid, alg, status]) => keyEntry(kid, `${kid}.pem`, alg, status));
  const signers: string[] = [...POLICY.signers];
  if (options.twinOf !== undefined) {
    const twin = keys.find((k) => k.kid === kidOf(options.twinOf!))!;
    keys.push({ ...twin, kid: "op-twin-v1" });
    signers.push("op-twin-v1");
  }
  const operators = OPERATORS.map(([name]) => ({
    id: name,
    match: { cn: name },
    roles: ["Operator"],
    keys: [kidOf(name)],
  }));
  const fx = await startFixture({
    clients: [...OPERATORS.map(([name]) => name), "mallory"],
    configPatch: {
      keys,
      defaultKid: "audit-v1",
      auditKid: "audit-v1",
      principals: [
        ...operators,
        { id: "mallory", match: { cn: "mallory" }, roles: ["Operator"], keys: ["op-mallory-v1"] },
        {
          id: "memory-layer",
          match: { cn: "memory-layer" },
          roles: ["service"],
          keys: ["svc-old-v1", "svc-new-v2"],
        },
        { id: "auditor", match: { cn: "auditor" }, roles: ["Auditor"], keys: [] },
      ],
      multisig: { policies: [{ ...POLICY, signers }] },
    },
  }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const agents = new Map<string, ReturnType<ServiceFixture["agent"]>>();
  const agent = (cn: string) => {
    let a = agents.get(cn);
    if (a === undefined) {
      a = fx.agent(cn);
      agents.set(cn, a);
    }
    return a;
  };
  return {
    fx,
    privateKeys,
    call: (cn, path, body) => call(agent(cn), `${fx.service.url}${path}`, body === undefined ? {} : { body }),
    async close() {
      await fx.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An upgrade manifest expiring in an hour. */
export function upgradeManifest(
  version: number,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: "upgrade",
    target: "memory-layer",
    version,
    expires: new Date(Date.now() + 3600_000).toISOString(),
    artifact: { image: "registry.example/memory-layer", digest: `sha256:${"cd".repeat(32)}` },
    ...over,
  };
}
