import type { Alg } from "../../src/algorithms.js";
import type { KeyConfig } from "../../src/config/types.js";

let counter = 0;

/** A KeyConfig as config builds it, with a unique kid `<prefix>-<alg>-<n>`. */
export function testKeyConfig(
  prefix: string,
  alg: Alg,
  uri: string,
  extra: Partial<KeyConfig> = {},
): KeyConfig {
  return {
    kid: `${prefix}-${alg}-${++counter}`,
    uri,
    alg,
    status: "active",
    description: "",
    usage: ["sign"],
    dev: false,
    emergency: false,
    source: "test",
    ...extra,
  };
}
