/**
 * The explanatory line `signer dev` writes before the PEM of its key (RFC 7468 §5.2 allows text
 * before `-----BEGIN`; node and OpenSSL ignore it). A key carrying it is refused in strict mode.
 */
export const DEV_KEY_MARKER = "signer-dev-key: not for production";

const MARKER_LINE = new RegExp(`^${DEV_KEY_MARKER}\\r?$`, "m");

/** True when the key material carries the dev marker on a line of its own. */
export function hasDevMarker(material: Uint8Array): boolean {
  return MARKER_LINE.test(
    Buffer.from(material.buffer, material.byteOffset, material.byteLength).toString("latin1"),
  );
}
