FROM node:20-bookworm-slim
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
# `postinstall` applies these to node_modules (patch-package) during `npm ci`.
COPY patches ./patches
COPY src ./src
COPY workers ./workers
COPY bench ./bench
# The faults benchmark starts its throwaway Redis and PostgreSQL with the tests' own helpers.
COPY tests/helpers ./tests/helpers
# `prepare` compiles src/, workers/ and bench/ into dist/ (the sandboxed moderate processor is
# forked from dist/workers/moderate.sandbox.js).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
COPY models ./models
COPY fixtures ./fixtures
# A 4 MB young-generation semi-space: a 131-page batch peaks near 185 MB instead of 210 (README).
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/src/cli/main.js"]
CMD ["--help"]
