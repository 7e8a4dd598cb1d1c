// Shared by the dev PKI tests: temp dirs, the openssl CLI, and one mTLS handshake.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer, type PeerCertificate } from "node:tls";

/** A fresh temp directory and a function that removes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs openssl; returns exit status and combined output (never throws on a non-zero exit). */
export function openssl(args: readonly string[], cwd?: string): { status: number; output: string } {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** `openssl x509 -noout -text` of a PEM certificate. */
export function certText(certPem: string): string {
  return execFileSync("openssl", ["x509", "-noout", "-text"], { input: certPem, encoding: "utf8" });
}

/** The server and client halves of one mutual-TLS handshake. */
export interface MtlsOptions {
  readonly server: { key: string; cert: string; ca: string; crl?: string };
  readonly client: { key: string; cert: string; ca: string };
  /** Default true (the production setting). false lets a test read why a client would be refused. */
  readonly rejectUnauthorized?: boolean;
}

/** What happened: whether the server accepted the client, and what it saw of it. */
export interface MtlsOutcome {
  /** The client received the server's "ok": the server accepted its certificate. */
  readonly accepted: boolean;
  /** The client certificate as the server saw it, when the TLS session was established. */
  readonly peer: PeerCertificate | undefined;
  /** The server's verification result (e.g. "CERT_HAS_EXPIRED"), when the session was established. */
  readonly authorizationError: string | undefined;
}

/**
 * One TLS 1.3 handshake against a server that requires a client certificate. With
 * rejectUnauthorized (default) node destroys the connection of an unverified client without
 * telling why; the server answers "ok" only to a client whose certificate verified.
 */
export async function mtlsHandshake(opts: MtlsOptions): Promise<MtlsOutcome> {
  let peer: PeerCertificate | undefined;
  let authorizationError: string | undefined;
  const server = createServer({
    ...opts.server,
    requestCert: true,
    rejectUnauthorized: opts.rejectUnauthorized ?? true,
    minVersion: "TLSv1.3",
  });
  server.on("secureConnection", (socket) => {
    peer = socket.getPeerCertificate();
    authorizationError = socket.authorizationError?.toString();
    socket.end(socket.authorized ? "ok" : "denied");
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  try {
    const received = await new Promise<string>((resolve) => {
      let data = "";
      // No servername: the client checks the 127.0.0.1 IP SAN of the server certificate.
      const socket = connect({
        host: "127.0.0.1",
        port: address.port,
        minVersion: "TLSv1.3",
        ...opts.client,
      });
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        data += chunk;
      });
      socket.on("error", () => resolve(data));
      socket.on("close", () => resolve(data));
    });
    return { accepted: received === "ok", peer, authorizationError };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
