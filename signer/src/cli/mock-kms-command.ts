import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startMockKms } from "../kms-mock/server.js";

const HELP = `usage: signer mock-kms [--port 4599] [--host 127.0.0.1] [--state FILE]
                       [--latency-ms N] [--throttle-rate 0..1] [--fail-rate 0..1]

A local stand-in for AWS KMS for development and CI. It speaks the KMS JSON 1.1 protocol subset the
awskms: backend uses (POST /, X-Amz-Target: TrentService.<Op>): CreateKey (ECC_NIST_P256,
ECC_NIST_EDWARDS25519, RSA_2048/3072/4096, HMAC_256), DescribeKey, GetPublicKey, Sign, Verify,
GenerateMac, VerifyMac, ListKeys, CreateAlias, EnableKey, DisableKey. Keys are software keys kept in
the state file (default ./var/mock-kms-state.json, mode 0600) and survive restarts.

NOT A SECURITY BOUNDARY: private keys sit unencrypted in the state file, and requests only need an
Authorization header that looks like SigV4 - signatures are not checked. Bind it to loopback and never
use it for keys that matter. Strict mode (NODE_ENV=production / REQUIRE_KMS=true) refuses its http endpoint.

Point the signer at it with KMS_ENDPOINT=http://127.0.0.1:4599 AWS_REGION=us-east-1 and any
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, then e.g.
  aws kms create-key --endpoint-url http://127.0.0.1:4599 --region us-east-1 \\
    --key-spec ECC_NIST_EDWARDS25519 --key-usage SIGN_VERIFY

Fault injection (reliability tests), also at run time:
  curl -X POST http://127.0.0.1:4599/_faults -d '{"latencyMs":0,"throttleRate":0.5,"failRate":0}'
  --latency-ms N        delay every answer by N ms
  --throttle-rate P     answer ThrottlingException (400) with probability P
  --fail-rate P         answer KMSInternalException (500) with probability P
`;

/** `signer mock-kms`: run the mock KMS until SIGINT or SIGTERM. */
export async function mockKmsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      help: { type: "boolean", short: "h" },
      port: { type: "string" },
      host: { type: "string" },
      state: { type: "string" },
      "latency-ms": { type: "string" },
      "throttle-rate": { type: "string" },
      "fail-rate": { type: "string" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = number("--port", values.port ?? "4599", 0, 65535);
  if (!Number.isInteger(port)) throw new Error("--port must be an integer");
  const statePath = resolve(values.state ?? "var/mock-kms-state.json");
  const faults = {
    latencyMs: number("--latency-ms", values["latency-ms"] ?? "0", 0, 600_000),
    throttleRate: number("--throttle-rate", values["throttle-rate"] ?? "0", 0, 1),
    failRate: number("--fail-rate", values["fail-rate"] ?? "0", 0, 1),
  };
  const server = await startMockKms({
    port,
    host: values.host ?? "127.0.0.1",
    statePath,
    faults,
    onError: (err) => process.stderr.write(`mock-kms: internal error: ${String(err)}\n`),
  });
  process.stdout.write(
    `mock-kms listening on ${server.url} (state ${statePath}; not a security boundary)\n` +
      `  KMS_ENDPOINT=${server.url} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=mock AWS_SECRET_ACCESS_KEY=mock\n`,
  );
  return new Promise<number>((done) => {
    const stop = () => {
      server.close().then(
        () => done(0),
        () => done(1),
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

function number(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${flag} must be a number from ${min} to ${max}`);
  }
  return value;
}
