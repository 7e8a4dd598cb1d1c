import { ConfigError } from "./config-error.js";
import { type Env, readVar } from "./env.js";
import { type ReadFile, resolveSecret } from "./secret-ref.js";
import type { AwsConfig } from "./types.js";

/** Parse an http(s) URL setting without echoing it (an endpoint URL may carry credentials). */
export function parseHttpUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, "expected an http:// or https:// URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(name, "expected an http:// or https:// URL");
  }
  return value;
}

/** AWS region, KMS endpoint and static credentials for the `awskms:` backend. */
export function readAwsConfig(env: Env, readFile: ReadFile): AwsConfig {
  const region = (readVar(env, "AWS_REGION") ?? readVar(env, "AWS_DEFAULT_REGION"))?.trim();
  if (region !== undefined && !/^[a-z0-9-]{1,64}$/.test(region)) {
    throw new ConfigError(
      readVar(env, "AWS_REGION") ? "AWS_REGION" : "AWS_DEFAULT_REGION",
      "expected a region name such as eu-west-1",
    );
  }
  const endpointRaw = readVar(env, "KMS_ENDPOINT")?.trim();
  const endpoint = endpointRaw === undefined ? undefined : parseHttpUrl(endpointRaw, "KMS_ENDPOINT");
  const accessKeyId = readVar(env, "AWS_ACCESS_KEY_ID")?.trim();
  const secretRaw = readVar(env, "AWS_SECRET_ACCESS_KEY");
  if ((accessKeyId === undefined) !== (secretRaw === undefined)) {
    throw new ConfigError(
      accessKeyId === undefined ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
      "not set; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together",
    );
  }
  const tokenRaw = readVar(env, "AWS_SESSION_TOKEN");
  const credentials =
    accessKeyId !== undefined && secretRaw !== undefined
      ? {
          accessKeyId,
          secretAccessKey: resolveSecret(secretRaw, env, readFile, { name: "AWS_SECRET_ACCESS_KEY" }),
          ...(tokenRaw !== undefined
            ? { sessionToken: resolveSecret(tokenRaw, env, readFile, { name: "AWS_SESSION_TOKEN" }) }
            : {}),
        }
      : undefined;
  return {
    ...(region !== undefined ? { region } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
  };
}
