# syntax=docker/dockerfile:1
# Multi-stage build: compile with the dev dependencies, install production dependencies (better-sqlite3
# builds a native module, so that stage has a compiler), and run on a slim image as the non-root `node` user.
# Node 24 is the current LTS line (20 reached its end of life in April 2026); `.ci/run` tests the same major.

FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# npm ci runs the `prepare` script (scripts/build-if-stale.js), which skips the build while src/ is absent;
# the explicit build below compiles once the sources are in.
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS production-deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --omit=dev && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# So that `npm start` / `npm run user` work in the image too: without src/ the build check does nothing.
COPY scripts ./scripts
COPY views ./views
COPY public ./public
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# A larger young generation: a request's short-lived objects die young instead of being promoted (README, "Performance").
CMD ["node", "--max-semi-space-size=128", "dist/server.js"]
