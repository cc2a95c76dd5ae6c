import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, type LookupFunction as SocketLookup } from 'node:net';
import { BlockedAddressError, NetworkError } from './errors.js';
import type { LookupFunction, ResolvedAddress } from './options.js';
import { type AllowList, checkAddress, checkPort, hostOf } from './ssrf.js';

/**
 * Every address the URL's host resolves to, each checked against the SSRF guard, then the port
 * (which may depend on the addresses). An IP literal is its own single address. Throws
 * `blocked_address` if any one address is blocked: a name with one private address is refused
 * even when it also has public ones. A host name on the allow list skips the address check.
 */
export async function resolveChecked(url: URL, allow: AllowList, lookup: LookupFunction): Promise<ResolvedAddress[]> {
  const host = hostOf(url);
  const family = isIP(host);
  const addresses = family !== 0 ? [{ address: host, family }] : await resolve(host, lookup, url.href);
  // A host the operator listed by name may resolve to private addresses: that is why it is listed.
  if (!allow.allowsHost(host)) {
    for (const { address } of addresses) {
      try {
        checkAddress(address, allow);
      } catch {
        throw new BlockedAddressError(`${host} resolves to ${address}, which is not a public address`, url.href);
      }
    }
  }
  checkPort(url, addresses.map((entry) => entry.address), allow);
  return addresses;
}

async function resolve(host: string, lookup: LookupFunction, url: string): Promise<ResolvedAddress[]> {
  let found: readonly ResolvedAddress[];
  try {
    found = await lookup(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new NetworkError(`cannot resolve ${host}: ${code}`, { retryable: true, cause: error, url });
  }
  if (found.length === 0) throw new NetworkError(`${host} has no addresses`, { retryable: true, url });
  return found.map(({ address, family }) => ({ address, family: family === 6 || isIP(address) === 6 ? 6 : 4 }));
}

/**
 * A socket `lookup` that only ever answers with the already-checked addresses, so the connection
 * goes where the guard looked and a second DNS answer (rebinding) is never asked for.
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): SocketLookup {
  return ((_hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
    const usable: LookupAddress[] = addresses.filter((entry) => wanted === undefined || entry.family === wanted);
    if (usable.length === 0) {
      const error: NodeJS.ErrnoException = new Error(`no checked address of family ${wanted}`);
      error.code = 'ENOTFOUND';
      process.nextTick(callback, error);
    } else if (options.all) {
      process.nextTick(callback, null, usable);
    } else {
      process.nextTick(callback, null, usable[0].address, usable[0].family);
    }
  }) as SocketLookup;
}
