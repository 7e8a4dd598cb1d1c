import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";

/**
 * C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys (type 0x01): a UTF-8 text
 * ending in "\n", a blank line, then one line per signature: "— <name> <base64(keyID ‖ sig)>".
 */

const EM_DASH = "\u2014 ";
const ED25519_TYPE = 0x01;
// The spec caps signatures per note; a longer list is refused rather than parsed at any cost.
const MAX_SIGNATURES = 100;
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  /** 4-byte key ID as 8 lowercase hex digits. */
  readonly keyIdHex: string;
  readonly signature: Buffer;
}

/** A note split into its text and signature lines. */
export interface ParsedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** An Ed25519 note verifier parsed from `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyIdHex: string;
  readonly publicKey: KeyObject;
}

/** Why a note was refused. */
export class NoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoteError";
  }
}

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) return true;
  }
  return false;
}

function validName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

/** The C2SP Ed25519 key ID: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key). */
export function ed25519KeyId(name: string, rawPublicKey: Uint8Array): Buffer {
  return createHash("sha256")
    .update(name, "utf8")
    .update(Buffer.from([0x0a, ED25519_TYPE]))
    .update(rawPublicKey)
    .digest()
    .subarray(0, 4);
}

/** The raw 32 bytes of an Ed25519 public key. */
export function rawEd25519PublicKey(key: KeyObject): Buffer {
  if (key.asymmetricKeyType !== "ed25519") throw new NoteError("note keys must be Ed25519");
  return (key.export({ type: "spki", format: "der" }) as Buffer).subarray(SPKI_ED25519_PREFIX.length);
}

/** The verifier key string of `name` and an Ed25519 public key. */
export function formatVerifierKey(name: string, publicKey: KeyObject): string {
  if (!validName(name)) throw new NoteError("a key name must be non-empty without spaces or '+'");
  const raw = rawEd25519PublicKey(publicKey);
  const typed = Buffer.concat([Buffer.from([ED25519_TYPE]), raw]);
  return `${name}+${ed25519KeyId(name, raw).toString("hex")}+${typed.toString("base64")}`;
}

/** Parse a verifier key string; throws NoteError unless it is a consistent Ed25519 key. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const parts = vkey.split("+");
  // The base64 part may itself contain '+', so only the first two separators split.
  const [name = "", idHex = ""] = parts;
  const b64 = parts.slice(2).join("+");
  if (!validName(name) || !/^[0-9a-f]{8}$/.test(idHex)) throw new NoteError("malformed verifier key");
  const typed = Buffer.from(b64, "base64");
  if (typed.toString("base64") !== b64 || typed.length !== 33 || typed[0] !== ED25519_TYPE) {
    throw new NoteError("verifier key is not an Ed25519 key");
  }
  const raw = typed.subarray(1);
  // A key ID that does not match the key would let one key impersonate another's lines.
  if (ed25519KeyId(name, raw).toString("hex") !== idHex) throw new NoteError("verifier key ID mismatch");
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
    format: "der",
    type: "spki",
  });
  return Object.freeze({ name, keyIdHex: idHex, publicKey });
}

/** Split a signed note; throws NoteError on any deviation from the format. */
export function parseNote(note: string): ParsedNote {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new NoteError("no blank line before the signatures");
  const text = note.slice(0, split + 1);
  const sigBlock = note.slice(split + 2);
  // Control characters other than newline could hide text from a human reader.
  if (hasControlCharacters(note)) throw new NoteError("control characters in note");
  if (!sigBlock.endsWith("\n")) throw new NoteError("note must end with a newline");
  const lines = sigBlock.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw new NoteError("too many signatures");
  const signatures = lines.map((line): NoteSignature => {
    if (!line.startsWith(EM_DASH)) throw new NoteError("malformed signature line");
    const [name = "", b64 = "", ...rest] = line.slice(EM_DASH.length).split(" ");
    const bytes = Buffer.from(b64, "base64");
    if (rest.length > 0 || !validName(name) || bytes.toString("base64") !== b64 || bytes.length < 5) {
      throw new NoteError("malformed signature line");
    }
    return { name, keyIdHex: bytes.subarray(0, 4).toString("hex"), signature: bytes.subarray(4) };
  });
  return { text, signatures };
}

/** Sign `text` (must end in "\n") as a note with one Ed25519 signature made by `sign`. */
export async function signNote(
  text: string,
  name: string,
  publicKey: KeyObject,
  sign: (message: Buffer) => Promise<Buffer>,
): Promise<string> {
  if (!text.endsWith("\n") || text.includes("\n\n")) throw new NoteError("note text must end in one newline");
  const keyId = ed25519KeyId(name, rawEd25519PublicKey(publicKey));
  const sig = await sign(Buffer.from(text, "utf8"));
  return `${text}\n${EM_DASH}${name} ${Buffer.concat([keyId, sig]).toString("base64")}\n`;
}

/**
 * Verify a note per C2SP: signatures by unknown keys are ignored, a bad signature by a known key
 * rejects the note, and at least one known key must have signed. Returns the text and the names
 * of the verifiers that signed; throws NoteError otherwise.
 */
export function verifyNote(
  note: string,
  verifiers: readonly NoteVerifier[],
): { text: string; signedBy: string[] } {
  const { text, signatures } = parseNote(note);
  const message = Buffer.from(text, "utf8");
  const signedBy: string[] = [];
  for (const sig of signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyIdHex === sig.keyIdHex);
    if (!v) continue;
    // A known key with a bad signature means tampering, not a foreign co-signer: reject outright.
    if (sig.signature.length !== 64 || !verify(null, message, v.publicKey, sig.signature)) {
      throw new NoteError(`invalid signature by ${sig.name}`);
    }
    if (!signedBy.includes(v.name)) signedBy.push(v.name);
  }
  if (signedBy.length === 0) throw new NoteError("no signature by a known key");
  return { text, signedBy };
}
