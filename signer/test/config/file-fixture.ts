/** A key entry with an awskms: URI (no secret needed). */
export const key = (kid: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  kid,
  uri: `awskms:key-id=${kid}`,
  alg: "ed25519",
  ...extra,
});
/** Operator kids of the A3 multisig example. */
export const ops = ["op-alice-v1", "op-bob-v1", "op-carol-v1", "op-dave-v1", "op-erin-v1"];

/** The A3 example, with the operator keys it refers to. */
export const example = {
  keys: [
    key("audit-ed25519-v1", { status: "active", description: "Primary audit signer", usage: ["sign"] }),
    {
      kid: "hsm-audit-v2",
      uri: "pkcs11:token=signer;object=audit-v2?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin",
      alg: "ed25519",
      status: "candidate",
    },
    {
      kid: "kms-rsa-v1",
      uri: "awskms:key-id=arn:aws:kms:eu-west-1:111122223333:key/x;region=eu-west-1",
      alg: "rsa-sha256",
    },
    { kid: "soft", uri: "softkey:file=/run/keys/audit.pem", alg: "ed25519" },
    ...ops.map((kid) => key(kid)),
  ],
  defaultKid: "audit-ed25519-v1",
  auditKid: "hsm-audit-v2",
  logKid: "kms-rsa-v1",
  logOrigin: "signer.example/log",
  principals: [
    { id: "memory-layer", match: { cn: "memory-layer" }, roles: ["service"], keys: ["audit-ed25519-v1"] },
    {
      id: "op-alice",
      match: { san_uri: "spiffe://ops/alice" },
      roles: ["Operator"],
      keys: ["op-alice-v1"],
      rateLimit: { max: 100, windowMs: 1000 },
      requireApiKey: true,
    },
    { id: "auditor", match: { cn: "auditor" }, roles: ["Auditor"] },
  ],
  multisig: { policies: [{ id: "upgrades", threshold: 3, signers: ops }] },
};

/** The example with one part replaced. */
export function withPart(part: Record<string, unknown>): Record<string, unknown> {
  return { ...example, ...part };
}
