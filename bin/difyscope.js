#!/usr/bin/env node
// In production (NODE_ENV=production) the compiled CLI from `npm run build` runs when it is
// there: no TypeScript is compiled at run time, and the worker uses the prebuilt workflow
// bundle beside it. Otherwise the TypeScript runs through tsx, so `npx difyscope` works
// without a build step.
const { existsSync } = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, '..', 'dist', 'client', 'main.js');
if (process.env.NODE_ENV === 'production' && existsSync(compiled)) {
  require(compiled);
} else {
  require('tsx/cjs');
  require('../client/main.ts');
}
