import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { loadSettings, type Settings } from '../config/load';

/** Settings from the environment, with `.env` from the working directory filling the gaps. */
export function settingsFromEnvironment(overrides: NodeJS.ProcessEnv = {}): Settings {
  loadDotenv({ path: path.resolve(process.cwd(), '.env'), quiet: true });
  return loadSettings({ ...process.env, ...overrides });
}
