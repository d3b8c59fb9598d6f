import type { Command } from 'commander';
import { runSimulator } from '../simulate';
import { print, run } from './run';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Serve a simulated Dify with generated runs of the last days, to try every command without a Dify.')
    .option('--port <port>', 'port to listen on', '5001')
    .option('--days <days>', 'days of runs, ending yesterday', '14')
    .option('--runs-per-day <runs>', 'runs per day', '240')
    .option('--timezone <zone>', 'time zone of the days', process.env.REPORT_TIMEZONE ?? 'Asia/Shanghai')
    .option('--profile <era>', 'Dify era: legacy, tokenpair, cookie, cookie-host, cookie-base64, or 1.14.1 (as recorded from the real server)', 'cookie-base64')
    .action((options: { port: string; days: string; runsPerDay: string; timezone: string; profile: string }) =>
      run(() =>
        runSimulator({ port: Number(options.port), days: Number(options.days), runsPerDay: Number(options.runsPerDay), timezone: options.timezone, profile: options.profile }, print),
      ),
    );
}
