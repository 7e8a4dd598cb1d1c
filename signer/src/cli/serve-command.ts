import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/config.js";
import type { Config } from "../config/types.js";
import { createLogger } from "../observability/logger.js";
import { startService } from "../service.js";

const HELP = `usage: signer serve

Runs the service: the main port (PORT, default 8081, HTTPS with mutual TLS 1.3) and the management
port (MANAGEMENT_PORT, default 9090: /healthz, /readyz, /metrics, /keys, /.well-known/jwks.json).
All settings come from the environment and SIGNER_CONFIG (see README and DESIGN.md A2/A3).
Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the TLS files.
`;

/** Load the config or print the one actionable line and return null. */
export function configOrExit(env: NodeJS.ProcessEnv): Config | null {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`signer: configuration error: ${err.message}\n`);
      return null;
    }
    throw err;
  }
}

/** Run the service until a signal stops it. */
export async function runUntilSignal(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  const started = performance.now();
  const service = await startService(config, { logger });
  logger.info(
    {
      url: service.url,
      management: service.managementUrl,
      startupMs: Math.round(performance.now() - started),
    },
    "signer ready",
  );
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      service.close().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      try {
        service.reloadTls();
      } catch (err) {
        // A bad new file must not take the service down: keep serving with the old context.
        logger.error({ err }, "TLS reload failed; keeping the previous certificates");
      }
    });
  });
}

/** `signer serve`. */
export async function serveCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const config = configOrExit(env);
  if (!config) return 2;
  if (!config.tls) {
    process.stderr.write(
      "signer: configuration error: TLS_CERT_FILE, TLS_KEY_FILE and TLS_CLIENT_CA_FILE are required (or run 'signer dev')\n",
    );
    return 2;
  }
  return runUntilSignal(config);
}
