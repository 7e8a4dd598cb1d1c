import type { SigningBackend } from "./backend.js";

/**
 * Optional capability: sign an arbitrary message with pure Ed25519 (RFC 8032), as C2SP signed
 * notes require (they sign the note text, not a 32-byte digest). Only the transparency log's key
 * uses it; the signing API never does.
 */
export interface MessageSigning {
  signMessage(message: Buffer): Promise<Buffer>;
}

/** The backend's message-signing capability, or null when it has none (e.g. a remote KMS key). */
export function messageSigning(backend: SigningBackend): MessageSigning | null {
  const candidate = backend as SigningBackend & Partial<MessageSigning>;
  return backend.alg === "ed25519" && typeof candidate.signMessage === "function"
    ? { signMessage: (m) => candidate.signMessage!.call(backend, m) }
    : null;
}
