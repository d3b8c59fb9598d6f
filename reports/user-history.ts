import { createHash } from 'node:crypto';

/**
 * New vs returning users needs the users of earlier periods. Each report folder keeps a
 * `users.json` of short hashes of its own users (not the ids: the file exists for counting,
 * and a hash adds no new copy of personal data); the next reports read a bounded number of
 * earlier folders. 64 bits make a false "returning" practically impossible.
 */

export const USERS_FILE = 'users.json';
export const USERS_SCHEMA = 'difyscope.users/1';

/** How many earlier periods of the same kind count as "seen before". */
export const LOOKBACK_PERIODS = { daily: 30, weekly: 12, range: 4 } as const;

export function userKey(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex').slice(0, 16);
}

export interface UsersFile {
  schema: typeof USERS_SCHEMA;
  window: { from: string; to: string; label: string };
  users: string[];
}

export function usersFileContent(userIds: Iterable<string>, window: UsersFile['window']): string {
  const users = [...new Set([...userIds].filter((id) => id !== '').map(userKey))].sort();
  const file: UsersFile = { schema: USERS_SCHEMA, window, users };
  return `${JSON.stringify(file)}\n`;
}

/** The user keys of a users.json, or null when it is not one (older or foreign file). */
export function parseUsersFile(content: string): string[] | null {
  try {
    const parsed = JSON.parse(content) as Partial<UsersFile>;
    if (parsed.schema !== USERS_SCHEMA || !Array.isArray(parsed.users)) return null;
    return parsed.users.filter((key): key is string => typeof key === 'string');
  } catch {
    return null;
  }
}
