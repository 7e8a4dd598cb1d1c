import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  type KeySpec,
  type KeyUsageType,
  KMSClient,
} from "@aws-sdk/client-kms";
import type { Alg } from "../../signer/src/algorithms.js";
import { Secret } from "../../signer/src/config/secret.js";
import type { AwsConfig } from "../../signer/src/config/types.js";
import type { MockKmsFaults } from "../../signer/src/kms-mock/faults.js";
import { type MockKmsServer, startMockKms } from "../../signer/src/kms-mock/server.js";

/** The region the tests talk to mock-kms in. */
export const MOCK_REGION = "us-east-1";
/** Dummy static credentials, always passed explicitly (never read from process.env). */
export const DUMMY_ACCESS_KEY_ID = "AKIAMOCKKMSEXAMPLE01";
export const DUMMY_SECRET_ACCESS_KEY = "mockKmsDummySecret/DoNotLog/0123456789abcd";

/** The KMS key spec and usage that makes each A4 alg. */
export const KMS_KEY_FOR: Readonly<Record<Alg, { KeySpec: KeySpec; KeyUsage: KeyUsageType }>> = {
  ed25519: { KeySpec: "ECC_NIST_EDWARDS25519", KeyUsage: "SIGN_VERIFY" },
  "ecdsa-sha256": { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" },
  "rsa-sha256": { KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" },
  "hmac-sha256": { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" },
};

/** A mock-kms on an ephemeral port with its state file in a temp directory; restartable on the same port. */
export interface TestMockKms {
  readonly server: MockKmsServer;
  readonly url: string;
  readonly port: number;
  readonly statePath: string;
  /** An SDK client for setting keys up (no retries, dummy credentials). */
  readonly client: KMSClient;
  setFaults(update: Partial<MockKmsFaults>): void;
  /** Stop listening (clients then get connection refused). */
  stop(): Promise<void>;
  /** Start again on the same port and state file. */
  restart(): Promise<void>;
  /** Stop, destroy the client and remove the temp directory. */
  close(): Promise<void>;
}

/** Start mock-kms in-process for a test. */
export async function startTestMockKms(
  options: { faults?: Partial<MockKmsFaults> } = {},
): Promise<TestMockKms> {
  const dir = mkdtempSync(join(tmpdir(), "mock-kms-test-"));
  const statePath = join(dir, "state.json");
  let server = await startMockKms({
    port: 0,
    statePath,
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const port = server.port;
  const url = server.url;
  const client = kmsClient(url, 1);
  return {
    get server() {
      return server;
    },
    url,
    port,
    statePath,
    client,
    setFaults: (update) => void server.setFaults(update),
    stop: () => server.close(),
    async restart() {
      await server.close();
      server = await startMockKms({ port, statePath });
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An SDK client for `url` with the dummy credentials passed explicitly. */
export function kmsClient(url: string, maxAttempts = 3): KMSClient {
  return new KMSClient({
    region: MOCK_REGION,
    endpoint: url,
    maxAttempts,
    credentials: { accessKeyId: DUMMY_ACCESS_KEY_ID, secretAccessKey: DUMMY_SECRET_ACCESS_KEY },
  });
}

/** Create a key for `alg` through the real SDK; optionally give it an alias. */
export async function createKmsKey(
  client: KMSClient,
  alg: Alg,
  alias?: string,
): Promise<{ keyId: string; arn: string }> {
  const out = await client.send(new CreateKeyCommand({ ...KMS_KEY_FOR[alg], Description: `test ${alg}` }));
  const keyId = out.KeyMetadata?.KeyId;
  const arn = out.KeyMetadata?.Arn;
  if (!keyId || !arn) throw new Error("CreateKey returned no key id");
  if (alias) await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  return { keyId, arn };
}

/** Config.aws as config builds it from AWS_REGION, KMS_ENDPOINT and the dummy credentials. */
export function mockAwsConfig(url: string): AwsConfig {
  return {
    region: MOCK_REGION,
    endpoint: url,
    credentials: { accessKeyId: DUMMY_ACCESS_KEY_ID, secretAccessKey: new Secret(DUMMY_SECRET_ACCESS_KEY) },
  };
}

/** The service environment that points the `awskms:` backend at mock-kms. */
export function mockKmsEnv(url: string): Record<string, string> {
  return {
    KMS_ENDPOINT: url,
    AWS_REGION: MOCK_REGION,
    AWS_ACCESS_KEY_ID: DUMMY_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: DUMMY_SECRET_ACCESS_KEY,
  };
}
