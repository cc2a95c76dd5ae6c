import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Deadline } from './deadline.js';
import { NetworkError, toFetchError } from './errors.js';
import type { ResolvedAddress, ResolvedFetchOptions } from './options.js';
import { pinnedLookup, resolveChecked } from './resolve.js';
import { hostOf } from './ssrf.js';

/** One request on the wire and the response whose headers have arrived; the body is still unread. */
export interface Hop {
  request: ClientRequest;
  response: IncomingMessage;
}

/**
 * Resolves and checks the host, then sends one GET to a checked address and waits for the
 * response headers. Resolving and connecting share `connectTimeoutMs`; `signal` (the total
 * deadline) bounds the rest. The caller must destroy the hop's request when done with it.
 */
export async function openHop(url: URL, options: ResolvedFetchOptions, accept: string, signal: AbortSignal): Promise<Hop> {
  const connect = new Deadline(options.connectTimeoutMs, signal, `no connection to ${url.host} within ${options.connectTimeoutMs} ms`);
  try {
    const addresses = await connect.race(resolveChecked(url, options.allow, options.lookup));
    return await send(url, addresses, requestHeaders(url, options.userAgent, accept), connect.signal, signal);
  } finally {
    connect.dispose();
  }
}

function requestHeaders(url: URL, userAgent: string, accept: string): http.OutgoingHttpHeaders {
  return {
    host: url.host,
    'user-agent': userAgent,
    accept,
    'accept-encoding': 'gzip, deflate, br',
    connection: 'close',
  };
}

function send(
  url: URL,
  addresses: readonly ResolvedAddress[],
  headers: http.OutgoingHttpHeaders,
  connectSignal: AbortSignal,
  signal: AbortSignal,
): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const host = hostOf(url);
    let connected = false;
    let request: ClientRequest;
    try {
      request = (secure ? https : http).request({
        host,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers,
        // A fresh socket per hop: a pooled one could outlive the address check it was opened under.
        agent: false,
        // Sockets skip lookup for IP literals, which is why literals were checked separately.
        lookup: isIP(host) === 0 ? pinnedLookup(addresses) : undefined,
      });
    } catch (error) {
      reject(new NetworkError(`cannot request ${url.href}: ${(error as Error).message}`, { retryable: false, cause: error, url: url.href }));
      return;
    }
    const onConnectAbort = (): void => {
      if (!connected) request.destroy(connectSignal.reason as Error);
    };
    const onAbort = (): void => {
      request.destroy(signal.reason as Error);
    };
    const detach = (): void => {
      connectSignal.removeEventListener('abort', onConnectAbort);
      signal.removeEventListener('abort', onAbort);
    };
    connectSignal.addEventListener('abort', onConnectAbort, { once: true });
    signal.addEventListener('abort', onAbort, { once: true });
    request.once('socket', (socket) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        connected = true;
      });
    });
    request.once('response', (response) => {
      detach();
      resolve({ request, response });
    });
    request.once('error', (error) => {
      detach();
      if (signal.aborted) reject(signal.reason);
      else if (connectSignal.aborted && !connected) reject(connectSignal.reason);
      else reject(toFetchError(error, url.href));
    });
    request.end();
  });
}
