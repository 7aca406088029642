/**
 * Security property 1 (ARCHITECTURE.md): partner A's credentials cannot read, list or write partner
 * B's prefix, nor use B's key; partners cannot read the results; the lead cannot read raw uploads;
 * only the teardown can destroy keys. Evaluated with @cloud-copilot/iam-simulate on the policies of
 * the synthesised templates (identity + bucket + key + table policies together).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CfnWorld, isObject, type Json, toJson } from './support/cfn-world.ts';
import { IamModel } from './support/iam-model.ts';
import {
  assumeRoleCells,
  type Cell,
  functionCells,
  keyDestructionCells,
  leadCells,
  ok,
  PAIR_ACTIONS,
  partnerPairs,
  partnersOnResults,
  render,
  supervisorCells,
} from './support/matrix.ts';
import { exampleProject, exampleWithSupervisor, type Synthesised, synth } from './support/synth.ts';

const failures = (cells: readonly Cell[]) =>
  cells
    .filter((c) => !ok(c))
    .map((c) => `${c.group} | ${c.who} | ${c.what}: expected ${c.expected}, got ${c.actual}`);

describe('IAM isolation matrix of the shipped example project', () => {
  let s: Synthesised;
  let model: IamModel;
  let partnerIds: string[];
  let pairs: Cell[];
  let lists: Cell[];

  beforeAll(async () => {
    s = synth(exampleProject());
    model = new IamModel(s.world, s.projectStack.stackName, s.closerStack.stackName);
    partnerIds = s.project.partners.map((p) => p.id);
    pairs = await partnerPairs(model, partnerIds);
    lists = [
      ...(await partnersOnResults(model, partnerIds)),
      ...(await leadCells(model, partnerIds)),
      ...(await functionCells(model, partnerIds)),
      ...(await keyDestructionCells(model, partnerIds)),
      ...(await assumeRoleCells(
        model,
        s.project.deployment?.partnerPrincipals ?? {},
        s.project.deployment?.leadPrincipals ?? [],
      )),
    ];
    console.log(render(pairs, partnerIds, lists));
    console.log(
      `\n${pairs.length + lists.length} cells evaluated, ${failures([...pairs, ...lists]).length} differ from the design.`,
    );
  });

  it('covers every ordered pair of partners (A ≠ B and A = B) for every request', () => {
    expect(pairs).toHaveLength(PAIR_ACTIONS.length * partnerIds.length * partnerIds.length);
  });

  it("denies partner A everything on partner B's prefix and key, for every A ≠ B", () => {
    const cross = pairs.filter((c) => c.who !== `partner:${c.what}`);
    expect(cross.length).toBe(PAIR_ACTIONS.length * partnerIds.length * (partnerIds.length - 1));
    expect(cross.every((c) => c.expected === 'deny')).toBe(true);
    expect(failures(cross)).toEqual([]);
  });

  it('allows a partner exactly what the design intends on its own prefix and key', () => {
    const own = pairs.filter((c) => c.who === `partner:${c.what}`);
    expect(own.filter((c) => c.actual === 'Allowed').length).toBeGreaterThan(0);
    expect(failures(own)).toEqual([]);
  });

  it('denies partners the results table, results/, work/, the results key and listing beyond their prefix', () => {
    expect(failures(lists.filter((c) => c.group === 'partners on results and the whole bucket'))).toEqual([]);
  });

  it('lets the lead read results and record decisions, never raw uploads or partner keys', () => {
    expect(failures(lists.filter((c) => c.group === 'lead'))).toEqual([]);
  });

  it('lets only the functions that read uploads use a partner key', () => {
    expect(failures(lists.filter((c) => c.group === 'functions'))).toEqual([]);
  });

  it('lets only the teardown role disable keys or schedule their deletion, even against an account admin', () => {
    const destruction = lists.filter((c) => c.group === 'key destruction');
    expect(destruction.some((c) => c.who === 'account-admin')).toBe(true);
    expect(failures(destruction)).toEqual([]);
  });

  it("lets a partner's principals assume only that partner's upload role, and the lead's only the lead role", () => {
    const assume = lists.filter((c) => c.group === 'assume role');
    expect(assume.length).toBe((partnerIds.length + 1 + 2) * (partnerIds.length + 1));
    expect(failures(assume)).toEqual([]);
  });

  it('lets the teardown empty and delete the buckets and tables, without reading data', () => {
    expect(failures(lists.filter((c) => c.group === 'teardown'))).toEqual([]);
  });

  it('rejects a request a client could not make: every cell holds an evaluated decision', () => {
    for (const c of [...pairs, ...lists])
      expect(['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied']).toContain(c.actual);
  });
});

describe('IAM isolation with a supervisor configured', () => {
  it('lets the supervisor read the audit log and nothing else, and never destroy keys', async () => {
    const s = synth(exampleWithSupervisor());
    const model = new IamModel(s.world, s.projectStack.stackName, s.closerStack.stackName);
    const partnerIds = s.project.partners.map((p) => p.id);
    const cells = [
      ...(await supervisorCells(model, partnerIds)),
      ...(await keyDestructionCells(model, partnerIds, [model.supervisorRole])).filter(
        (c) => c.who === 'supervisor',
      ),
    ];
    console.log(render([], [], cells));
    expect(cells.length).toBeGreaterThan(10);
    expect(failures(cells)).toEqual([]);
  });
});

/** Returns a copy of the world with one resource's property changed. */
function mutate(
  s: Synthesised,
  stack: string,
  pathSuffix: string,
  change: (properties: Record<string, Json>) => void,
): CfnWorld {
  const templates: Record<string, Json> = {};
  for (const name of s.world.stackNames)
    templates[name] = toJson(JSON.parse(JSON.stringify(s.world.template(name))));
  const template = templates[stack];
  if (!isObject(template) || !isObject(template.Resources)) throw new Error('bad template');
  const hit = Object.values(template.Resources).filter(
    (r) => isObject(r) && isObject(r.Metadata) && String(r.Metadata['aws:cdk:path']).endsWith(pathSuffix),
  );
  const [resource] = hit;
  if (hit.length !== 1 || !isObject(resource) || !isObject(resource.Properties)) {
    throw new Error(`no single resource at ${pathSuffix}`);
  }
  change(resource.Properties);
  return new CfnWorld(templates, { account: s.world.account, region: s.world.region });
}

