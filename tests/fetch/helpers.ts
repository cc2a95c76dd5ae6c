import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { vi } from 'vitest';
import type { LookupFunction, ResolvedAddress } from '../../src/fetch/options.js';

/** A real HTTP server on 127.0.0.1, port chosen by the OS, counting connections and requests. */
export interface TestServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  url(path: string): string;
  /** TCP connections accepted so far. */
  connections: number;
  /** Request paths (with query) seen so far, in order. */
  paths: string[];
  /** Request headers of each request, in order. */
  headers: IncomingMessage['headers'][];
  close(): Promise<void>;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, server: TestServer) => void;

/** Starts a server whose routes map a path (without query) to a handler; unknown paths get 404. */
export async function startServer(routes: Record<string, Handler>): Promise<TestServer> {
  const listener: RequestListener = (request, response) => {
    state.paths.push(request.url ?? '');
    state.headers.push(request.headers);
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const handler = routes[path];
    if (handler) handler(request, response, state);
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  };
  const server = http.createServer(listener);
  server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: TestServer = {
    port,
    origin: `http://127.0.0.1:${port}`,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    connections: 0,
    paths: [],
    headers: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** HTML page handler with a given body and headers. */
export function page(body: string | Uint8Array, headers: http.OutgoingHttpHeaders = { 'content-type': 'text/html; charset=utf-8' }, status = 200): Handler {
  return (_request, response) => {
    response.writeHead(status, headers).end(body);
  };
}

/** Redirect handler. */
export function redirect(location: string, status = 302): Handler {
  return (_request, response) => {
    response.writeHead(status, { location }).end();
  };
}

/** Every host an outgoing request was attempted to (after the pinned lookup, when there is one). */
export const attempted: string[] = [];

/**
 * Makes sure no test ever opens a socket beyond loopback: http(s).request is wrapped so that a
 * non-loopback literal host, or a pinned lookup that yields a non-loopback address, fails in the
 * test itself instead of reaching the network.
 */
export function guardNetwork(): void {
  for (const module of [http, https]) {
    const original = module.request.bind(module) as (...args: unknown[]) => http.ClientRequest;
    vi.spyOn(module, 'request').mockImplementation(((...args: unknown[]) => {
      const options = args[0] as http.RequestOptions;
      const host = String(options.host ?? options.hostname ?? '');
      if (options.lookup) {
        const lookup = options.lookup;
        options.lookup = ((hostname: string, lookupOptions: object, callback: (...results: unknown[]) => void) => {
          lookup(hostname, lookupOptions as never, ((error: Error | null, address: unknown, family?: number) => {
            const list = Array.isArray(address) ? (address as ResolvedAddress[]).map((entry) => entry.address) : [String(address)];
            attempted.push(...list);
            const outside = list.find((entry) => !isLoopback(entry));
            if (!error && outside) callback(new Error(`test guard: refused connection to ${outside}`));
            else callback(error, address, family);
          }) as never);
        }) as never;
      } else {
        attempted.push(host);
        if (!isLoopback(host)) throw new Error(`test guard: refused connection to ${host}`);
      }
      return original(...args);
    }) as never);
  }
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '::ffff:127.0.0.1';
}

/** A resolver from a fixed table, counting calls; names absent from the table fail like NXDOMAIN. */
export function fakeLookup(table: Record<string, string[] | (() => string[])>): LookupFunction & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const entry = table[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const addresses = typeof entry === 'function' ? entry() : entry;
    return addresses.map((address) => ({ address, family: isIP(address) }));
  };
  return Object.assign(lookup, { calls });
}

/** Runs `action` and returns what it rejected with (fails the test when it resolves). */
export async function rejection(action: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await action;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}
