import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/** Shortest token the server accepts (32 characters; use 32 random bytes, e.g. `openssl rand -hex 32`). */
export const MIN_TOKEN_LENGTH = 32;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** True on routes anyone may call without the bearer token (only /healthz). */
    public?: boolean;
  }
}

/**
 * Throws unless `token` is usable: a string of at least {@link MIN_TOKEN_LENGTH} characters, or
 * null to turn authentication off (local use only).
 */
export function checkToken(token: string | null): void {
  if (token === null) return;
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) {
    throw new Error(`WINNOW_API_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters (32 random bytes, e.g. \`openssl rand -hex 32\`)`);
  }
}

/**
 * Bearer-token authentication on every route not marked `config: { public: true }` (unknown
 * routes included, so they reveal nothing). The comparison runs on SHA-256 digests, equal in
 * length whatever the input, with `timingSafeEqual`: neither the token's content nor its length
 * leaks through timing. The token is never logged; the Authorization header is redacted from
 * request logs by the server.
 */
export function registerAuth(app: FastifyInstance, token: string | null): void {
  checkToken(token);
  if (token === null) return;
  const expected = digest(token);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config?.public === true) return;
    const given = bearerToken(request.headers.authorization);
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      throw new ApiError('WINNOW_ERR_UNAUTHORIZED');
    }
  });
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}
