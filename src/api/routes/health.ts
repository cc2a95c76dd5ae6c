import type { FastifyPluginAsync } from 'fastify';
import type { QueueAccess } from '../queue-access.js';

export interface HealthRouteOptions {
  access: QueueAccess;
}

/** `GET /healthz`: the one route without authentication. Always 200 while the process serves; `redis` says whether submissions can be queued. */
export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (app, { access }) => {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        summary: 'Liveness, and whether Redis (the job queues) is reachable',
        response: {
          200: {
            type: 'object',
            required: ['ok', 'redis'],
            properties: { ok: { type: 'boolean' }, redis: { type: 'string', enum: ['up', 'down'] } },
          },
        },
      },
    },
    async () => ({ ok: true, redis: (await access.isUp()) ? 'up' : 'down' }),
  );
};
