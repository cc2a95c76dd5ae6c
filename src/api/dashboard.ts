import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorBody } from './errors.js';

/** Where the queue dashboard (bull-board) is served; its JSON API is under `<path>/api/`. */
export const DASHBOARD_PATH = '/admin/queues';
/** Form that trades the API token for a dashboard session cookie. */
export const LOGIN_PATH = '/admin/login';
export const LOGOUT_PATH = '/admin/logout';
/** Name of the session cookie, sent back on `/admin` paths only. */
export const SESSION_COOKIE = 'winnow_admin';
/** A session lasts a working day; then the token is asked again. */
export const SESSION_TTL_S = 12 * 60 * 60;
/** Longest login body read (a token is 32-200 characters). */
const LOGIN_BODY_LIMIT = 4096;

/**
 * Dashboard pages load bull-board's scripts and styles from this origin only. Its React UI sets
 * inline style attributes, hence 'unsafe-inline' for styles (never for scripts); the Google
 * Fonts stylesheet it links is refused, so no third party learns who looks at the dashboard.
 * `base-uri 'self'`: the page sets `<base href>` to the dashboard path.
 */
const DASHBOARD_CSP = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};

/**
 * Helmet settings of dashboard routes. Referrer-Policy `same-origin` instead of the API's
 * `no-referrer`: under `no-referrer` a browser sends `Origin: null` with the login form and with
 * the page's PUT requests, which the app's cross-origin guard then refuses. Other sites still
 * get no referrer.
 */
const DASHBOARD_HELMET = {
  contentSecurityPolicy: { useDefaults: false, directives: DASHBOARD_CSP },
  referrerPolicy: { policy: 'same-origin' },
};

export interface DashboardOptions {
  /** The API token (the same bearer token as every route), or null when authentication is off. */
  token: string | null;
  /** Queues shown, by their BullMQ name (prefix as the queues were built with). */
  queues: readonly Queue[];
  /** Show jobs without the buttons that retry, promote, clean or remove them. @defaultValue false */
  readOnly?: boolean;
}

/**
 * bull-board at `/admin/queues`, behind the API token. Scripts can send the token as
 * `Authorization: Bearer`, as on every route. A browser cannot add that header to the page's own
 * requests, so `POST /admin/login` with the token (form field or JSON `token`) sets a session
 * cookie instead: `winnow_admin`, HttpOnly (no script reads it), Secure, SameSite=Strict (no
 * other site's page makes the browser send it), Path=/admin (no other route sees it), 12 hours.
 * Its value is an expiry time and an HMAC of it keyed with the token: the token itself never
 * sits in the browser, nothing is kept server side, and changing the token ends every session.
 * `POST /admin/logout` clears it.
 *
 * Every route of this plugin is marked `public` for the app-wide bearer check and checked here
 * instead (bearer or cookie), and gets {@link DASHBOARD_HELMET} as its helmet settings.
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const secret = options.token === null ? null : Buffer.from(options.token, 'utf8');

  // Routes of this plugin only (bull-board's included): the outer bearer hook skips them, this
  // one checks them; the helmet config is read per request, so setting it here still counts.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: true };
    (route.config as Record<string, unknown>).helmet = DASHBOARD_HELMET;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (secret === null || request.routeOptions.url === LOGIN_PATH || request.routeOptions.url === LOGOUT_PATH) return;
    if (isAuthorized(request, secret)) return;
    // Answered here rather than thrown: bull-board's routes have an error handler of their own.
    const refusal = new ApiError('WINNOW_ERR_UNAUTHORIZED', `missing or wrong bearer token; browsers log in at ${LOGIN_PATH}`);
    return reply.code(401).header('www-authenticate', 'Bearer').type('application/json; charset=utf-8').send(errorBody(refusal));
  });
  // The login form posts urlencoded; the rest of the API takes JSON only.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: LOGIN_BODY_LIMIT }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get(LOGIN_PATH, { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(LOGIN_PAGE));

  app.post<{ Body: { token?: unknown } }>(LOGIN_PATH, { schema: { hide: true }, bodyLimit: LOGIN_BODY_LIMIT }, async (request, reply) => {
    if (secret === null) return reply.redirect(DASHBOARD_PATH, 303);
    const given = typeof request.body?.token === 'string' ? request.body.token : '';
    if (!sameSecret(given, secret)) throw new ApiError('WINNOW_ERR_UNAUTHORIZED', 'wrong token');
    const expires = Math.floor(Date.now() / 1000) + SESSION_TTL_S;
    return setSession(reply, `${expires}.${sessionMac(secret, expires)}`, SESSION_TTL_S).redirect(DASHBOARD_PATH, 303);
  });

  app.post(LOGOUT_PATH, { schema: { hide: true } }, async (_request, reply) => setSession(reply, '', 0).redirect(LOGIN_PATH, 303));

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: options.readOnly ?? false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'winnow queues' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
};

/** The bearer token, or an unexpired session cookie made with it. */
function isAuthorized(request: FastifyRequest, secret: Buffer): boolean {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return sameSecret(bearer, secret);
  const session = cookieValue(request.headers.cookie, SESSION_COOKIE);
  const match = /^(\d{1,12})\.([\w-]{43})$/.exec(session ?? '');
  if (!match) return false;
  const expires = Number(match[1]);
  if (expires * 1000 <= Date.now()) return false;
  return timingSafeEqual(Buffer.from(match[2]), Buffer.from(sessionMac(secret, expires)));
}

/** Compared as SHA-256 digests, equal in length whatever the input: no timing leak of content or length. */
function sameSecret(given: string, secret: Buffer): boolean {
  const digest = (value: Buffer | string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** base64url HMAC-SHA256 of the expiry, keyed with the token (43 characters). */
function sessionMac(secret: Buffer, expires: number): string {
  return createHmac('sha256', secret).update(`${SESSION_COOKIE}\n${expires}`).digest('base64url');
}

function setSession(reply: FastifyReply, value: string, maxAgeS: number): FastifyReply {
  return reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Max-Age=${maxAgeS}; Path=/admin; HttpOnly; Secure; SameSite=Strict`);
}

/** The value of cookie `name` in a Cookie header, if present. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const equals = part.indexOf('=');
    if (equals !== -1 && part.slice(0, equals).trim() === name) return part.slice(equals + 1).trim();
  }
  return undefined;
}

/** No script and no style: the form posts to this origin, the browser keeps the cookie. */
const LOGIN_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>winnow queues: log in</title></head>
<body>
<h1>winnow queues</h1>
<form method="post" action="${LOGIN_PATH}">
<label>API token <input type="password" name="token" autocomplete="current-password" required minlength="32"></label>
<button type="submit">Log in</button>
</form>
</body>
</html>
`;
