/** An error as the KMS JSON 1.1 protocol returns it: `{"__type": type, "message": …}` with a status. */
export class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "KmsError";
  }

  /** The response body the real service sends. */
  toBody(): { __type: string; message: string } {
    return { __type: this.type, message: this.message };
  }
}

/** `ValidationException` (400) in the service's "1 validation error detected" style. */
export function validationError(field: string, constraint: string): KmsError {
  return new KmsError(
    "ValidationException",
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

/** `NotFoundException` (400) for a key or alias that does not exist. */
export function notFound(what: "Key" | "Alias", id: string): KmsError {
  return new KmsError(
    "NotFoundException",
    what === "Key" ? `Key '${id}' does not exist` : `Alias '${id}' is not found.`,
  );
}

/** `DisabledException` (400): the key exists but is disabled. */
export function disabled(arn: string): KmsError {
  return new KmsError("DisabledException", `${arn} is disabled.`);
}

/** `InvalidKeyUsageException` (400): the key cannot do this operation or algorithm. */
export function invalidKeyUsage(message: string): KmsError {
  return new KmsError("InvalidKeyUsageException", message);
}
