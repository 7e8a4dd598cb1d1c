import type { Config } from "../config/types.js";

/** Why the configured transparency-log key may not be used. */
export class LogKeyPolicyError extends Error {
  constructor(message: string) {
    super(`logKid: ${message}`);
    this.name = "LogKeyPolicyError";
  }
}

/**
 * Start-up check that `logKid` is a dedicated Ed25519 key with an origin: a key that also signs
 * callers' digests or the audit seal could be made to sign something that parses as a checkpoint
 * (or the reverse), so sharing is refused outright. Returns the kid and origin, or null when no
 * transparency log is configured.
 */
export function checkLogKey(config: Config): { kid: string; origin: string } | null {
  const kid = config.logKid;
  if (kid === undefined) {
    if (config.logOrigin !== undefined) throw new LogKeyPolicyError("logOrigin is set but logKid is not");
    return null;
  }
  const origin = config.logOrigin;
  if (origin === undefined) throw new LogKeyPolicyError("logOrigin must be set with logKid");
  // A key name may hold no whitespace or '+' (C2SP signed-note); the origin doubles as key name.
  if (/[\s+]/u.test(origin)) throw new LogKeyPolicyError("logOrigin may not contain whitespace or '+'");
  const key = config.keys.find((k) => k.kid === kid);
  if (!key) throw new LogKeyPolicyError(`${kid} is not a configured key`);
  if (key.alg !== "ed25519") throw new LogKeyPolicyError(`${kid} must be an ed25519 key (C2SP signed-note)`);
  if (kid === config.defaultKid) throw new LogKeyPolicyError(`${kid} is also defaultKid`);
  if (kid === config.auditKid) throw new LogKeyPolicyError(`${kid} is also auditKid`);
  for (const p of config.principals) {
    if (p.keys.includes(kid)) throw new LogKeyPolicyError(`${kid} is granted to principal ${p.id}`);
  }
  for (const policy of config.multisig.policies) {
    if (policy.signers.includes(kid))
      throw new LogKeyPolicyError(`${kid} is a signer of policy ${policy.id}`);
  }
  return { kid, origin };
}
