import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeDevCerts } from "../certs/write-dev-certs.js";

const HELP = `usage: signer certs dev --out DIR [--client CN[=SAN_URI]]... [--force] [--json]

Writes a development CA (ca.crt, ca.key), a server certificate for localhost/127.0.0.1/::1
(server.crt, server.key), the default client certificate (client.crt, client.key, CN dev-client)
and one <CN>.crt/<CN>.key per --client. Existing files are kept unless --force. Never for production.
`;

/** `signer certs dev`. */
export async function certsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      out: { type: "string" },
      client: { type: "string", multiple: true },
      force: { type: "boolean" },
      json: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help || positionals[0] !== "dev" || !values.out) {
    (values.help ? process.stdout : process.stderr).write(HELP);
    return values.help ? 0 : 2;
  }
  const clients = (values.client ?? []).map((spec) => {
    const [cn, sanUri] = spec.split("=", 2) as [string, string | undefined];
    return sanUri ? { cn, sanUri } : { cn };
  });
  const written = await writeDevCerts(resolve(values.out), { clients, force: values.force === true });
  process.stdout.write(
    values.json ? `${JSON.stringify(written)}\n` : `dev certificates in ${resolve(values.out)}\n`,
  );
  return 0;
}
