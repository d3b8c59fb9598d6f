import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { HOW_TO_GET_A_DIFY, NoDifyError, seedDify } from './real-dify';

/**
 * The live tests' one entry point: `await liveDify()` gives a real, seeded Dify.
 *
 * Under `npm run test:dify` the launcher (test/live/launcher.ts) has already started and
 * seeded it and every test file shares that seed (DIFY_LIVE_SEED_FILE). A single file run
 * directly (`node --import tsx --test test/live/x.test.ts`) works with DIFY_LIVE_URL set:
 * the Dify is seeded once for that process. Without either, liveDify() rejects with one
 * line saying how to get a Dify, so a live test never passes without one.
 *
 * Assert against what seeding recorded (`seed`), never against what it intended: a run's
 * `status` is what Dify answered, `expectedStatus` only the plan. The seeded apps are shared
 * by every live test file and reports assert their exact content: do not add runs, messages
 * or feedback to them; a test that needs its own data calls seedDify() (real-dify.ts), which
 * makes new apps.
 */

const seededRunSchema = z
  .object({
    id: z.string(),
    logId: z.string().nullable(),
    user: z.string(),
    query: z.string(),
    /** `echo`, `question` (succeed), `fail_500`, `fail_refused` (fail in an HTTP Request node). */
    branch: z.string(),
    expectedStatus: z.string(),
    status: z.string(),
    error: z.string().nullable(),
    outputs: z.record(z.string(), z.unknown()).nullable(),
    elapsedTime: z.number().nullable(),
    totalSteps: z.number().nullable(),
    runCreatedAt: z.number().nullable(),
    runFinishedAt: z.number().nullable(),
    /** The log item's created_at (epoch seconds), as /v1/workflows/logs returned it. */
    createdAt: z.number().nullable(),
    logStatus: z.string().nullable(),
    createdFrom: z.string().nullable(),
  })
  .loose();

const seedSchema = z
  .object({
    url: z.string(),
    workflowAppId: z.string(),
    workflowApiKey: z.string(),
    chatAppId: z.string(),
    chatApiKey: z.string(),
    consoleEmail: z.string(),
    consolePassword: z.string(),
    serverVersion: z.string().nullable(),
    counts: z.record(z.string(), z.unknown()),
    workspace: z.object({ id: z.string().nullable().optional(), name: z.string().nullable().optional() }).loose(),
    workflowRuns: z.array(seededRunSchema),
    conversations: z.array(
      z.object({ id: z.string(), user: z.string(), name: z.string().nullable(), createdAt: z.number().nullable(), updatedAt: z.number().nullable(), messageIds: z.array(z.string()) }).loose(),
    ),
    messages: z.array(
      z
        .object({
          id: z.string(),
          conversationId: z.string(),
          user: z.string(),
          query: z.string(),
          answer: z.string().nullable(),
          createdAt: z.number().nullable().optional(),
          feedback: z.object({ rating: z.string(), content: z.string().nullable() }).nullable(),
        })
        .loose(),
    ),
    feedback: z.array(z.object({ messageId: z.string(), conversationId: z.string(), user: z.string(), rating: z.string(), content: z.string().nullable() }).loose()),
  })
  .loose();

export type Seed = z.infer<typeof seedSchema>;
export type SeededRun = z.infer<typeof seededRunSchema>;

export interface LiveDify {
  /** Base URL of the Dify API server, without /v1. */
  url: string;
  /** What seed.py wrote: apps, keys, console account, every run, conversation, message and feedback. */
  seed: Seed;
  seedFile: string;
  /** Settings (as environment variables for loadSettings) for the seeded workflow app: only URL, key, app id, e-mail, password. */
  workflowEnv: Record<string, string>;
  /** The same for the seeded advanced-chat app. */
  chatEnv: Record<string, string>;
  /** The launcher's state folder when the launcher started this Dify (its Redis is reachable then), else undefined. */
  state: string | undefined;
}

function envFor(seed: Seed, appId: string, apiKey: string): Record<string, string> {
  return {
    DIFY_BASE_URL: seed.url,
    DIFY_API_TOKEN: apiKey,
    DIFY_APP_ID: appId,
    DIFY_CONSOLE_EMAIL: seed.consoleEmail,
    DIFY_CONSOLE_PASSWORD: seed.consolePassword,
  };
}

async function load(): Promise<LiveDify> {
  let seedFile = process.env.DIFY_LIVE_SEED_FILE ?? process.env.DIFY_LIVE_SEED;
  if (!seedFile) {
    if (!process.env.DIFY_LIVE_URL) throw new NoDifyError(HOW_TO_GET_A_DIFY);
    seedFile = await seedDify(process.env.DIFY_LIVE_URL);
  }
  const seed = seedSchema.parse(JSON.parse(await readFile(seedFile, 'utf8')));
  return {
    url: seed.url,
    seed,
    seedFile,
    workflowEnv: envFor(seed, seed.workflowAppId, seed.workflowApiKey),
    chatEnv: envFor(seed, seed.chatAppId, seed.chatApiKey),
    state: process.env.DIFY_LIVE_STATE || undefined,
  };
}

let cached: Promise<LiveDify> | undefined;

/** The seeded real Dify of this test run (loaded once per process). */
export function liveDify(): Promise<LiveDify> {
  cached ??= load();
  return cached;
}
