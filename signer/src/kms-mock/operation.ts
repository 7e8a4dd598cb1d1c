import type { KmsInput } from "./input.js";
import type { MockKmsState } from "./state.js";

/** What an operation handler sees besides its input. */
export interface OperationContext {
  readonly state: MockKmsState;
  /** The region of the request's SigV4 credential scope. */
  readonly region: string;
}

/** One `TrentService.<Op>` handler: JSON input → JSON output, or a thrown KmsError. */
export type Operation = (input: KmsInput, ctx: OperationContext) => Record<string, unknown>;
