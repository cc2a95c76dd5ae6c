import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { BadUrlError, BlockedAddressError } from './errors.js';

/** Ranges that are not public unicast: private, loopback, link-local, shared, reserved, documentation, multicast. */
const BLOCKED_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4], // includes 255.255.255.255
];

/** ::ffff:0:0/96 is absent on purpose: a mapped address is judged by the IPv4 address inside it. */
const BLOCKED_V6: ReadonlyArray<readonly [string, number]> = [
  ['::', 96], // ::, ::1 and the deprecated IPv4-compatible addresses
  ['::ffff:0:0:0', 96], // SIIT IPv4-translated
  ['64:ff9b::', 96], // NAT64: the gateway would reach whatever IPv4 address is embedded
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments, Teredo included
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
];

const blocked = new BlockList();
for (const [network, prefix] of BLOCKED_V4) blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of BLOCKED_V6) blocked.addSubnet(network, prefix, 'ipv6');

const MAPPED_V4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/** An IP address in canonical form, with an IPv4-mapped IPv6 address turned into its IPv4 address. */
interface CanonicalIp {
  address: string;
  type: 'ipv4' | 'ipv6';
}

/** Canonical form of an IP literal (brackets and zone id dropped), or undefined when it is not one. */
function canonicalIp(ip: string): CanonicalIp | undefined {
  const bare = ip.replace(/^\[(.*)\]$/, '$1').split('%')[0];
  const family = isIP(bare);
  if (family === 4) return { address: bare, type: 'ipv4' };
  if (family !== 6) return undefined;
  // The URL parser prints IPv6 in one canonical compressed form, which makes the mapped form easy to spot.
  const compressed = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = MAPPED_V4.exec(compressed);
  if (!mapped) return { address: compressed, type: 'ipv6' };
  const high = parseInt(mapped[1], 16);
  const low = parseInt(mapped[2], 16);
  return { address: `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, type: 'ipv4' };
}

/** Host names, IP addresses and CIDR ranges exempt from the SSRF guard (for tests and internal sites). */
export class AllowList {
  private readonly hosts = new Set<string>();
  private readonly ranges = new BlockList();
  /** True when some entry is an address or range, so a host name may turn out allowed once resolved. */
  private hasRanges = false;

  /** Builds a list from entries like `intranet.local`, `127.0.0.1`, `10.0.0.0/8`, `::1`. Throws on a malformed range. */
  static from(entries: readonly string[] | AllowList): AllowList {
    if (entries instanceof AllowList) return entries;
    const list = new AllowList();
    for (const entry of entries) list.add(entry.trim());
    return list;
  }

  private add(entry: string): void {
    if (entry === '') return;
    const [network, prefixText] = entry.split('/');
    const ip = canonicalIp(network);
    if (prefixText !== undefined) {
      const prefix = Number(prefixText);
      const max = ip?.type === 'ipv4' ? 32 : 128;
      if (!ip || !/^\d+$/.test(prefixText) || prefix > max) throw new RangeError(`bad allowPrivate range "${entry}"`);
      this.ranges.addSubnet(ip.address, prefix, ip.type);
      this.hasRanges = true;
    } else if (ip) {
      this.ranges.addAddress(ip.address, ip.type);
      this.hosts.add(ip.address);
      this.hasRanges = true;
    } else {
      this.hosts.add(normalizeHostname(entry));
    }
  }

  /** True when the host name (or IP literal) itself is listed. */
  allowsHost(hostname: string): boolean {
    const ip = canonicalIp(hostname);
    return ip ? this.ranges.check(ip.address, ip.type) : this.hosts.has(normalizeHostname(hostname));
  }

  /** True when the address is listed or falls in a listed range. */
  allowsAddress(address: string): boolean {
    const ip = canonicalIp(address);
    return ip !== undefined && this.ranges.check(ip.address, ip.type);
  }

  /** True when resolving a host name could still make it allowed. */
  get mayAllowResolved(): boolean {
    return this.hasRanges;
  }
}

function normalizeHostname(hostname: string): string {
  const lower = hostname.toLowerCase().replace(/\.$/, '');
  return domainToASCII(lower) || lower;
}

/** True when the address is not public unicast (ignores any allow list). Non-IP input counts as blocked. */
export function isBlockedAddress(ip: string): boolean {
  const canonical = canonicalIp(ip);
  return canonical === undefined || blocked.check(canonical.address, canonical.type);
}

/**
 * Throws `blocked_address` unless `ip` is a public unicast address or is allow-listed. IPv4-mapped
 * IPv6 addresses are judged by the IPv4 address inside them.
 */
export function checkAddress(ip: string, allow: AllowList | readonly string[] = []): void {
  if (AllowList.from(allow).allowsAddress(ip)) return;
  if (isBlockedAddress(ip)) throw new BlockedAddressError(`address ${ip} is not a public address`);
}

/** The URL's host without IPv6 brackets, ready for a socket or a resolver. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Parses a URL and refuses what may never be fetched: schemes other than http/https, embedded
 * credentials, blocked IP literals (the URL parser has already turned `2130706433`, `0x7f.1`
 * and `127.1` into dotted quads), and ports other than 80/443 for hosts not allow-listed. A host
 * name is only fully judged once resolved (see checkPort and checkAddress).
 */
export function validateUrl(url: string | URL, allow: AllowList | readonly string[] = []): URL {
  const list = AllowList.from(allow);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadUrlError(`not an absolute URL: ${String(url).slice(0, 200)}`);
  }
  const where = parsed.href;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BadUrlError(`scheme ${parsed.protocol} is not allowed; only http: and https:`, where);
  }
  if (parsed.username !== '' || parsed.password !== '') throw new BadUrlError('URLs with credentials are not fetched', where);
  const host = hostOf(parsed);
  if (host === '') throw new BadUrlError('URL has no host', where);
  const literal = isIP(host) !== 0;
  if (literal) {
    try {
      checkAddress(host, list);
    } catch (error) {
      throw new BlockedAddressError((error as Error).message, where);
    }
  }
  checkPort(parsed, literal ? [host] : undefined, list);
  return parsed;
}

/**
 * Allows ports 80 and 443, and any port on a host that is allow-listed by name or whose every
 * resolved address is allow-listed. With `addresses` unknown (not resolved yet) it only throws
 * when resolution could not change the answer.
 */
export function checkPort(url: URL, addresses: readonly string[] | undefined, allow: AllowList | readonly string[] = []): void {
  const list = AllowList.from(allow);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (port === 80 || port === 443) return;
  if (list.allowsHost(hostOf(url))) return;
  if (addresses === undefined && list.mayAllowResolved) return;
  if (addresses !== undefined && addresses.length > 0 && addresses.every((address) => list.allowsAddress(address))) return;
  throw new BlockedAddressError(`port ${port} is not allowed; only 80 and 443`, url.href);
}
