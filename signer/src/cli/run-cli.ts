import { apiKeyCommand } from "./api-key-command.js";
import { auditCommand } from "./audit-command.js";
import { certsCommand } from "./certs-command.js";
import { devCommand } from "./dev-command.js";
import { keysCommand } from "./keys-command.js";
import { logCommand } from "./log-command.js";
import { mockKmsCommand } from "./mock-kms-command.js";
import { multisigCommand } from "./multisig-command.js";
import { serveCommand } from "./serve-command.js";

/** A CLI subcommand: returns the process exit code. */
export type Command = (args: string[], env: NodeJS.ProcessEnv) => Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  serve: { run: serveCommand, summary: "run the service (main mTLS port + management port)" },
  dev: { run: devCommand, summary: "zero-config local service: dev CA, certs, Ed25519 key, SQLite" },
  certs: {
    run: certsCommand,
    summary: "certs dev --out DIR: write a dev CA, server and client certificates",
  },
  keys: { run: keysCommand, summary: "keys list|generate: inspect the registry, create software keys" },
  "mock-kms": { run: mockKmsCommand, summary: "local AWS KMS stand-in for dev/CI (not a security boundary)" },
  audit: { run: auditCommand, summary: "audit verify|export: check the audit chain, export it as JSONL" },
  log: { run: logCommand, summary: "log verify: check transparency-log checkpoints, consistency, receipts" },
  "api-key": {
    run: apiKeyCommand,
    summary: "api-key generate|list|revoke: scoped, expiring second-factor keys",
  },
  multisig: {
    run: multisigCommand,
    summary: "multisig propose|approve|status|proof|verify: M-of-N approvals",
  },
};

/** Usage text for `signer --help`. */
export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: signer <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nRun 'signer <command> --help' for a command's options.\n`;
}

/** Dispatch `argv` (without node and script) to a subcommand. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`signer: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, env);
  } catch (err) {
    // One line for operators; no stack traces for expected failures.
    process.stderr.write(`signer ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
