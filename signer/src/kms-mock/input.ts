import { validationError } from "./kms-error.js";

/** A parsed JSON request body. */
export type KmsInput = Readonly<Record<string, unknown>>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A required string member (1..max characters). */
export function requiredString(input: KmsInput, name: string, max = 2048): string {
  const value = input[name];
  if (value === undefined || value === null) throw validationError(lower(name), "Member must not be null");
  return checkString(name, value, max);
}

/** An optional string member. */
export function optionalString(input: KmsInput, name: string, max = 2048): string | undefined {
  const value = input[name];
  return value === undefined || value === null ? undefined : checkString(name, value, max);
}

/** An optional member that must be one of `choices`. */
export function optionalChoice<T extends string>(
  input: KmsInput,
  name: string,
  choices: readonly T[],
): T | undefined {
  const value = optionalString(input, name, 64);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw validationError(lower(name), `Member must satisfy enum value set: [${choices.join(", ")}]`);
  }
  return value as T;
}

/** A required blob member: base64 in JSON, as the real service encodes blobs (1..max bytes). */
export function requiredBlob(input: KmsInput, name: string, max: number): Buffer {
  const value = input[name];
  if (value === undefined || value === null) throw validationError(lower(name), "Member must not be null");
  // Blobs are canonical base64 text; anything else is a client bug, not data to sign.
  if (typeof value !== "string" || !BASE64.test(value)) {
    throw validationError(lower(name), "Member must be base64-encoded binary data");
  }
  const bytes = Buffer.from(value, "base64");
  if (bytes.length < 1 || bytes.length > max) {
    throw validationError(lower(name), `Member must have length less than or equal to ${max}`);
  }
  return bytes;
}

/** An optional integer member within [min, max]. */
export function optionalInteger(input: KmsInput, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw validationError(lower(name), `Member must be an integer between ${min} and ${max}`);
  }
  return value as number;
}

function checkString(name: string, value: unknown, max: number): string {
  if (typeof value !== "string") throw validationError(lower(name), "Member must be a string");
  if (value.length < 1 || value.length > max) {
    throw validationError(lower(name), `Member must have length between 1 and ${max}`);
  }
  return value;
}

function lower(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
