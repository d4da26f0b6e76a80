import argon2 from 'argon2';

export { MIN_PASSWORD_LENGTH } from '@studioflow/runtime/graph';

/** argon2id with the library's defaults (OWASP's recommended parameters); the hash carries its own salt and settings. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/** A hash of nothing anyone knows: an unknown email is checked against it, so it costs the same time as a wrong password. */
let decoy: Promise<string> | undefined;

/** Whether `password` matches `hash`; with no hash (unknown email, or an account without a password) always false, after the same work. */
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (!hash) {
    decoy ??= hashPassword(`decoy-${Math.random()}`);
    await argon2.verify(await decoy, password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}
