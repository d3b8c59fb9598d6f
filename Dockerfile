# The Difyscope worker. Build: docker build -t difyscope-worker .
# Stage 1 compiles the TypeScript and prebuilds the workflow bundle (`npm run build`); stage 2
# carries production dependencies and the compiled JavaScript only: nothing is compiled or
# bundled at run time.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
# NODE_OPTIONS: a heap cap makes V8 collect garbage before the worker grows, and a small young
# generation keeps short-lived garbage (answers, parsed records) from adding tens of MB. MALLOC_*:
# two malloc arenas, and blocks of 64 KB and more (compression state, large buffers) mapped and
# returned on their own, so the native heap does not fragment across threads (README: bench).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=4" \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=65536 \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    OUTPUT_DIR=/data/outputs
WORKDIR /app
# A CJK font, so the PNG charts of e-mails draw Chinese labels.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data/outputs && chown -R node:node /data
USER node
VOLUME ["/data/outputs"]
ENTRYPOINT ["node", "bin/difyscope.js"]
CMD ["worker"]
