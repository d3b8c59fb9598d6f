import { createHash } from 'node:crypto';
import { USERS_SCHEMA, usersFileSchema, type UsersFile } from '../common/report-files';

/**
 * New vs returning users needs the users of earlier periods. Each report folder keeps a
 * `users.json` of short hashes of its own users (not the ids: the file exists for counting,
 * and a hash adds no new copy of personal data); the next reports read a bounded number of
 * earlier folders. 64 bits make a false "returning" practically impossible.
 */

export const USERS_FILE = 'users.json';

/** How many earlier periods of the same kind count as "seen before". */
export const LOOKBACK_PERIODS = { daily: 30, weekly: 12, range: 4 } as const;

export function userKey(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex').slice(0, 16);
}

export function usersFileContent(userIds: Iterable<string>, window: UsersFile['window']): string {
  const users = [...new Set([...userIds].filter((id) => id !== '').map(userKey))].sort();
  const file: UsersFile = { schema: USERS_SCHEMA, window, users };
  return `${JSON.stringify(file)}\n`;
}

/** The user keys of a users.json, or null when it is not one (older or foreign file). */
export function parseUsersFile(content: string): string[] | null {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return null;
  }
  const parsed = usersFileSchema.safeParse(json);
  return parsed.success ? parsed.data.users : null;
}
