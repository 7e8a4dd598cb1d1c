import { verifyDigest } from "@signing-proxy/client-sdk";
import type { KeyConfig } from "../../config/types.js";
import {
  BackendConfigError,
  type BackendContext,
  type BackendFactory,
  type SigningBackend,
} from "../backend.js";
import { describeFailure } from "./errors.js";
import { findKeyHandle, inspectKey } from "./find-key.js";
import { RECIPES, signOnSession } from "./mechanisms.js";
import type { ModuleLoader } from "./module.js";
import { resolvePin } from "./pin.js";
import {
  Pkcs11Backend,
  type Pkcs11BackendTuning,
  type Pkcs11KeyState,
  PROBE_DIGEST,
} from "./pkcs11-backend.js";
import { TokenContext } from "./token.js";
import { type Pkcs11Uri, parsePkcs11Uri } from "./uri.js";

/** Options of {@link pkcs11BackendFactory}: tuning, and a module loader seam for fault-injection tests. */
export interface Pkcs11FactoryOptions extends Pkcs11BackendTuning {
  readonly loader?: ModuleLoader;
}

/**
 * A `pkcs11:` backend factory. At start-up it loads the module, finds the token, logs in, finds the
 * key, checks it fits the alg, reads its public key and proves the pair with a test signature;
 * any failure is a BackendConfigError naming what is wrong (never the PIN).
 */
export function pkcs11BackendFactory(options: Pkcs11FactoryOptions = {}): BackendFactory {
  return async (key: KeyConfig, ctx: BackendContext): Promise<SigningBackend> => {
    const uri = parsePkcs11Uri(key.uri, key.kid);
    const wantsSecret = key.alg === "hmac-sha256";
    if (uri.type !== undefined && (uri.type === "secret-key") !== wantsSecret) {
      throw new BackendConfigError(key.kid, `type=${uri.type} does not fit alg ${key.alg}`);
    }
    const pin = resolvePin(key, uri.pin, ctx.strict);
    let token: TokenContext;
    try {
      token = TokenContext.acquire({
        modulePath: uri.modulePath,
        selector: {
          ...(uri.token !== undefined ? { token: uri.token } : {}),
          ...(uri.serial !== undefined ? { serial: uri.serial } : {}),
          ...(uri.slotId !== undefined ? { slotId: uri.slotId } : {}),
        },
        pin,
        poolSize: uri.poolSize,
        ...(options.loader ? { loader: options.loader } : {}),
      });
    } catch (err) {
      throw new BackendConfigError(key.kid, describeFailure(err), { cause: err });
    }
    try {
      const state = await inspect(token, key, uri, ctx.strict, options.sessionWaitMs ?? 3000);
      return new Pkcs11Backend(token, state, options, ctx.telemetry);
    } catch (err) {
      token.release();
      if (err instanceof BackendConfigError) throw err;
      throw new BackendConfigError(key.kid, `${token.name}: ${describeFailure(err)}`, { cause: err });
    }
  };
}

/** The `pkcs11:` backend factory with default tuning (registered for the `pkcs11` scheme). */
export const createPkcs11Backend: BackendFactory = pkcs11BackendFactory();

async function inspect(
  token: TokenContext,
  key: KeyConfig,
  uri: Pkcs11Uri,
  strict: boolean,
  waitMs: number,
): Promise<Pkcs11KeyState> {
  const mechanism = RECIPES[key.alg].mechanism.mechanism;
  if (!token.mechanisms().includes(mechanism)) {
    throw new Error(`the token does not support mechanism 0x${mechanism.toString(16)} needed for ${key.alg}`);
  }
  // The first session logs in: a wrong PIN fails here, at start-up.
  const lease = await token.pool.acquire(waitMs);
  const selector = {
    ...(uri.object !== undefined ? { object: uri.object } : {}),
    ...(uri.id !== undefined ? { id: uri.id } : {}),
  };
  try {
    const handle = findKeyHandle(token.api, lease.session, key.alg, selector);
    const facts = inspectKey(token.api, lease.session, handle, key.alg, selector);
    // Production keys must not be copyable out of the HSM.
    if (strict && facts.exportable) {
      throw new Error(
        "the key is extractable (CKA_EXTRACTABLE); strict mode needs a key that cannot leave the token",
      );
    }
    const modulusBytes = Math.ceil((facts.publicKey?.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    const probe = await signOnSession(token.api, lease.session, handle, key.alg, modulusBytes, PROBE_DIGEST);
    if (facts.publicKey) {
      const ok = verifyDigest({
        alg: key.alg,
        publicKey: facts.publicKey,
        digestHex: PROBE_DIGEST.toString("hex"),
        signature: probe,
      });
      // A public object that belongs to another key would publish a key that verifies nothing.
      if (!ok)
        throw new Error("the public key on the token does not match the private key (test signature failed)");
    }
    token.pool.release(lease);
    return {
      kid: key.kid,
      alg: key.alg,
      selector,
      publicKey: facts.publicKey,
      handle,
      ...(facts.publicKey ? {} : { probeMac: probe }),
    };
  } catch (err) {
    token.pool.discard(lease);
    throw err;
  }
}
