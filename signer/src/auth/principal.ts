import type { PeerCertificate } from "node:tls";
import type { Role } from "../algorithms.js";
import type { PrincipalConfig } from "../config/types.js";
import { type Permission, permissionsOf } from "./permissions.js";

/** An authenticated caller. */
export interface Principal {
  readonly id: string;
  readonly roles: readonly Role[];
  readonly permissions: ReadonlySet<Permission>;
  /** Kids this principal may sign with. */
  readonly keys: ReadonlySet<string>;
  readonly requireApiKey: boolean;
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
  /** Requests must also carry an operator's OIDC bearer token, whose roles replace `roles`. */
  readonly oidc?: boolean;
}

/** The identity fields of a verified client certificate. */
export interface CertIdentity {
  readonly cn: string | undefined;
  readonly sanUris: readonly string[];
}

/** Extract CN and SAN URIs from a peer certificate. */
export function certIdentity(cert: PeerCertificate): CertIdentity {
  const cnRaw = cert.subject?.CN as string | string[] | undefined;
  // A certificate with several CNs is ambiguous: take none rather than guess.
  const cn = typeof cnRaw === "string" ? cnRaw : undefined;
  const sanUris = (cert.subjectaltname ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice(4));
  return { cn, sanUris };
}

/** Maps certificate identities to configured principals. */
export class PrincipalResolver {
  readonly #principals: readonly Principal[];
  readonly #matchers: readonly PrincipalConfig["match"][];
  readonly #implicit: { readonly defaultKid: string | undefined } | null;

  /**
   * With no principals configured, any certificate the client CA accepts is an implicit `service`
   * principal limited to the default key (the CA is then the whole policy; a start-up warning says so).
   */
  constructor(configs: readonly PrincipalConfig[], defaultKid: string | undefined) {
    this.#principals = configs.map((c) => ({
      id: c.id,
      roles: c.roles,
      permissions: permissionsOf(c.roles),
      keys: new Set(c.keys),
      requireApiKey: c.requireApiKey,
      ...(c.rateLimit ? { rateLimit: c.rateLimit } : {}),
      ...(c.oidc ? { oidc: true } : {}),
    }));
    this.#matchers = configs.map((c) => c.match);
    this.#implicit = configs.length === 0 ? { defaultKid } : null;
  }

  /** The principal for a certificate identity, or null when none matches. */
  resolve(identity: CertIdentity): Principal | null {
    if (this.#implicit) {
      if (!identity.cn) return null;
      return {
        id: identity.cn,
        roles: ["service"],
        permissions: permissionsOf(["service"]),
        keys: new Set(this.#implicit.defaultKid ? [this.#implicit.defaultKid] : []),
        requireApiKey: false,
      };
    }
    for (let i = 0; i < this.#matchers.length; i++) {
      const match = this.#matchers[i]!;
      if (match.cn !== undefined && identity.cn === match.cn) return this.#principals[i]!;
      if (match.san_uri !== undefined && identity.sanUris.includes(match.san_uri))
        return this.#principals[i]!;
    }
    return null;
  }
}
