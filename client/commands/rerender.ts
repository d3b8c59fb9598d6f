import type { Command } from 'commander';
import { rerenderReport } from '../rerender';
import { settingsFromEnvironment } from '../settings';
import { print, run } from './run';

export function registerRerender(program: Command): void {
  program
    .command('rerender')
    .argument('<folder>', 'a report folder under OUTPUT_DIR, e.g. outputs/support/daily/2025-03-09')
    .description('Render a report again from the raw records in its folder (another locale or formats, or after an upgrade); asks neither Dify nor Temporal.')
    .option('--locale <locale>', 'en or zh-CN (default: the app\'s REPORT_LOCALE)')
    .option('--formats <list>', 'comma list of csv,md,json,html (default: the app\'s REPORT_FORMATS)')
    .action((folder: string, options: { locale?: string; formats?: string }) =>
      run(async () => {
        const summary = await rerenderReport(settingsFromEnvironment(), folder, options);
        print(`Re-rendered ${summary.folder}: ${summary.files.join(', ')}`);
        print(summary.completeness.line);
      }),
    );
}
