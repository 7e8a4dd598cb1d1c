/** What the orchestrator (bench/run.ts) asks a bench server process (bench/server.mjs) for. */
export interface ServerSpec {
  readonly dataDir: string;
  readonly databaseUrl?: string;
  /** A pkcs11: URI of an Ed25519 key on a SoftHSM2 token (S5), with the SOFTHSM2_CONF it needs. */
  readonly pkcs11Uri?: string;
  readonly softhsmConf?: string;
}

/** What the server reports back once ready. */
export interface ServerInfo {
  readonly url: string;
  readonly echoUrl: string;
  readonly certsDir: string;
  readonly readyMs: number;
}
