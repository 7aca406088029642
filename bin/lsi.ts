/**
 * The `lsi` command.
 */

import { ProjectConfigError } from '../lambdas/core/project.ts';
import { UsageError } from './commands/common.ts';
import { LINK_HELP, linkCommand } from './commands/link.ts';

const HELP = `lsi — de datakant van een LSI-project

Commando's:
  lsi link     koppel de signalen van alle ketenpartners (op deze machine)

Meer over een commando: lsi <commando> --help

${LINK_HELP}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const err = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        out(HELP);
        return command === undefined ? 2 : 0;
      case 'link':
        await linkCommand(rest, out, err);
        return 0;
      default:
        err(`Onbekend commando: ${command}. Zie: lsi --help`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ProjectConfigError) {
      err(`Fout: ${e.message}`);
      return 1;
    }
    if (
      e instanceof Error &&
      'code' in e &&
      typeof e.code === 'string' &&
      e.code.startsWith('ERR_PARSE_ARGS')
    ) {
      err(`Fout: ${e.message}. Zie: lsi ${command} --help`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
