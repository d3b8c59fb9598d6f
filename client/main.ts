import { Command } from 'commander';
import { registerCheck } from './commands/check';
import { registerCodecServer } from './commands/codec-server';
import { registerDemo } from './commands/demo';
import { registerDev } from './commands/dev';
import { registerNotify } from './commands/notify';
import { registerReport } from './commands/report';
import { registerRerender } from './commands/rerender';
import { registerSchedules } from './commands/schedules';
import { registerSimulate } from './commands/simulate';
import { registerStatus } from './commands/status';
import { registerWorker } from './commands/worker';

/** The `difyscope` CLI: one file per command under commands/; this file only wires them. */
const program = new Command('difyscope').description('Reports on Dify workflow logs, run by Temporal.').showHelpAfterError();
program.configureOutput({ outputError: (text, write) => write(text) });
// Commander's own usage errors (unknown command or option, missing argument) exit 2 like ours.
program.exitOverride((error) => {
  process.exit(error.exitCode === 0 ? 0 : 2);
});

// In the order `difyscope --help` lists them.
for (const register of [registerReport, registerSchedules, registerCheck, registerRerender, registerNotify, registerWorker, registerCodecServer, registerStatus, registerDev, registerSimulate, registerDemo]) register(program);

void program.parseAsync(process.argv);
