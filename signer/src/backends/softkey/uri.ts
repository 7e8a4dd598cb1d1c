import { BackendConfigError } from "../backend.js";

/** Where a software key's material comes from. */
export type SoftKeyLocation =
  | { readonly source: "file"; readonly path: string }
  | { readonly source: "env"; readonly name: string }
  | { readonly source: "inline" };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parse `softkey:file=/path`, `softkey:env=NAME` or `softkey:inline` (DESIGN.md A3). The path is
 * taken verbatim (no percent-decoding) and resolved against the working directory when relative.
 */
export function parseSoftKeyUri(uri: string, kid: string): SoftKeyLocation {
  const prefix = "softkey:";
  if (!uri.startsWith(prefix)) throw new BackendConfigError(kid, "not a softkey: URI");
  const rest = uri.slice(prefix.length);
  if (rest === "inline") return { source: "inline" };
  if (rest.startsWith("file=")) {
    const path = rest.slice("file=".length);
    if (path === "") throw new BackendConfigError(kid, "softkey:file= needs a path");
    return { source: "file", path };
  }
  if (rest.startsWith("env=")) {
    const name = rest.slice("env=".length);
    if (!ENV_NAME.test(name))
      throw new BackendConfigError(kid, "softkey:env= needs an environment variable name");
    return { source: "env", name };
  }
  throw new BackendConfigError(kid, "a softkey URI is softkey:file=PATH, softkey:env=NAME or softkey:inline");
}
