#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx difyscope` works without a build step.
require('tsx/cjs');
require('../client/main.ts');
