import { type KmsInput, optionalChoice, optionalInteger, optionalString, requiredString } from "./input.js";
import { disabled, KmsError } from "./kms-error.js";
import { generateMaterial, MOCK_KEY_SPECS, type MockKeyUsage, SPEC_INFO } from "./mock-key.js";
import type { Operation, OperationContext } from "./operation.js";
import type { StoredKey } from "./state.js";

const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

/** KeyMetadata as DescribeKey and CreateKey return it. */
export function keyMetadata(key: StoredKey, account: string): Record<string, unknown> {
  const info = SPEC_INFO[key.keySpec];
  return {
    AWSAccountId: account,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: key.creationDate,
    Enabled: key.enabled,
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.enabled ? "Enabled" : "Disabled",
    Origin: "AWS_KMS",
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    MultiRegion: false,
    ...(info.signing.length > 0 ? { SigningAlgorithms: info.signing } : {}),
    ...(info.mac.length > 0 ? { MacAlgorithms: info.mac } : {}),
  };
}

/** Resolve the request's KeyId and refuse a disabled key. */
export function enabledKey(input: KmsInput, ctx: OperationContext): StoredKey {
  const key = ctx.state.resolve(requiredString(input, "KeyId"), ctx.region);
  // A disabled key signs nothing; callers must see that, not a signature.
  if (!key.enabled) throw disabled(key.arn);
  return key;
}

const createKey: Operation = (input, ctx) => {
  const spec =
    optionalChoice(input, "KeySpec", MOCK_KEY_SPECS) ??
    optionalChoice(input, "CustomerMasterKeySpec", MOCK_KEY_SPECS);
  if (spec === undefined) {
    throw new KmsError(
      "ValidationException",
      `mock-kms needs a KeySpec: one of ${MOCK_KEY_SPECS.join(", ")}`,
    );
  }
  const usage = optionalChoice<MockKeyUsage>(input, "KeyUsage", ["SIGN_VERIFY", "GENERATE_VERIFY_MAC"]);
  const expected = SPEC_INFO[spec].usage;
  if (usage !== undefined && usage !== expected) {
    throw new KmsError("ValidationException", `KeyUsage ${usage} is not compatible with KeySpec ${spec}.`);
  }
  const origin = optionalString(input, "Origin");
  if (origin !== undefined && origin !== "AWS_KMS") {
    throw new KmsError("UnsupportedOperationException", "mock-kms creates only Origin AWS_KMS keys.");
  }
  const description = optionalString(input, "Description", 8192) ?? "";
  const key = ctx.state.createKey(spec, expected, description, ctx.region, generateMaterial(spec));
  return { KeyMetadata: keyMetadata(key, ctx.state.account) };
};

const describeKey: Operation = (input, ctx) => {
  const key = ctx.state.resolve(requiredString(input, "KeyId"), ctx.region);
  return { KeyMetadata: keyMetadata(key, ctx.state.account) };
};

const getPublicKey: Operation = (input, ctx) => {
  const key = enabledKey(input, ctx);
  const material = ctx.state.material(key);
  if (material.alg === "hmac-sha256") {
    throw new KmsError("UnsupportedOperationException", `${key.arn} key usage is GENERATE_VERIFY_MAC.`);
  }
  return {
    KeyId: key.arn,
    PublicKey: material.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    KeySpec: key.keySpec,
    CustomerMasterKeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
    SigningAlgorithms: SPEC_INFO[key.keySpec].signing,
  };
};

const listKeys: Operation = (input, ctx) => {
  const limit = optionalInteger(input, "Limit", 1, 1000) ?? 100;
  const marker = optionalString(input, "Marker", 64);
  const start = marker === undefined ? 0 : /^\d{1,9}$/.test(marker) ? Number(marker) : -1;
  if (start < 0) {
    throw new KmsError("InvalidMarkerException", "The marker is not valid.");
  }
  const all = ctx.state.keys();
  const page = all.slice(start, start + limit);
  const truncated = start + limit < all.length;
  return {
    Keys: page.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
    Truncated: truncated,
    ...(truncated ? { NextMarker: String(start + limit) } : {}),
  };
};

const createAlias: Operation = (input, ctx) => {
  const alias = requiredString(input, "AliasName", 256);
  // `alias/aws/` names belong to AWS managed keys.
  if (!ALIAS_NAME.test(alias) || alias.startsWith("alias/aws/")) {
    throw new KmsError(
      "ValidationException",
      "AliasName must match alias/[a-zA-Z0-9/_-]+ and not start with alias/aws/.",
    );
  }
  ctx.state.createAlias(alias, requiredString(input, "TargetKeyId"), ctx.region);
  return {};
};

const setEnabled =
  (enabled: boolean): Operation =>
  (input, ctx) => {
    ctx.state.setEnabled(ctx.state.resolve(requiredString(input, "KeyId"), ctx.region), enabled);
    return {};
  };

/** Key management operations of the mock. */
export const KEY_OPERATIONS: Readonly<Record<string, Operation>> = Object.freeze({
  CreateKey: createKey,
  DescribeKey: describeKey,
  GetPublicKey: getPublicKey,
  ListKeys: listKeys,
  CreateAlias: createAlias,
  EnableKey: setEnabled(true),
  DisableKey: setEnabled(false),
});
