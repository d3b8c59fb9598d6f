import { Client, Connection } from '@temporalio/client';
import type { Settings } from '../config/load';

/** The one way every command reaches Temporal, so they all share options and data converter. */
export async function connectClient(settings: Settings, address?: string): Promise<Client> {
  const connection = await Connection.connect({ address: address ?? settings.temporal.address ?? 'localhost:7233' });
  return new Client({ connection, namespace: settings.temporal.namespace });
}
