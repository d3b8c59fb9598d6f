import type { Client, Connection } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { REPORT_ATTRIBUTES } from '../workflows/search-attributes';

/**
 * The custom search attributes of report workflows (workflows/search-attributes.ts): added
 * by `dev` and `demo` on their own dev server through the operator API; looked up before
 * use, so a cluster where they are not registered gets reports without them rather than
 * failed starts.
 */

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = REPORT_ATTRIBUTES.filter((key) => existing.customAttributes?.[key.name] === undefined);
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((key) => [key.name, KEYWORD])) });
}

const known = new WeakMap<object, Promise<ReadonlySet<string>>>();

/** Which of them are registered in the client's namespace (asked once per connection). */
export function registeredReportAttributes(client: Client): Promise<ReadonlySet<string>> {
  const connection = client.connection;
  let answer = known.get(connection);
  if (!answer) {
    answer = connection.operatorService
      .listSearchAttributes({ namespace: client.options.namespace })
      .then((found) => new Set(REPORT_ATTRIBUTES.map((key) => key.name).filter((name) => found.customAttributes?.[name] !== undefined)))
      // A namespace the client may not list (restricted API key): do without.
      .catch(() => new Set<string>());
    known.set(connection, answer);
  }
  return answer;
}

/**
 * The attributes of a report that are registered. App, kind and period go together (the
 * workflows pass them on when the app is there); the summary is added where it is registered
 * too, so a cluster that registered only the first three keeps them.
 */
export async function reportAttributes(client: Client, values: { app: string; kind: string; period?: string; summary?: string }): Promise<SearchAttributePair[]> {
  const registered = await registeredReportAttributes(client);
  const [app, kind, period, summary] = REPORT_ATTRIBUTES;
  if (![app, kind, period].every((key) => registered.has(key.name))) return [];
  return [
    { key: app, value: values.app },
    { key: kind, value: values.kind },
    ...(values.period === undefined ? [] : [{ key: period, value: values.period }]),
    ...(values.summary === undefined || !registered.has(summary.name) ? [] : [{ key: summary, value: values.summary }]),
  ];
}
