import type { Command } from 'commander';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { applySchedules, backfillSchedule, describeSchedule, listSchedules, resolveScheduleId } from '../schedules';
import { print, withClient } from './run';

export function registerSchedules(program: Command): void {
  const schedules = program.command('schedules').description('Daily and weekly report schedules, from the configuration.');
  schedules
    .command('apply')
    .description('Create or update the schedules of every configured app (idempotent).')
    .option('--prune', 'delete difyscope schedules of apps no longer configured')
    .action((options: { prune?: boolean }) =>
      withClient(async (client, settings) => {
        for (const result of await applySchedules(client, settings, { prune: options.prune === true })) print(`${result.outcome.padEnd(10)} ${result.id}`);
      }),
    );
  schedules
    .command('list')
    .description('Every difyscope schedule: next run in local time, state, last result.')
    .action(() => withClient(async (client, settings) => (await listSchedules(client, settings)).forEach((line) => print(line))));
  schedules
    .command('describe <appOrId> [kind]')
    .description('One schedule in detail (give difyscope/<app>/<kind>, or the app key and daily|weekly).')
    .action((appOrId: string, kind: string | undefined) =>
      withClient(async (client, settings) => (await describeSchedule(client, resolveScheduleId(settings, appOrId, kind))).forEach((line) => print(line))),
    );
  for (const [name, verb] of [
    ['pause', 'Pause'],
    ['resume', 'Resume'],
  ] as const) {
    schedules
      .command(`${name} <appOrId> [kind]`)
      .description(`${verb} a schedule, with a note that the Web UI shows.`)
      .option('--note <text>', 'why')
      .action((appOrId: string, kind: string | undefined, options: { note?: string }) =>
        withClient(async (client, settings) => {
          const id = resolveScheduleId(settings, appOrId, kind);
          const handle = client.schedule.getHandle(id);
          if (name === 'pause') await handle.pause(options.note ?? 'paused with difyscope schedules pause');
          else await handle.unpause(options.note ?? 'resumed with difyscope schedules resume');
          print(`${name === 'pause' ? 'paused' : 'resumed'} ${id}`);
        }),
      );
  }
  schedules
    .command('trigger <appOrId> [kind]')
    .description('Run a schedule now (reports the period before now; waits behind a running one).')
    .action((appOrId: string, kind: string | undefined) =>
      withClient(async (client, settings) => {
        const id = resolveScheduleId(settings, appOrId, kind);
        // The SDK's default would allow overlap; a trigger queues behind a running report like any scheduled run.
        await client.schedule.getHandle(id).trigger(ScheduleOverlapPolicy.BUFFER_ALL);
        print(`triggered ${id}`);
      }),
    );
  schedules
    .command('backfill <appOrId> [kind]')
    .description('Report every period covering the local dates --from..--to (inclusive), each once, queued in order.')
    .requiredOption('--from <date>', 'first date (YYYY-MM-DD)')
    .requiredOption('--to <date>', 'last date (YYYY-MM-DD)')
    .action((appOrId: string, kind: string | undefined, options: { from: string; to: string }) =>
      withClient(async (client, settings) => {
        const id = resolveScheduleId(settings, appOrId, kind);
        const range = await backfillSchedule(client, id, options.from, options.to);
        print(`backfilling ${id}: scheduled times ${range.start.toISOString()} → ${range.end.toISOString()}`);
      }),
    );
  schedules
    .command('delete <appOrId> [kind]')
    .description('Delete a schedule (running reports are not affected).')
    .action((appOrId: string, kind: string | undefined) =>
      withClient(async (client, settings) => {
        const id = resolveScheduleId(settings, appOrId, kind);
        await client.schedule.getHandle(id).delete();
        print(`deleted ${id}`);
      }),
    );
}
