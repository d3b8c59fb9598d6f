import type { Command } from 'commander';
import { ConfigError } from '../../config/load';
import { runChecks } from '../check';
import { configurationProblems } from '../check-config';
import { settingsFromEnvironment } from '../settings';
import { print, run } from './run';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Validate the configuration and try every connection, one line per check.')
    .action(() =>
      run(async () => {
        let settings;
        try {
          settings = settingsFromEnvironment();
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
        }
        // Everything the worker would refuse, in one pass, before any connection is tried.
        const problems = configurationProblems(process.env);
        if (settings === undefined || problems.length > 0) {
          for (const line of problems) print(`✗ Configuration: ${line}`);
          process.exitCode = 2;
          return;
        }
        const results = await runChecks(settings);
        for (const result of results) print(`${result.ok ? '✓' : '✗'} ${result.name}: ${result.detail}`);
        if (results.some((result) => !result.ok)) process.exitCode = results.some((result) => !result.ok && result.badInput) ? 2 : 1;
      }),
    );
}
