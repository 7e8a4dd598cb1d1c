import { randomBytes } from "node:crypto";
import pkcs11js from "pkcs11js";
import { CK3 } from "../signer/src/backends/pkcs11/constants.js";
import type { SoftHsmToken } from "../test/helpers/softhsm.js";

/**
 * The S5 baseline: a plain pkcs11js loop on the same token, `sessions` sessions each chaining
 * C_SignInit + C_SignAsync (the call the backend uses), for `seconds`. Returns signatures/s and
 * the CPU time per signature of this process (SoftHSM signs on its libuv pool threads).
 */
export async function rawPkcs11Rate(
  token: SoftHsmToken,
  label: string,
  sessions: number,
  seconds: number,
): Promise<{ rate: number; cpuUsPerSign: number }> {
  const api = new pkcs11js.PKCS11();
  api.load(token.modulePath);
  try {
    api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (!/ALREADY_INITIALIZED/.test(String(err))) throw err;
  }
  const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.trimEnd() === token.label);
  if (!slot) throw new Error(`token ${token.label} not found`);
  const open = Array.from({ length: sessions }, () => api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION));
  try {
    api.C_Login(open[0]!, pkcs11js.CKU_USER, token.pin);
  } catch (err) {
    if (!/ALREADY_LOGGED_IN/.test(String(err))) throw err;
  }
  api.C_FindObjectsInit(open[0]!, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_LABEL, value: label },
  ]);
  const key = api.C_FindObjects(open[0]!, 1)[0];
  api.C_FindObjectsFinal(open[0]!);
  if (!key) throw new Error(`no key ${label}`);
  const digest = randomBytes(32);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    open.map(async (s) => {
      while (performance.now() < end) {
        api.C_SignInit(s, { mechanism: CK3.CKM_EDDSA }, key);
        await api.C_SignAsync(s, digest, Buffer.alloc(64));
        n++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  for (const s of open) api.C_CloseSession(s);
  api.C_Finalize();
  return { rate: n / seconds, cpuUsPerSign: (cpu.user + cpu.system) / Math.max(1, n) };
}
