import { createPublicKey, type KeyObject } from "node:crypto";
import { DescribeKeyCommand, GetPublicKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import type { Alg } from "../../algorithms.js";
import type { KeyConfig } from "../../config/types.js";
import {
  BackendConfigError,
  type BackendContext,
  type BackendFactory,
  BackendUnavailableError,
  type SigningBackend,
} from "../backend.js";
import { MIN_RSA_BITS } from "../softkey/load-key.js";
import { AwsKmsBackend, type PinnedKmsKey } from "./awskms-backend.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { classifyKmsError } from "./classify-error.js";
import { keyMetadataProblem } from "./key-spec.js";
import { type AwsKmsTuning, createKmsClient, DEFAULT_AWS_KMS_TUNING } from "./kms-client.js";
import { arnRegion, parseAwsKmsUri } from "./uri.js";

/**
 * A factory for `awskms:` keys with the given tuning (tests shorten the cool-down). It resolves
 * region, endpoint and credentials (URI, then key ARN, then config), refuses plain-http endpoints in
 * strict mode, and checks the key with DescribeKey and GetPublicKey before the first signature.
 */
export function awsKmsBackendFactory(tuning: Partial<AwsKmsTuning> = {}): BackendFactory {
  const t: AwsKmsTuning = { ...DEFAULT_AWS_KMS_TUNING, ...tuning };
  return async (key: KeyConfig, ctx: BackendContext): Promise<SigningBackend> => {
    const location = parseAwsKmsUri(key.uri, key.kid);
    const region = location.region ?? arnRegion(location.keyId) ?? ctx.aws?.region;
    if (region === undefined) {
      throw new BackendConfigError(
        key.kid,
        "no AWS region: add ;region= to the awskms: URI or set AWS_REGION",
      );
    }
    const endpoint = location.endpoint ?? ctx.aws?.endpoint;
    // Over plain HTTP, key metadata and signatures can be altered in transit; mock-kms is dev/CI only.
    if (ctx.strict && endpoint !== undefined && new URL(endpoint).protocol !== "https:") {
      throw new BackendConfigError(
        key.kid,
        "strict mode (NODE_ENV=production or REQUIRE_KMS=true) refuses a plain-http KMS endpoint (e.g. signer mock-kms); use https or unset KMS_ENDPOINT",
      );
    }
    const telemetry = ctx.telemetry;
    const client = createKmsClient(
      { region, ...(endpoint !== undefined ? { endpoint } : {}), credentials: ctx.aws?.credentials },
      t,
      () => telemetry?.retried("awskms", key.kid),
    );
    try {
      const pinned = await pinKey(client, key.kid, key.alg, location.keyId, t.deadlineMs);
      let open = false;
      const breaker = new CircuitBreaker({
        threshold: t.breakerThreshold,
        cooldownMs: t.breakerCooldownMs,
        // Half-open still fails fast for all but the probe, so only open ↔ closed is reported.
        onStateChange: (state) => {
          if (open === (state !== "closed")) return;
          open = !open;
          telemetry?.circuitChanged("awskms", key.kid, open);
        },
      });
      telemetry?.circuitChanged("awskms", key.kid, false);
      return new AwsKmsBackend(pinned, { client, breaker, deadlineMs: t.deadlineMs, telemetry });
    } catch (err) {
      client.destroy();
      throw err;
    }
  };
}

/** DescribeKey (enabled, spec, usage), then GetPublicKey for asymmetric keys; pin the key ARN. */
async function pinKey(
  client: KMSClient,
  kid: string,
  alg: Alg,
  keyId: string,
  deadlineMs: number,
): Promise<PinnedKmsKey> {
  const described = await startupCall(kid, "DescribeKey", keyId, () =>
    client.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal: AbortSignal.timeout(deadlineMs) }),
  );
  const meta = described.KeyMetadata;
  const problem = keyMetadataProblem(alg, meta);
  if (problem !== undefined) throw new BackendConfigError(kid, `${problem} (key-id ${keyId})`);
  // An alias can be re-pointed at any time; signing by the resolved ARN keeps the registered key the one that signs.
  const keyArn = meta?.Arn;
  if (keyArn === undefined)
    throw new BackendConfigError(kid, `KMS DescribeKey returned no key ARN for ${keyId}`);
  if (alg === "hmac-sha256") return { kid, alg, keyArn, publicKey: null };
  const got = await startupCall(kid, "GetPublicKey", keyId, () =>
    client.send(new GetPublicKeyCommand({ KeyId: keyArn }), { abortSignal: AbortSignal.timeout(deadlineMs) }),
  );
  if (got.KeyId !== keyArn || got.PublicKey === undefined) {
    throw new BackendConfigError(kid, `KMS GetPublicKey answered for another key than ${keyArn}`);
  }
  return { kid, alg, keyArn, publicKey: importSpki(kid, alg, got.PublicKey) };
}

/** A start-up call: an outage is BackendUnavailableError, anything else is a configuration problem. */
async function startupCall<T>(kid: string, op: string, keyId: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    const c = classifyKmsError(err);
    const cause = new Error(c.summary);
    if (c.transient)
      throw new BackendUnavailableError(kid, `KMS ${op} failed at start-up (${c.kind})`, { cause });
    const hint =
      c.kind === "not-found"
        ? `no KMS key ${keyId} in this account and region`
        : c.kind === "access-denied" || c.kind === "credentials"
          ? `KMS refused the credentials for ${keyId} (${c.kind}); check them and the key policy (kms:DescribeKey, kms:GetPublicKey, kms:Sign, kms:GenerateMac, kms:VerifyMac)`
          : `KMS ${op} on ${keyId} failed (${c.kind})`;
    throw new BackendConfigError(kid, hint, { cause });
  }
}

/** Import the DER SubjectPublicKeyInfo KMS returns and check it fits the alg (A4). */
function importSpki(kid: string, alg: Alg, der: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
  } catch (err) {
    throw new BackendConfigError(kid, "KMS returned a public key that is not DER SubjectPublicKeyInfo", {
      cause: err,
    });
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  // The public key is what verifiers trust; it must be exactly the alg's key type.
  const fits =
    (alg === "ed25519" && type === "ed25519") ||
    (alg === "ecdsa-sha256" && type === "ec" && details?.namedCurve === "prime256v1") ||
    (alg === "rsa-sha256" && type === "rsa" && (details?.modulusLength ?? 0) >= MIN_RSA_BITS);
  if (!fits)
    throw new BackendConfigError(kid, `alg is ${alg} but KMS returned a ${type ?? "unknown"} public key`);
  return key;
}
