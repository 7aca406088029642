/**
 * The `lsi` command.
 */

import { CasustafelError } from '../lambdas/core/casustafel.ts';
import { ProjectConfigError } from '../lambdas/core/project.ts';
import { TargetError } from '../lib/client/target.ts';
import { PartnerRequestError } from '../lib/client/upload.ts';
import { CLOSE_HELP, closeCommand } from './commands/close.ts';
import { UsageError } from './commands/common.ts';
import {
  auditCommand,
  decideCommand,
  LEAD_HELP,
  leadResults,
  outcomeCommand,
  reportCommand,
  roundCommand,
  select,
} from './commands/lead.ts';
import { LINK_HELP, linkCommand } from './commands/link.ts';
import {
  complete,
  demo,
  localUp,
  PIPELINE_HELP,
  start,
  status,
  upload,
  uploadUrl,
} from './commands/pipeline.ts';

const HELP = `lsi — de datakant van een LSI-project

Commando's:
  lsi link     koppel signaalbestanden in een map (alleen de kern, zonder opslag)
  lsi demo     een heel project lokaal: uploaden, valideren, koppelen, casustafel

${PIPELINE_HELP}

${LEAD_HELP}

${CLOSE_HELP}

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
      case 'demo':
        await demo(rest, out, err);
        return 0;
      case 'local':
        if (rest[0] !== 'up') {
          err('Bedoelt u: lsi local up --project <project.json>');
          return 2;
        }
        await localUp(rest.slice(1), out, err);
        return 0;
      case 'upload':
        await upload(rest, out);
        return 0;
      case 'upload-url':
        await uploadUrl(rest, out, err);
        return 0;
      case 'complete':
        await complete(rest, out);
        return 0;
      case 'status':
        await status(rest, out);
        return 0;
      case 'start':
        await start(rest, out);
        return 0;
      case 'results':
        await leadResults(rest, out);
        return 0;
      case 'select':
        await select(rest, out);
        return 0;
      case 'decide':
        await decideCommand(rest, out);
        return 0;
      case 'outcome':
        await outcomeCommand(rest, out);
        return 0;
      case 'round':
        await roundCommand(rest, out);
        return 0;
      case 'report':
        await reportCommand(rest, out);
        return 0;
      case 'audit':
        await auditCommand(rest, out);
        return 0;
      case 'close':
        return await closeCommand(rest, out, err);
      default:
        err(`Onbekend commando: ${command}. Zie: lsi --help`);
        return 2;
    }
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof CasustafelError ||
      e instanceof ProjectConfigError ||
      e instanceof TargetError ||
      e instanceof PartnerRequestError ||
      (e instanceof Error &&
        /^(PortInUseError|DataDirInUseError|ControlPortInUse|NothingToLink)$/.test(e.name))
    ) {
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
