# calstatus image: one image, two processes (the Procfile's web and worker).
# Not built in CI (no container registry is reachable there): docs/operations.md, "Docker".
#   docker build -t calstatus .
#   docker run --env-file .env -p 127.0.0.1:3000:3000 calstatus                            # web
#   docker run --env-file .env calstatus node dist/src/main/worker.js                       # worker
# compose.yaml runs both with a Redis.

# Build: every dependency, TypeScript to dist/ (npm run build copies the Lua scripts too).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# Only src/ is compiled here: the service never imports the simulators, the demo or the
# benchmarks (test/layering.test.ts), so they stay out of the build context and the image.
RUN npm run build

# Production dependencies only, installed apart so no build tool ends up in the image.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Run: the built service as the image's unprivileged `node` user, which owns none of the files
# it runs, so a compromised process cannot rewrite them.
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json Procfile ./
USER node
EXPOSE 3000
# Exec form, so SIGTERM reaches node itself: it stops cleanly within SHUTDOWN_TIMEOUT_SECONDS.
CMD ["node", "dist/src/main/web.js"]