describe('the matrix detects a broken policy', () => {
  let s: Synthesised;
  beforeAll(() => {
    s = synth(exampleProject());
  });

  it("flags a partner upload policy widened to every partner's reports", async () => {
    const world = mutate(s, s.projectStack.stackName, '/UploadPolicy-gemeente/Resource', (props) => {
      const doc = props.PolicyDocument;
      if (!isObject(doc) || !Array.isArray(doc.Statement)) throw new Error('bad policy');
      for (const st of doc.Statement) {
        if (isObject(st) && st.Action === 's3:GetObject') {
          st.Resource = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketLogicalId(s), 'Arn'] }, '/partners/*']] };
        }
      }
    });
    const broken = new IamModel(world, s.projectStack.stackName, s.closerStack.stackName);
    const cells = await partnerPairs(broken, ['gemeente', 'uwv']);
    const bad = failures(cells);
    console.log(`mutated upload policy → ${bad.length} cell(s) flagged:\n  ${bad.join('\n  ')}`);
    expect(bad).toContain(
      's3:GetObject partners/B/reports/* | partner:gemeente | uwv: expected deny, got Allowed',
    );
  });

  it("flags CDK's default key policy (account root may do kms:*)", async () => {
    const world = mutate(s, s.projectStack.stackName, '/PartnerKey-uwv/Key/Resource', (props) => {
      props.KeyPolicy = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${s.world.account}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      };
    });
    const broken = new IamModel(world, s.projectStack.stackName, s.closerStack.stackName);
    const bad = failures(await keyDestructionCells(broken, ['gemeente', 'uwv']));
    console.log(`default key policy on uwv's key → ${bad.length} cell(s) flagged:\n  ${bad.join('\n  ')}`);
    expect(bad).toContain(
      'key destruction | account-admin | kms:ScheduleKeyDeletion key:uwv: expected deny, got Allowed',
    );
    expect(bad.every((b) => b.includes('key:uwv'))).toBe(true);
  });

  it('still holds with either guard alone: the explicit Deny and the NotAction admin statement', async () => {
    const withoutDeny = mutate(s, s.projectStack.stackName, '/PartnerKey-uwv/Key/Resource', (props) => {
      const doc = props.KeyPolicy;
      if (!isObject(doc) || !Array.isArray(doc.Statement)) throw new Error('bad key policy');
      doc.Statement = doc.Statement.filter((st) => !(isObject(st) && st.Sid === 'OnlyTeardownDestroys'));
    });
    const withAdminStar = mutate(s, s.projectStack.stackName, '/PartnerKey-uwv/Key/Resource', (props) => {
      const doc = props.KeyPolicy;
      if (!isObject(doc) || !Array.isArray(doc.Statement)) throw new Error('bad key policy');
      for (const st of doc.Statement) {
        if (isObject(st) && st.Sid === 'AccountAdministration') {
          delete st.NotAction;
          st.Action = 'kms:*';
        }
      }
    });
    for (const world of [withoutDeny, withAdminStar]) {
      const m = new IamModel(world, s.projectStack.stackName, s.closerStack.stackName);
      expect(failures(await keyDestructionCells(m, ['uwv']))).toEqual([]);
    }
  });

  it('flags a bucket policy that no longer pins a prefix to its partner key', async () => {
    const world = mutate(s, s.projectStack.stackName, '/DropZone/Bucket/Policy/Resource', (props) => {
      const doc = props.PolicyDocument;
      if (!isObject(doc) || !Array.isArray(doc.Statement)) throw new Error('bad bucket policy');
      doc.Statement = doc.Statement.filter((st) => !(isObject(st) && st.Sid === 'RequirePartnerKeyGemeente'));
    });
    const broken = new IamModel(world, s.projectStack.stackName, s.closerStack.stackName);
    const gemeente = broken.partnerRole('gemeente');
    expect(
      await broken.putObject(gemeente, 'partners/gemeente/uploads/a.csv', broken.partnerKey('uwv')),
      'identity policy still pins the key',
    ).toBe('ImplicitlyDenied');
    // A principal with broad S3 rights (an admin) could now write gemeente's prefix with another key.
    expect(
      await broken.putObject(broken.accountAdmin, 'partners/gemeente/uploads/a.csv', broken.resultsKey),
    ).toBe('Allowed');
    expect(
      await model(s).putObject(model(s).accountAdmin, 'partners/gemeente/uploads/a.csv', model(s).resultsKey),
    ).toBe('ExplicitlyDenied');
  });
});

function model(s: Synthesised): IamModel {
  return new IamModel(s.world, s.projectStack.stackName, s.closerStack.stackName);
}

function bucketLogicalId(s: Synthesised): string {
  return s.world.byPath(s.projectStack.stackName, 'AWS::S3::Bucket', '/DropZone/Bucket/Resource').logicalId;
}
