import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** One request as a site saw it (ms since the epoch; `end` is 0 until answered). */
export interface Seen {
  path: string;
  start: number;
  end: number;
}

/** Answers one request; `n` counts the requests to this path so far, from 1. */
export type Route = (response: ServerResponse, n: number, request: IncomingMessage) => void;

/** A local site: routes by path (query included), every other path a small HTML page. */
export interface Site {
  port: number;
  url(path: string): string;
  /** Requests in arrival order (robots.txt left out). */
  seen: Seen[];
  /** Most requests in flight at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

export const PAGE = '<!doctype html><html><head><title>Site</title></head><body><article><p>A page of a local test site.</p></article></body></html>';

/** An HTML page after `latencyMs`. */
export function htmlPage(latencyMs = 0): Route {
  return (response) => {
    setTimeout(() => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE), latencyMs);
  };
}

export interface SiteOptions {
  /** How late a path without a route answers. @defaultValue 0 */
  latencyMs?: number;
  /** Text of /robots.txt. @defaultValue none: a 404 (everything allowed) */
  robots?: string;
}

/**
 * Start a site on 127.0.0.1 (port chosen by the OS). robots.txt is `options.robots` or a 404;
 * a path without a route is `htmlPage(latencyMs)`.
 */
export async function startSite(routes: Record<string, Route> = {}, options: SiteOptions = {}): Promise<Site> {
  const site = { seen: [] as Seen[], maxInFlight: 0 };
  const counts = new Map<string, number>();
  let inFlight = 0;
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path === '/robots.txt') {
      if (options.robots === undefined) response.writeHead(404).end();
      else response.writeHead(200, { 'content-type': 'text/plain' }).end(options.robots);
      return;
    }
    const seen: Seen = { path, start: Date.now(), end: 0 };
    site.seen.push(seen);
    inFlight++;
    site.maxInFlight = Math.max(site.maxInFlight, inFlight);
    response.once('finish', () => {
      inFlight--;
      seen.end = Date.now();
    });
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    (routes[path] ?? htmlPage(options.latencyMs))(response, n, request);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(site, {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  });
}

/** The sites of a test file: each test starts its own, and `closeAll()` closes them after it. */
export interface SiteGroup {
  start(routes?: Record<string, Route>, options?: SiteOptions): Promise<Site>;
  closeAll(): Promise<void>;
}

export function siteGroup(): SiteGroup {
  const open: Site[] = [];
  return {
    async start(routes, options) {
      const site = await startSite(routes, options);
      open.push(site);
      return site;
    },
    closeAll: async () => {
      await Promise.all(open.splice(0).map((site) => site.close()));
    },
  };
}
