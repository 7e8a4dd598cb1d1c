export * from "./canonical.js";
export * from "./verify-digest.js";
