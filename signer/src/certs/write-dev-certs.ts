// Writes the dev PKI to disk in the layout of DESIGN.md A1 and reuses it across runs.
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type CertKeyPem, createDevCa, issueClientCert, issueServerCert } from "./dev-pki.js";
import { checkSanUri, DAY_MS } from "./pki-support.js";

/** An extra client certificate to issue: `<cn>.crt` / `<cn>.key`. */
export interface DevClientSpec {
  readonly cn: string;
  readonly sanUri?: string;
}

/** Options of {@link writeDevCerts}. */
export interface WriteDevCertsOptions {
  readonly clients?: readonly DevClientSpec[];
  /** Regenerate everything, CA included. Without it existing files are kept. */
  readonly force?: boolean;
}

/** Absolute paths of the files {@link writeDevCerts} manages. `clients` is keyed by CN. */
export interface DevCertPaths {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clients: Readonly<Record<string, { readonly cert: string; readonly key: string }>>;
}

/** CN of the default client certificate (`client.crt`). */
export const DEV_CLIENT_CN = "dev-client";
/** SAN URI of the default client certificate. */
export const DEV_CLIENT_SAN_URI = "spiffe://signing-proxy.local/dev-client";

// Extra client CNs become file names, so they are restricted to a safe alphabet (no "/", no "..").
const CLIENT_CN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// These names are taken by the fixed layout; a client named "ca" would overwrite the CA.
const RESERVED = new Set(["ca", "server", "client"]);
// A leaf this close to expiry is re-issued, so `signer dev` never starts with a cert about to lapse.
const RENEW_BEFORE_MS = DAY_MS;

interface LeafSpec {
  readonly cn: string;
  readonly base: string;
  readonly issue: (ca: CertKeyPem) => Promise<CertKeyPem>;
  readonly sanUri?: string;
}

/**
 * Creates (or completes) a dev CA, server and client certificates under `outDir` (mode 0700; keys
 * 0600): ca.{crt,key}, server.{crt,key}, client.{crt,key} (CN dev-client) and `<cn>.{crt,key}` per
 * extra client. Existing files are kept unless `force`; missing or unusable leaves (absent, expired,
 * not from this CA, wrong SAN) are issued from the existing CA.
 */
export async function writeDevCerts(
  outDir: string,
  options: WriteDevCertsOptions = {},
): Promise<DevCertPaths> {
  const dir = resolve(outDir);
  const leaves = leafSpecs(options.clients ?? []);
  // 0700: the directory holds unencrypted private keys.
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
  const caCert = join(dir, "ca.crt");
  const caKey = join(dir, "ca.key");

  const ca = await loadOrCreateCa(caCert, caKey, options.force === true);
  const clients: Record<string, { cert: string; key: string }> = {};
  const paths = { caCert, caKey, serverCert: join(dir, "server.crt"), serverKey: join(dir, "server.key") };
  for (const leaf of leaves) {
    const cert = join(dir, `${leaf.base}.crt`);
    const key = join(dir, `${leaf.base}.key`);
    if (ca.created || !leafIsUsable(cert, key, ca.pem.certPem, leaf.sanUri)) {
      const issued = await leaf.issue(ca.pem);
      writeAtomic(key, issued.keyPem, 0o600);
      writeAtomic(cert, issued.certPem, 0o644);
    } else {
      tightenKeyMode(key);
    }
    if (leaf.base !== "server") clients[leaf.cn] = { cert, key };
  }
  return { ...paths, clients };
}

function leafSpecs(extra: readonly DevClientSpec[]): LeafSpec[] {
  const specs: LeafSpec[] = [
    { cn: "localhost", base: "server", issue: (ca) => issueServerCert(ca) },
    {
      cn: DEV_CLIENT_CN,
      base: "client",
      sanUri: DEV_CLIENT_SAN_URI,
      issue: (ca) => issueClientCert(ca, { commonName: DEV_CLIENT_CN, sanUris: [DEV_CLIENT_SAN_URI] }),
    },
  ];
  const seen = new Set([DEV_CLIENT_CN]);
  for (const { cn, sanUri } of extra) {
    if (typeof cn !== "string" || !CLIENT_CN.test(cn) || RESERVED.has(cn.toLowerCase())) {
      throw new TypeError(
        `client CN ${JSON.stringify(cn)} must match ${CLIENT_CN} and not be ca/server/client`,
      );
    }
    if (seen.has(cn)) throw new TypeError(`client CN ${JSON.stringify(cn)} is given twice`);
    seen.add(cn);
    const sanUris = sanUri === undefined ? [] : [checkSanUri(sanUri)];
    specs.push({
      cn,
      base: cn,
      ...(sanUri === undefined ? {} : { sanUri }),
      issue: (ca) => issueClientCert(ca, { commonName: cn, sanUris }),
    });
  }
  return specs;
}

async function loadOrCreateCa(
  certPath: string,
  keyPath: string,
  force: boolean,
): Promise<{ pem: CertKeyPem; created: boolean }> {
  const haveCert = existsSync(certPath);
  const haveKey = existsSync(keyPath);
  if (force || (!haveCert && !haveKey)) {
    const pem = await createDevCa();
    writeAtomic(keyPath, pem.keyPem, 0o600);
    writeAtomic(certPath, pem.certPem, 0o644);
    return { pem, created: true };
  }
  // Half a CA cannot issue; replacing it silently would break every peer that trusts the old one.
  if (!haveCert || !haveKey) {
    throw new Error(`${haveCert ? keyPath : certPath} is missing; restore it or regenerate with force`);
  }
  const pem = { certPem: readFileSync(certPath, "utf8"), keyPem: readFileSync(keyPath, "utf8") };
  if (new Date(new X509Certificate(pem.certPem).validTo).getTime() <= Date.now() + RENEW_BEFORE_MS) {
    throw new Error(`the dev CA ${certPath} has expired or is about to; regenerate with force`);
  }
  tightenKeyMode(keyPath);
  return { pem, created: false };
}

function leafIsUsable(certPath: string, keyPath: string, caPem: string, sanUri: string | undefined): boolean {
  if (!existsSync(certPath) || !existsSync(keyPath)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath)))) return false;
    if (new Date(cert.validTo).getTime() <= Date.now() + RENEW_BEFORE_MS) return false;
    if (sanUri !== undefined && !(cert.subjectAltName ?? "").split(", ").includes(`URI:${sanUri}`))
      return false;
    return true;
  } catch {
    // Unparseable files are treated as missing and re-issued.
    return false;
  }
}

/** Writes via a temp file and rename: no half-written key, and an existing symlink is replaced, not followed. */
function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, data, { mode, flag: "wx" });
    chmodSync(tmp, mode); // the umask may have removed bits from `mode`
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function tightenKeyMode(keyPath: string): void {
  // A reused key readable by group/others is narrowed to 0600.
  if ((statSync(keyPath).mode & 0o077) !== 0) chmodSync(keyPath, 0o600);
}
