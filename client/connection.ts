import { Client, Connection } from '@temporalio/client';
import type { Settings } from '../config/load';
import { connectWith } from '../config/temporal';
import { dataConverterFor } from '../worker/data-converter';

/** The one way every command reaches Temporal, so they all share options and data converter. */
export async function connectClient(settings: Settings, address?: string): Promise<Client> {
  // Before connecting: a bad DIFYSCOPE_ENCRYPTION_KEY is a usage error, not a connection failure.
  const dataConverter = dataConverterFor(settings);
  const connection = await connectWith(settings.temporal.connection, address, (options) => Connection.connect(options));
  return new Client({ connection, namespace: settings.temporal.namespace, dataConverter });
}
