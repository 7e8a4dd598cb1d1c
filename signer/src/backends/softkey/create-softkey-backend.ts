import type { KeyConfig } from "../../config/types.js";
import {
  BackendConfigError,
  type BackendContext,
  type BackendFactory,
  type SigningBackend,
} from "../backend.js";
import { hasDevMarker } from "./dev-marker.js";
import { importSoftKey } from "./load-key.js";
import { readSoftKeyMaterial } from "./read-material.js";
import { SoftKeyBackend } from "./softkey-backend.js";
import { parseSoftKeyUri } from "./uri.js";

const STRICT_HINT =
  "strict mode (NODE_ENV=production or REQUIRE_KMS=true) needs an awskms: or pkcs11: key, " +
  "or AUDIT_SIGNING_PRIVATE_KEY as an emergency key";

/**
 * The `softkey:` backend factory. In strict mode software keys are refused, except the emergency
 * key defined by AUDIT_SIGNING_PRIVATE_KEY; mock keys and `signer dev` keys are refused even then.
 */
export const createSoftKeyBackend: BackendFactory = async (
  key: KeyConfig,
  ctx: BackendContext,
): Promise<SigningBackend> => {
  const location = parseSoftKeyUri(key.uri, key.kid);
  if (ctx.strict) {
    // Mock keys exist for tests; their material may be public.
    if (key.dev) throw new BackendConfigError(key.kid, `is a mock/dev key (${key.source}); ${STRICT_HINT}`);
    // A key in process memory can leak with the process; production keys live in a KMS or HSM.
    if (!key.emergency) {
      throw new BackendConfigError(key.kid, `software keys (softkey:) are for dev/CI only; ${STRICT_HINT}`);
    }
  }
  const material = readSoftKeyMaterial(key, location);
  try {
    // `signer dev` writes its keys unprotected under ./var; one must never sign in production.
    if (ctx.strict && hasDevMarker(material)) {
      throw new BackendConfigError(
        key.kid,
        `is a 'signer dev' key (it carries the dev marker); ${STRICT_HINT}`,
      );
    }
    return new SoftKeyBackend(key.kid, importSoftKey(key.kid, key.alg, material));
  } finally {
    // importSoftKey keeps its own copies; drop this one.
    material.fill(0);
  }
};
