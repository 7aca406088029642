/**
 * The `lsi` command. Each command's module is loaded only when that command runs, so `lsi link`
 * starts without loading the AWS SDK or the CDK.
 */
import { LINK_HELP, linkCommand } from './commands/link.ts';

type Out = (line: string) => void;

/** Errors that are the user's to fix: printed as they are, without a stack trace (exit code 1). */
const USER_ERRORS = new Set([
  'UsageError',
  'CasustafelError',
  'ProjectConfigError',
  'DeploymentConfigError',
  'TargetError',
  'PartnerRequestError',
  'PortInUseError',
  'DataDirInUseError',
  'ControlPortInUse',
  'NothingToLink',
  'UnknownPartner',
]);

async function help(): Promise<string> {
  const [{ PIPELINE_HELP }, { LEAD_HELP }, { CLOSE_HELP }] = await Promise.all([
    import('./commands/pipeline.ts'),
    import('./commands/lead.ts'),
    import('./commands/close.ts'),
  ]);
  return `lsi — de datakant van een LSI-project

Commando's:
  lsi link     koppel signaalbestanden in een map (alleen de kern, zonder opslag)
  lsi demo     een heel project lokaal: uploaden, valideren, koppelen, casustafel

${PIPELINE_HELP}

${LEAD_HELP}

${CLOSE_HELP}

Meer over een commando: lsi <commando> --help

${LINK_HELP}`;
}

async function run(command: string | undefined, rest: string[], out: Out, err: Out): Promise<number> {
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      out(await help());
      return command === undefined ? 2 : 0;
    case 'link':
      await linkCommand(rest, out, err);
      return 0;
    case 'demo':
      await (await import('./commands/pipeline.ts')).demo(rest, out, err);
      return 0;
    case 'local':
      if (rest[0] !== 'up') {
        err('Bedoelt u: lsi local up --project <project.json>');
        return 2;
      }
      await (await import('./commands/pipeline.ts')).localUp(rest.slice(1), out, err);
      return 0;
    case 'upload':
      await (await import('./commands/pipeline.ts')).upload(rest, out);
      return 0;
    case 'upload-url':
      await (await import('./commands/pipeline.ts')).uploadUrl(rest, out, err);
      return 0;
    case 'complete':
      await (await import('./commands/pipeline.ts')).complete(rest, out);
      return 0;
    case 'status':
      await (await import('./commands/pipeline.ts')).status(rest, out);
      return 0;
    case 'start':
      await (await import('./commands/pipeline.ts')).start(rest, out);
      return 0;
    case 'results':
      await (await import('./commands/lead.ts')).leadResults(rest, out);
      return 0;
    case 'select':
      await (await import('./commands/lead.ts')).select(rest, out);
      return 0;
    case 'decide':
      await (await import('./commands/lead.ts')).decideCommand(rest, out);
      return 0;
    case 'outcome':
      await (await import('./commands/lead.ts')).outcomeCommand(rest, out);
      return 0;
    case 'round':
      await (await import('./commands/lead.ts')).roundCommand(rest, out);
      return 0;
    case 'report':
      await (await import('./commands/lead.ts')).reportCommand(rest, out);
      return 0;
    case 'audit':
      await (await import('./commands/lead.ts')).auditCommand(rest, out);
      return 0;
    case 'close':
      return await (await import('./commands/close.ts')).closeCommand(rest, out, err);
    default:
      err(`Onbekend commando: ${command}. Zie: lsi --help`);
      return 2;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out: Out = (line) => {
    process.stdout.write(`${line}\n`);
  };
  const err: Out = (line) => {
    process.stderr.write(`${line}\n`);
  };
  try {
    return await run(command, rest, out, err);
  } catch (e) {
    if (e instanceof Error && USER_ERRORS.has(e.name)) {
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
