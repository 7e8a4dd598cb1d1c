import type { BackendFactory } from "../backend.js";

/**
 * The `awskms:` backend factory with the default tuning. The AWS SDK is loaded on first use
 * (importing it costs ~60–90 ms), so processes without KMS keys and every CLI start skip it.
 */
export const createAwsKmsBackend: BackendFactory = async (key, ctx) => {
  const { awsKmsBackendFactory } = await import("./create-awskms-backend.js");
  return awsKmsBackendFactory()(key, ctx);
};
