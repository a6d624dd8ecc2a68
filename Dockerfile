# syntax=docker/dockerfile:1
# Microacq's production image: the compiled bot (dist/) with its runtime dependencies only.
#   docker build -t microacq .
#   docker run -p 3978:3978 --env-file .env -v microacq-data:/app/data microacq

FROM node:20-bookworm-slim AS base
WORKDIR /app

# better-sqlite3 is a native module: when no prebuilt binary fits, npm compiles it, which needs these.
FROM base AS toolchain
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

FROM toolchain AS build
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM toolchain AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# No compiler here: node_modules arrives already built from prod-deps.
FROM base AS runtime
# HOST: the bot listens only on loopback by default, which no one outside the container reaches. With
# an address beyond loopback the bot insists on MICROSOFT_APP_ID (see .env.example).
ENV NODE_ENV=production PORT=3978 HOST=0.0.0.0
COPY --from=prod-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
# The default SQLITE_PATH is ./data/microacq.db: a directory the node user may write, for a volume.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3978) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# As `npm start` runs it: the heap size fits a summary or an export of 100,000 records (README, "Building and
# deploying"; measured by `npm run bench -- memory`).
CMD ["node", "--max-old-space-size=256", "dist/index.js"]
