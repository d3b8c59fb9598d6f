import type { Command } from 'commander';
import { sendTestMessages } from '../../activities/notify';
import { UsageError } from '../errors';
import { settingsFromEnvironment } from '../settings';
import { print, run } from './run';

export function registerNotify(program: Command): void {
  program
    .command('notify')
    .description('Notification channels.')
    .option('--test', 'send a test message to each configured channel')
    .action((options: { test?: boolean }) =>
      run(async () => {
        if (!options.test) throw new UsageError('notify: nothing to do; use --test to send a test message to each configured channel');
        const results = await sendTestMessages(settingsFromEnvironment());
        if (results.length === 0) throw new UsageError('NOTIFY_CHANNELS: no channel is configured; set SMTP_*, DINGTALK_WEBHOOK or WEBHOOK_URL');
        for (const result of results) print(`${result.ok ? '✓' : '✗'} ${result.channel.padEnd(8)} ${result.detail}`);
        if (results.some((result) => !result.ok)) process.exitCode = 1;
      }),
    );
}
