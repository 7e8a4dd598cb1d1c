import { readFileSync, writeFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { callProxy, connectionFrom, ProxyError } from "./multisig-http.js";
import { MultisigUsageError, manifestFromFlags, readJsonFile, verifyOffline } from "./multisig-offline.js";

const HELP = `usage:
  signer multisig propose --policy ID (--manifest FILE | --type T --target T --version N
        (--expires RFC3339 | --expires-in 24h) [--rollback-to N] [--kid K] [--replaces K]) [--json]
      Proposes a manifest (docs/multisig.md); prints the proposal id and the digest to approve.
  signer multisig approve ID --kid K [--signature B64 | --signature-file F] [--json]
      Approves with a kid granted to your certificate: the proxy signs with it, or checks a detached
      signature made elsewhere (--signature-file holds the raw signature bytes).
  signer multisig status ID [--json]
      The proposal, its status (pending|approved|expired|rejected) and its approvals.
  signer multisig proof ID [--out F]
      The frozen proof of an approved proposal, as JSON (the proxy answers 409 until then).
  signer multisig verify --proof F --keys F --policy F [--json]
      Offline: checks the proof with the keys (signers.json or JWKS) and the trusted policy
      ({id, threshold, signers}, or a SIGNER_CONFIG file). Exit 0 valid, 1 invalid.

  Connection (all but verify): --url https://HOST:PORT --ca F --cert F --key F, or
  SIGNING_PROXY_URL, SIGNING_PROXY_CA, SIGNING_PROXY_CERT, SIGNING_PROXY_KEY (and
  SIGNING_PROXY_API_KEY when the proxy requires one). Exit status: 0 done, 1 refused or invalid,
  2 usage error or unreadable input.
`;

/** Where the command writes (process streams in production, buffers in tests). */
export interface MultisigIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** `signer multisig propose|approve|status|proof|verify`. */
export async function multisigCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runMultisigCommand(args, env, { stdout: process.stdout, stderr: process.stderr });
}

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  url: { type: "string" },
  ca: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  policy: { type: "string" },
  manifest: { type: "string" },
  type: { type: "string" },
  target: { type: "string" },
  version: { type: "string" },
  expires: { type: "string" },
  "expires-in": { type: "string" },
  "rollback-to": { type: "string" },
  kid: { type: "string" },
  replaces: { type: "string" },
  signature: { type: "string" },
  "signature-file": { type: "string" },
  out: { type: "string" },
  proof: { type: "string" },
  keys: { type: "string" },
} as const;

type Values = ReturnType<typeof parse>["values"];

function parse(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
}

/** `signer multisig …` writing to `io`; returns the exit code. */
export async function runMultisigCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
  io: MultisigIo,
): Promise<number> {
  try {
    const { values, positionals } = parse(args);
    const [action, id, ...extra] = positionals;
    if (values.help || action === "help" || action === undefined) {
      io.stdout.write(HELP);
      return action === undefined && !values.help ? 2 : 0;
    }
    if (extra.length > 0) throw new MultisigUsageError(`unexpected argument ${extra[0]}`);
    const print = (human: string, data: unknown) =>
      io.stdout.write(values.json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
    switch (action) {
      case "verify":
        return verifyAction(values, print);
      case "propose": {
        const body = { policy: required(values.policy, "--policy"), manifest: manifestOf(values) };
        const r = (await callProxy(connection(values, env), "POST", "/multisig/proposals", body)) as Created;
        print(
          `proposal ${r.id} pending: digest ${r.digestHex}, needs ${r.threshold} of ${r.signers.join(", ")}`,
          r,
        );
        return 0;
      }
      case "approve": {
        const body = { kid: required(values.kid, "--kid"), ...signatureOf(values) };
        const r = (await callProxy(connection(values, env), "POST", `${path(id)}/approvals`, body)) as View;
        print(
          `approved with ${body.kid}: ${r.approvals.length} approval(s), threshold ${r.threshold}, status ${r.status}`,
          r,
        );
        return 0;
      }
      case "status": {
        const r = (await callProxy(connection(values, env), "GET", path(id))) as View;
        const lines = r.approvals.map((a) => `  ${a.kid} (${a.alg}) by ${a.approver} at ${a.approvedAt}`);
        print(
          `proposal ${r.id}: ${r.status}, ${r.approvals.length}/${r.threshold} approvals, digest ${r.digestHex}\n${lines.join("\n")}`.trimEnd(),
          r,
        );
        return 0;
      }
      case "proof": {
        const proof = await callProxy(connection(values, env), "GET", `${path(id)}/proof`);
        const text = `${JSON.stringify(proof, null, 2)}\n`;
        if (values.out === undefined) io.stdout.write(text);
        else writeFileSync(values.out, text, { flag: "wx" });
        return 0;
      }
      default:
        throw new MultisigUsageError(`unknown action '${action}'`);
    }
  } catch (err) {
    if (err instanceof ProxyError) {
      io.stderr.write(`signer multisig: ${err.code}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof MultisigUsageError || isParseArgsError(err)) {
      io.stderr.write(`signer multisig: ${err.message}\n${err instanceof MultisigUsageError ? "" : HELP}`);
      return 2;
    }
    throw err;
  }
}

interface Created {
  id: string;
  digestHex: string;
  threshold: number;
  signers: string[];
}

interface View {
  id: string;
  status: string;
  threshold: number;
  digestHex: string;
  approvals: { kid: string; alg: string; approver: string; approvedAt: string }[];
}

function verifyAction(values: Values, print: (human: string, data: unknown) => void): number {
  const proof = readJsonFile(required(values.proof, "--proof"), "--proof");
  const keys = readJsonFile(required(values.keys, "--keys"), "--keys");
  const policy = readJsonFile(required(values.policy, "--policy"), "--policy");
  const r = verifyOffline(proof, keys, policy);
  const detail = r.problems.length > 0 ? `\n  ${r.problems.join("\n  ")}` : "";
  print(
    `multisig verify: ${r.valid ? "VALID" : "INVALID"} — ${r.validSignatures} valid signatures, threshold ${r.threshold}${detail}`,
    r,
  );
  return r.valid ? 0 : 1;
}

function manifestOf(values: Values): unknown {
  if (values.manifest !== undefined) return readJsonFile(values.manifest, "--manifest");
  return manifestFromFlags(values);
}

function signatureOf(values: Values): { signature?: string } {
  if (values.signature !== undefined && values["signature-file"] !== undefined) {
    throw new MultisigUsageError("give --signature or --signature-file, not both");
  }
  if (values.signature !== undefined) return { signature: values.signature };
  const file = values["signature-file"];
  if (file === undefined) return {};
  try {
    return { signature: readFileSync(file).toString("base64") };
  } catch (err) {
    throw new MultisigUsageError(
      `cannot read --signature-file ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

function connection(values: Values, env: NodeJS.ProcessEnv) {
  try {
    return connectionFrom(values, env);
  } catch (err) {
    throw new MultisigUsageError(err instanceof Error ? err.message : String(err));
  }
}

function path(id: string | undefined): string {
  // Proposal ids are UUIDs; anything else would be spliced into the URL path.
  if (id === undefined || !/^[A-Za-z0-9-]{1,64}$/.test(id))
    throw new MultisigUsageError("a proposal ID is required");
  return `/multisig/proposals/${id}`;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new MultisigUsageError(`${flag} is required`);
  return value;
}

function isParseArgsError(err: unknown): err is Error {
  return err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS");
}
