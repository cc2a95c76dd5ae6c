import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { packageRoot } from '../classify/model.js';

/** Where the review page's files are read from. */
export interface ReviewUiOptions {
  /** `index.html` and the stylesheets. @defaultValue `<package>/src/review/ui/static` */
  pageDir?: string;
  /** The compiled client modules (`*.js`, `*.js.map`). @defaultValue `<package>/dist/review-ui` */
  scriptDir?: string;
  /** DOMPurify's browser ES module, served as `purify.js`. @defaultValue `dompurify/dist/purify.es.mjs` as installed */
  purifyFile?: string;
}

/**
 * How long browsers keep an asset without asking again. The page shell is never cached, so a
 * deploy reaches every reviewer within this bound even though asset names carry no hash.
 */
export const ASSET_MAX_AGE_MS = 60 * 60 * 1000;

/**
 * The only asset names served: one path segment, dots only between name parts (so never `..`),
 * and only the kinds the page loads. Anything else is a 404 before the file system is touched.
 */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\.(?:js|css|map)$/;

/** The default locations, resolved from this package (and DOMPurify from where Node finds it). */
export function defaultReviewUiPaths(): Required<ReviewUiOptions> {
  const root = packageRoot();
  const require = createRequire(import.meta.url);
  return {
    pageDir: join(root, 'src', 'review', 'ui', 'static'),
    scriptDir: join(root, 'dist', 'review-ui'),
    // The package's main entry is the CommonJS build; its ES build sits beside it.
    purifyFile: join(dirname(require.resolve('dompurify')), 'purify.es.mjs'),
  };
}

/**
 * The review page: `GET /review` (the shell, no data) and `GET /review/assets/<file>` (client
 * modules, stylesheets, DOMPurify as `purify.js`). All public: the page asks for the token and
 * every piece of data comes from the JSON API with it. Files are named one by one (no wildcard,
 * no directory listing, no index files) and read through `send`, which also refuses any path
 * outside its root. The page's Content-Security-Policy comes from security.ts.
 */
export const reviewUiRoutes: FastifyPluginAsync<ReviewUiOptions> = async (app, options) => {
  const paths = { ...defaultReviewUiPaths(), ...options };
  // Only the reply decorator: routes below choose each file themselves.
  await app.register(fastifyStatic, { serve: false });

  const publicPage = { config: { public: true }, schema: { hide: true } } as const;

  app.get('/review', publicPage, (_request, reply) => {
    return reply.header('cache-control', 'no-cache').sendFile('index.html', paths.pageDir, { cacheControl: false });
  });

  app.get('/review/assets/purify.js', publicPage, (_request, reply) => {
    return sendAsset(reply, basename(paths.purifyFile), dirname(paths.purifyFile));
  });

  app.get<{ Params: { file: string } }>('/review/assets/:file', publicPage, (request, reply) => {
    const { file } = request.params;
    if (!ASSET_NAME.test(file)) return reply.callNotFound();
    return sendAsset(reply, file, file.endsWith('.css') ? paths.pageDir : paths.scriptDir);
  });
};

function sendAsset(reply: FastifyReply, file: string, root: string): FastifyReply {
  return reply.sendFile(file, root, { maxAge: ASSET_MAX_AGE_MS, immutable: true, dotfiles: 'deny' });
}
