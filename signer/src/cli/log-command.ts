import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  checkpointExtends,
  type LogReceipt,
  NoteError,
  openCheckpoint,
  parseVerifierKey,
  verifyLogReceipt,
} from "@signing-proxy/client-sdk";

const HELP = `usage:
  signer log verify --checkpoint F --key VKEY [--origin O] [--pin F --consistency F] [--receipt F] [--json]
      Offline checks of the transparency log (docs/transparency-log.md):
      --checkpoint F   a checkpoint note (GET /log/checkpoint); its signature by VKEY must verify
      --key VKEY       the log's verifier key (GET /log/key), or @FILE to read it from FILE
      --origin O       the checkpoint's origin must be O
      --pin F          an earlier checkpoint you trust; with --consistency F (the JSON of
                       GET /log/proof/consistency?from=<pinned size>&to=<checkpoint size>), the
                       checkpoint must extend it (catches truncation, rewrites and forks)
      --receipt F      a receipt (GET /log/receipt/:index): its event must be in its checkpoint
      Exit status: 0 everything verifies; 1 something does not; 2 usage or unreadable input.
`;

/** \`signer log verify\`: offline verification of checkpoints, consistency with a pin, receipts. */
export async function logCommand(args: string[], _env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "verify" || rest.includes("--help")) {
    process.stdout.write(HELP);
    return sub === "--help" || rest.includes("--help") ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      checkpoint: { type: "string" },
      key: { type: "string" },
      origin: { type: "string" },
      pin: { type: "string" },
      consistency: { type: "string" },
      receipt: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (
    !values.checkpoint ||
    !values.key ||
    (values.pin !== undefined) !== (values.consistency !== undefined)
  ) {
    process.stderr.write(HELP);
    return 2;
  }
  const vkeyText = values.key.startsWith("@") ? readFileSync(values.key.slice(1), "utf8").trim() : values.key;
  const checks: string[] = [];
  try {
    const verifiers = [parseVerifierKey(vkeyText)];
    const cp = openCheckpoint(readFileSync(values.checkpoint, "utf8"), verifiers, values.origin);
    checks.push(`checkpoint: ${cp.origin} size ${cp.size} root ${cp.rootHash.toString("base64")}`);
    if (values.pin !== undefined && values.consistency !== undefined) {
      const pinned = openCheckpoint(readFileSync(values.pin, "utf8"), verifiers, cp.origin);
      const proof = JSON.parse(readFileSync(values.consistency, "utf8")) as {
        from: unknown;
        to: unknown;
        proof: unknown;
      };
      // The proof file must be for exactly these two sizes, or it proves something else.
      if (proof.from !== pinned.size || proof.to !== cp.size || !Array.isArray(proof.proof)) {
        throw new NoteError(`consistency file is not for sizes ${pinned.size} -> ${cp.size}`);
      }
      if (!checkpointExtends(pinned, cp, proof.proof as string[])) {
        throw new NoteError(`checkpoint ${cp.size} does not extend the pinned checkpoint ${pinned.size}`);
      }
      checks.push(`consistent with pinned size ${pinned.size}`);
    }
    if (values.receipt !== undefined) {
      const receipt = JSON.parse(readFileSync(values.receipt, "utf8")) as LogReceipt;
      const rcp = verifyLogReceipt(receipt, verifiers, cp.origin);
      checks.push(`receipt: event ${receipt.index} included in size ${rcp.size}`);
    }
  } catch (err) {
    if (!(err instanceof NoteError)) {
      process.stderr.write(`signer log verify: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    report(values.json, false, [...checks, `FAILED: ${err.message}`]);
    return 1;
  }
  report(values.json, true, checks);
  return 0;
}

function report(json: boolean | undefined, ok: boolean, lines: string[]): void {
  if (json) process.stdout.write(`${JSON.stringify({ ok, checks: lines })}\n`);
  else process.stdout.write(`${lines.join("\n")}\n`);
}
