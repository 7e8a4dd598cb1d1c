import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

/** A private key as jose's generateKeyPair returns it. */
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

/** A signing key of the test identity provider. */
interface ProviderKey {
  readonly kid: string;
  readonly privateKey: PrivateKey;
  readonly jwk: JWK;
}

/** A local identity provider: a JWKS on 127.0.0.1 and a token minter (tests only). */
export interface TestProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  /** How many times the JWKS was fetched. */
  fetches(): number;
  /** Mint a token with the current key; `claims` override the defaults (sub, aud, iat, exp). */
  token(claims?: JWTPayload, options?: { kid?: string; alg?: string; key?: PrivateKey }): Promise<string>;
  /** Replace the published key set by a fresh key (rotation); returns its kid. */
  rotate(): Promise<string>;
  /** Make the JWKS endpoint answer 500 (true) or serve again (false). */
  fail(on: boolean): void;
  close(): Promise<void>;
}

async function newKey(n: number): Promise<ProviderKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = `idp-key-${n}`;
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

/** Start a provider whose tokens carry `aud: audience` by default. */
export async function startTestProvider(audience: string): Promise<TestProvider> {
  let current = await newKey(1);
  let rotations = 1;
  let fetches = 0;
  let failing = false;
  const server: Server = createServer((req, res) => {
    if (req.url !== "/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    if (failing) {
      res.writeHead(500).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [current.jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/`;
  return {
    issuer,
    jwksUri: `${base}/jwks.json`,
    fetches: () => fetches,
    async token(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = {
        iss: issuer,
        aud: audience,
        sub: "alice",
        iat: now,
        exp: now + 300,
        ...claims,
      };
      return new SignJWT(payload)
        .setProtectedHeader({ alg: options.alg ?? "ES256", kid: options.kid ?? current.kid })
        .sign(options.key ?? current.privateKey);
    },
    async rotate() {
      rotations++;
      current = await newKey(rotations);
      return current.kid;
    },
    fail(on) {
      failing = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
