# syntax=docker/dockerfile:1
# One multi-target Dockerfile for every deployable component. Build one with
#   nx run <project>:image        (scripts/image/build.sh: docker or podman, tagged with the workspace version)
# or by hand:
#   docker build --target webhooks -t cnpaas/webhooks:0.1.0 .
#
# Stages: `build` compiles the workspace and builds the native addon (better-sqlite3) against the
# image's own Node; `app` keeps only what runs (package.json, bin/, dist/, manifests/, proto/,
# topologies/ and production dependencies); each component target is `app` plus its entry point.
# The runtime runs as the unprivileged `node` user (uid 1000) and writes nothing outside the
# volumes its Deployment mounts, so a read-only root filesystem works.

# Keep in step with .nvmrc (a unit test checks it).
ARG NODE_VERSION=24.22.3

FROM node:${NODE_VERSION}-bookworm-slim AS build
# Only the native addon's toolchain; nothing of it reaches the runtime.
# Pinning Debian package versions would break the build at the next point release; the toolchain
# only builds the addon and is not in the runtime image.
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ENV NX_DAEMON=false NX_NO_CLOUD=true
RUN npm ci --no-audit --no-fund \
  && npx nx run-many -t build --exclude=e2e,nx-plugin --output-style=static \
  && npm prune --omit=dev --no-audit --no-fund
# Everything a component needs at run time, and nothing else (no sources, tests or tsbuildinfo).
RUN mkdir -p /app/packages \
  && cp package.json package-lock.json /app/ \
  && cp -a node_modules /app/node_modules \
  && for dir in packages/*/; do \
       name=$(basename "$dir"); \
       mkdir -p "/app/packages/$name"; \
       cp "$dir/package.json" "/app/packages/$name/"; \
       for part in bin dist manifests proto topologies; do \
         if [ -e "$dir/$part" ]; then cp -a "$dir/$part" "/app/packages/$name/"; fi; \
       done; \
     done \
  && find /app/packages -name '*.tsbuildinfo' -delete

FROM node:${NODE_VERSION}-bookworm-slim AS app
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/cnpaas/cnpaas
LABEL org.opencontainers.image.source=${SOURCE} \
      org.opencontainers.image.version=${VERSION} \
      org.opencontainers.image.revision=${REVISION} \
      org.opencontainers.image.licenses=Apache-2.0 \
      org.opencontainers.image.vendor=cnpaas
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# The only places a component writes (each a volume in its Deployment or container), owned by the runtime user.
RUN mkdir -p /var/lib/cnpaas-store /var/lib/cnpaas-smtp \
  && chown 1000:1000 /var/lib/cnpaas-store /var/lib/cnpaas-smtp
USER 1000:1000

FROM app AS store
LABEL org.opencontainers.image.title=cnpaas-store \
      org.opencontainers.image.description="cnpaas-store: an etcd v3 compatible store routing each resource kind to its own database"
# The data directory is a volume; the store writes nowhere else.
VOLUME ["/var/lib/cnpaas-store"]
EXPOSE 2379
ENTRYPOINT ["node", "packages/storage-shim/bin/cnpaas-store.js", "--data-dir", "/var/lib/cnpaas-store"]

FROM app AS webhooks
LABEL org.opencontainers.image.title=cnpaas-webhooks \
      org.opencontainers.image.description="Admission webhooks for the webshop kinds"
EXPOSE 9443
ENTRYPOINT ["node", "packages/webhooks/bin/cnpaas-webhooks.js"]

FROM app AS operator
LABEL org.opencontainers.image.title=cnpaas-operator \
      org.opencontainers.image.description="The webshop controllers"
ENTRYPOINT ["node", "packages/operator/bin/cnpaas-operator.js"]

FROM app AS api-server
LABEL org.opencontainers.image.title=cnpaas-api-server \
      org.opencontainers.image.description="The aggregated registrations API"
EXPOSE 8443
ENTRYPOINT ["node", "packages/api-server/bin/cnpaas-api-server.js"]

FROM app AS trigger
LABEL org.opencontainers.image.title=cnpaas-trigger \
      org.opencontainers.image.description="Runs HTTPTriggers: delivers watch events to functions"
ENTRYPOINT ["node", "packages/functions/bin/cnpaas-trigger.js"]

FROM app AS email-function
LABEL org.opencontainers.image.title=cnpaas-email-function \
      org.opencontainers.image.description="Sends each Email once over SMTP"
EXPOSE 8443
ENTRYPOINT ["node", "packages/functions/bin/cnpaas-email-function.js"]

FROM app AS console
LABEL org.opencontainers.image.title=cnpaas-console \
      org.opencontainers.image.description="The webshop's web console: sign up, the data fabric live, timelines, the demo inbox"
EXPOSE 8090
ENTRYPOINT ["node", "packages/console/bin/cnpaas-console.js"]

FROM app AS smtp
LABEL org.opencontainers.image.title=cnpaas-smtp \
      org.opencontainers.image.description="The demo's SMTP server: stores mail, delivers nowhere"
VOLUME ["/var/lib/cnpaas-smtp"]
EXPOSE 2525
ENTRYPOINT ["node", "packages/functions/bin/cnpaas-smtp.js", "--mail-dir", "/var/lib/cnpaas-smtp"]
