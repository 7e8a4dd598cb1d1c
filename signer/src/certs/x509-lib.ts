// The one place that loads @peculiar/x509. Its tsyringe dependency needs the Reflect metadata API
// installed before the library loads, so the polyfill is imported first and the library dynamically.
import "reflect-metadata";
import { webcrypto } from "node:crypto";

/** @peculiar/x509, configured to use node's WebCrypto. */
export const x509 = await import("@peculiar/x509");

x509.cryptoProvider.set(webcrypto);
