import { Client, Connection } from '@temporalio/client';
import type { Settings } from '../config/load';
import { connectWith } from '../config/temporal';
import { dataConverterFor } from '../worker/data-converter';

const CONNECT_TIMEOUT = '4s';

/** The one way every command reaches Temporal, so they all share options and data converter. */
export async function connectClient(settings: Settings, address?: string): Promise<Client> {
  // Before connecting: a bad DIFYSCOPE_ENCRYPTION_KEY is a usage error, not a connection failure.
  const dataConverter = dataConverterFor(settings);
  // A few seconds, not the SDK's ten: an unreachable server is usually a missing `difyscope dev`.
  const connection = await connectWith(settings.temporal.connection, address, (options) => Connection.connect({ ...options, connectTimeout: CONNECT_TIMEOUT }));
  return new Client({ connection, namespace: settings.temporal.namespace, dataConverter });
}
