import { isIP } from 'node:net';

/**
 * Why a webhook URL is refused, or undefined when it may be called: http(s) only, no credentials in
 * it, and no obviously internal target (loopback, private, link-local, unspecified addresses, or
 * localhost names) — unless `allowLoopback` (tests, a dev machine) admits loopback targets.
 * Names are not resolved here: this stops the obvious cases, not DNS rebinding.
 */
export function webhookUrlProblem(raw: string, allowLoopback: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http or https';
  if (url.username || url.password) return 'must not hold credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const loopback = host === 'localhost' || host.endsWith('.localhost') || isLoopbackIp(host);
  if (loopback) return allowLoopback ? undefined : 'points to this machine (loopback)';
  if (isInternalIp(host) || host.endsWith('.internal') || host.endsWith('.local')) return 'points to an internal network address';
  return undefined;
}

function isLoopbackIp(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}

function isInternalIp(host: string): boolean {
  if (isIP(host) === 4) {
    const [a, b] = host.split('.').map(Number);
    return a === 0 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (isIP(host) === 6) return host === '::' || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || /^::ffff:/.test(host);
  return false;
}
