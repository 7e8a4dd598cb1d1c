import { optionalChoice, requiredBlob, requiredString } from "./input.js";
import { enabledKey } from "./key-operations.js";
import { KmsError } from "./kms-error.js";
import { MAX_MESSAGE_BYTES, macMatches, macMessage, signMessage, verifyMessage } from "./mock-key.js";
import type { Operation } from "./operation.js";

const MESSAGE_TYPES = ["RAW", "DIGEST"] as const;
/** KMS caps signatures and MACs it will check; nothing legitimate comes near. */
const MAX_SIGNATURE_BYTES = 6144;

const sign: Operation = (input, ctx) => {
  const key = enabledKey(input, ctx);
  const message = requiredBlob(input, "Message", MAX_MESSAGE_BYTES);
  const messageType = optionalChoice(input, "MessageType", MESSAGE_TYPES) ?? "RAW";
  const algorithm = requiredString(input, "SigningAlgorithm", 64);
  const signature = signMessage(ctx.state.material(key), algorithm, messageType, message);
  return { KeyId: key.arn, Signature: signature.toString("base64"), SigningAlgorithm: algorithm };
};

const verify: Operation = (input, ctx) => {
  const key = enabledKey(input, ctx);
  const message = requiredBlob(input, "Message", MAX_MESSAGE_BYTES);
  const messageType = optionalChoice(input, "MessageType", MESSAGE_TYPES) ?? "RAW";
  const signature = requiredBlob(input, "Signature", MAX_SIGNATURE_BYTES);
  const algorithm = requiredString(input, "SigningAlgorithm", 64);
  // KMS reports a wrong signature as an error, not as SignatureValid=false.
  if (!verifyMessage(ctx.state.material(key), algorithm, messageType, message, signature)) {
    throw new KmsError("KMSInvalidSignatureException", "");
  }
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: algorithm };
};

const generateMac: Operation = (input, ctx) => {
  const key = enabledKey(input, ctx);
  const message = requiredBlob(input, "Message", MAX_MESSAGE_BYTES);
  const algorithm = requiredString(input, "MacAlgorithm", 64);
  const mac = macMessage(ctx.state.material(key), algorithm, message);
  return { KeyId: key.arn, Mac: mac.toString("base64"), MacAlgorithm: algorithm };
};

const verifyMac: Operation = (input, ctx) => {
  const key = enabledKey(input, ctx);
  const message = requiredBlob(input, "Message", MAX_MESSAGE_BYTES);
  const given = requiredBlob(input, "Mac", MAX_SIGNATURE_BYTES);
  const algorithm = requiredString(input, "MacAlgorithm", 64);
  if (!macMatches(macMessage(ctx.state.material(key), algorithm, message), given)) {
    throw new KmsError("KMSInvalidMacException", "");
  }
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
};

/** Cryptographic operations of the mock. */
export const CRYPTO_OPERATIONS: Readonly<Record<string, Operation>> = Object.freeze({
  Sign: sign,
  Verify: verify,
  GenerateMac: generateMac,
  VerifyMac: verifyMac,
});
