/**
 * The IAM isolation matrix: every request that decides "who can touch what", with what the design
 * intends, evaluated on the synthesised policies. Each cell is asserted by the tests.
 */
import type { Decision, IamModel, KmsKey, Principal } from './iam-model.ts';

export type Expect = 'allow' | 'deny';

export interface Cell {
  /** Which block of the printed matrix the cell belongs to. */
  readonly group: string;
  /** Row: who acts. */
  readonly who: string;
  /** Column: what is attempted, on what. */
  readonly what: string;
  readonly expected: Expect;
  readonly actual: Decision;
}

export function ok(cell: Cell): boolean {
  return (cell.actual === 'Allowed') === (cell.expected === 'allow');
}

type Probe = (model: IamModel, who: Principal, target: string) => Promise<Decision>;

interface PairAction {
  readonly label: string;
  /** What the design intends when a partner does this on its own prefix/key. */
  readonly own: Expect;
  readonly probe: Probe;
}

/** Requests a partner A makes against partner B's prefix and key (B = A on the diagonal). */
export const PAIR_ACTIONS: readonly PairAction[] = [
  {
    label: 's3:GetObject partners/B/reports/*',
    own: 'allow',
    probe: (m, who, b) => m.s3(who, 's3:GetObject', `partners/${b}/reports/report.json`),
  },
  {
    label: 's3:GetObject partners/B/uploads/*',
    own: 'deny',
    probe: (m, who, b) => m.s3(who, 's3:GetObject', `partners/${b}/uploads/0f3c.csv`),
  },
  {
    label: "s3:PutObject partners/B/uploads/* with B's key",
    own: 'allow',
    probe: (m, who, b) => m.putObject(who, `partners/${b}/uploads/0f3c.csv`, m.partnerKey(b)),
  },
  {
    label: "s3:PutObject partners/B/uploads/* with A's own key",
    own: 'allow',
    probe: (m, who, b) => m.putObject(who, `partners/${b}/uploads/0f3c.csv`, m.partnerKey(partnerOf(who))),
  },
  {
    label: 's3:PutObject partners/B/uploads/* without SSE-KMS',
    own: 'deny',
    probe: (m, who, b) => m.putObject(who, `partners/${b}/uploads/0f3c.csv`, undefined),
  },
  {
    label: "s3:PutObject partners/B/reports/* with B's key",
    own: 'deny',
    probe: (m, who, b) => m.putObject(who, `partners/${b}/reports/report.json`, m.partnerKey(b)),
  },
  {
    label: 's3:ListBucket s3:prefix=partners/B/',
    own: 'allow',
    probe: (m, who, b) => m.s3(who, 's3:ListBucket', { prefix: `partners/${b}/` }),
  },
  {
    label: "kms:Decrypt B's key via S3",
    own: 'allow',
    probe: (m, who, b) => m.kms(who, 'kms:Decrypt', m.partnerKey(b), 's3'),
  },
  {
    label: "kms:GenerateDataKey B's key via S3",
    own: 'allow',
    probe: (m, who, b) => m.kms(who, 'kms:GenerateDataKey', m.partnerKey(b), 's3'),
  },
  {
    label: "kms:Decrypt B's key directly (not via S3)",
    own: 'deny',
    probe: (m, who, b) => m.kms(who, 'kms:Decrypt', m.partnerKey(b)),
  },
];

function partnerOf(who: Principal): string {
  const id = who.label.replace(/^partner:/, '');
  if (id === who.label) throw new Error(`${who.label} is not a partner`);
  return id;
}

async function cell(
  group: string,
  who: Principal,
  what: string,
  expected: Expect,
  run: () => Promise<Decision>,
): Promise<Cell> {
  return { group, who: who.label, what, expected, actual: await run() };
}

/** Partner × partner, for every request in PAIR_ACTIONS. */
export async function partnerPairs(m: IamModel, partnerIds: readonly string[]): Promise<Cell[]> {
  const cells: Promise<Cell>[] = [];
  for (const action of PAIR_ACTIONS) {
    for (const a of partnerIds) {
      const who = m.partnerRole(a);
      for (const b of partnerIds) {
        cells.push(cell(action.label, who, b, a === b ? action.own : 'deny', () => action.probe(m, who, b)));
      }
    }
  }
  return Promise.all(cells);
}

/** Partners reach no results, no work data, no results key. */
export async function partnersOnResults(m: IamModel, partnerIds: readonly string[]): Promise<Cell[]> {
  const results = m.table('Results');
  const g = 'partners on results and the whole bucket';
  const cells: Promise<Cell>[] = [];
  for (const id of partnerIds) {
    const who = m.partnerRole(id);
    const probes: [string, () => Promise<Decision>][] = [
      ['dynamodb:GetItem results', () => m.dynamodb(who, 'dynamodb:GetItem', results)],
      ['dynamodb:Query results', () => m.dynamodb(who, 'dynamodb:Query', results)],
      [
        'dynamodb:Query results/index/gsi2',
        () => m.dynamodb(who, 'dynamodb:Query', results, { index: 'gsi2' }),
      ],
      ['dynamodb:Scan results', () => m.dynamodb(who, 'dynamodb:Scan', results)],
      ['s3:GetObject results/overview.json', () => m.s3(who, 's3:GetObject', 'results/r1/overview.json')],
      ['s3:GetObject work/*', () => m.s3(who, 's3:GetObject', `work/r1/${id}.json`)],
      ['s3:ListBucket s3:prefix=results/', () => m.s3(who, 's3:ListBucket', { prefix: 'results/' })],
      [
        's3:ListBucket s3:prefix=partners/ (all partners)',
        () => m.s3(who, 's3:ListBucket', { prefix: 'partners/' }),
      ],
      [
        's3:ListBucket without a prefix (whole bucket)',
        () => m.simulate(who, 's3:ListBucket', m.bucketArn, m.bucketPolicy, { 's3:TlsVersion': '1.3' }),
      ],
      ['kms:Decrypt results key via S3', () => m.kms(who, 'kms:Decrypt', m.resultsKey, 's3')],
      ['kms:Decrypt results key via DynamoDB', () => m.kms(who, 'kms:Decrypt', m.resultsKey, 'dynamodb')],
    ];
    for (const [what, run] of probes) cells.push(cell(g, who, what, 'deny', run));
  }
  return Promise.all(cells);
}

/** The lead: results yes, raw uploads and partner keys no. */
export async function leadCells(m: IamModel, partnerIds: readonly string[]): Promise<Cell[]> {
  const who = m.leadRole;
  const results = m.table('Results');
  const audit = m.table('Audit');
  const status = m.table('DeliveryStatus');
  const g = 'lead';
  const probes: [string, Expect, () => Promise<Decision>][] = [
    [
      's3:GetObject results/overview.json',
      'allow',
      () => m.s3(who, 's3:GetObject', 'results/r1/overview.json'),
    ],
    ['s3:ListBucket s3:prefix=results/', 'allow', () => m.s3(who, 's3:ListBucket', { prefix: 'results/' })],
    ['kms:Decrypt results key via S3', 'allow', () => m.kms(who, 'kms:Decrypt', m.resultsKey, 's3')],
    ['dynamodb:Query results', 'allow', () => m.dynamodb(who, 'dynamodb:Query', results)],
    [
      'dynamodb:Query results/index/gsi1',
      'allow',
      () => m.dynamodb(who, 'dynamodb:Query', results, { index: 'gsi1' }),
    ],
    [
      'dynamodb:Query results/index/gsi2',
      'allow',
      () => m.dynamodb(who, 'dynamodb:Query', results, { index: 'gsi2' }),
    ],
    ['dynamodb:GetItem results', 'allow', () => m.dynamodb(who, 'dynamodb:GetItem', results)],
    [
      'dynamodb:PutItem results pk=DECISION#…',
      'allow',
      () => m.dynamodb(who, 'dynamodb:PutItem', results, { leadingKeys: ['DECISION#r1'] }),
    ],
    [
      'dynamodb:UpdateItem results pk=DECISION#…',
      'allow',
      () => m.dynamodb(who, 'dynamodb:UpdateItem', results, { leadingKeys: ['DECISION#r1'] }),
    ],
    [
      'dynamodb:PutItem results pk=ROUND#… (a linkage result)',
      'deny',
      () => m.dynamodb(who, 'dynamodb:PutItem', results, { leadingKeys: ['ROUND#r1'] }),
    ],
    ['dynamodb:DeleteItem results', 'deny', () => m.dynamodb(who, 'dynamodb:DeleteItem', results)],
    ['dynamodb:Query delivery status', 'allow', () => m.dynamodb(who, 'dynamodb:Query', status)],
    ['dynamodb:PutItem audit', 'allow', () => m.dynamodb(who, 'dynamodb:PutItem', audit)],
    ['dynamodb:GetItem audit', 'deny', () => m.dynamodb(who, 'dynamodb:GetItem', audit)],
    ['dynamodb:Query audit', 'deny', () => m.dynamodb(who, 'dynamodb:Query', audit)],
    ['dynamodb:UpdateItem audit', 'deny', () => m.dynamodb(who, 'dynamodb:UpdateItem', audit)],
    ['dynamodb:DeleteItem audit', 'deny', () => m.dynamodb(who, 'dynamodb:DeleteItem', audit)],
    ['dynamodb:DeleteTable results', 'deny', () => m.dynamodb(who, 'dynamodb:DeleteTable', results)],
    ['s3:GetObject work/*', 'deny', () => m.s3(who, 's3:GetObject', 'work/r1/gemeente.json')],
    ['s3:PutObject results/* (results key)', 'deny', () => m.putObject(who, 'results/x.json', m.resultsKey)],
    // staged minimisation (lsi round close): rewrite the overview, delete work files; nothing else
    [
      's3:PutObject results/ronde-0001/overview.json (results key)',
      'allow',
      () => m.putObject(who, 'results/ronde-0001/overview.json', m.resultsKey),
    ],
    [
      's3:PutObject results/ronde-0001/overview.json (no key)',
      'deny',
      () => m.putObject(who, 'results/ronde-0001/overview.json', undefined),
    ],
    [
      's3:PutObject results/ronde-0001/casustafel.csv (results key)',
      'deny',
      () => m.putObject(who, 'results/ronde-0001/casustafel.csv', m.resultsKey),
    ],
    [
      's3:DeleteObjectVersion results/ronde-0001/overview.json',
      'allow',
      () => m.s3(who, 's3:DeleteObjectVersion', 'results/ronde-0001/overview.json'),
    ],
    [
      's3:DeleteObject results/ronde-0001/selected.ndjson',
      'deny',
      () => m.s3(who, 's3:DeleteObject', 'results/ronde-0001/selected.ndjson'),
    ],
    [
      's3:DeleteObject work/ronde-0001/*',
      'allow',
      () => m.s3(who, 's3:DeleteObject', 'work/ronde-0001/gemeente.csv'),
    ],
    [
      's3:DeleteObjectVersion work/ronde-0001/*',
      'allow',
      () => m.s3(who, 's3:DeleteObjectVersion', 'work/ronde-0001/gemeente.csv'),
    ],
    [
      's3:GetObject work/ronde-0001/*',
      'deny',
      () => m.s3(who, 's3:GetObject', 'work/ronde-0001/gemeente.csv'),
    ],
    [
      's3:ListBucketVersions s3:prefix=work/ronde-0001/',
      'allow',
      () => m.s3(who, 's3:ListBucketVersions', { prefix: 'work/ronde-0001/' }),
    ],
    ['s3:ListBucketVersions whole bucket', 'deny', () => m.s3(who, 's3:ListBucketVersions', { prefix: '' })],
    [
      'kms:GenerateDataKey results key via S3',
      'allow',
      () => m.kms(who, 'kms:GenerateDataKey', m.resultsKey, 's3'),
    ],
  ];
  for (const id of partnerIds) {
    probes.push(
      [
        `s3:GetObject partners/${id}/uploads/*`,
        'deny',
        () => m.s3(who, 's3:GetObject', `partners/${id}/uploads/a.csv`),
      ],
      [
        `s3:GetObject partners/${id}/reports/*`,
        'deny',
        () => m.s3(who, 's3:GetObject', `partners/${id}/reports/a.json`),
      ],
      [
        `s3:ListBucket s3:prefix=partners/${id}/`,
        'deny',
        () => m.s3(who, 's3:ListBucket', { prefix: `partners/${id}/` }),
      ],
      [`kms:Decrypt ${id} key via S3`, 'deny', () => m.kms(who, 'kms:Decrypt', m.partnerKey(id), 's3')],
    );
  }
  return Promise.all(probes.map(([what, expected, run]) => cell(g, who, what, expected, run)));
}

/** The supervisor reads the audit log and nothing else of the project's data. */
export async function supervisorCells(m: IamModel, partnerIds: readonly string[]): Promise<Cell[]> {
  const who = m.supervisorRole;
  const audit = m.table('Audit');
  const g = 'supervisor';
  const probes: [string, Expect, () => Promise<Decision>][] = [
    ['dynamodb:Query audit', 'allow', () => m.dynamodb(who, 'dynamodb:Query', audit)],
    ['dynamodb:GetItem audit', 'allow', () => m.dynamodb(who, 'dynamodb:GetItem', audit)],
    ['dynamodb:PutItem audit', 'deny', () => m.dynamodb(who, 'dynamodb:PutItem', audit)],
    ['dynamodb:DeleteItem audit', 'deny', () => m.dynamodb(who, 'dynamodb:DeleteItem', audit)],
    ['dynamodb:GetItem results', 'deny', () => m.dynamodb(who, 'dynamodb:GetItem', m.table('Results'))],
    [
      's3:GetObject results/overview.json',
      'deny',
      () => m.s3(who, 's3:GetObject', 'results/r1/overview.json'),
    ],
  ];
  for (const id of partnerIds) {
    probes.push([
      `s3:GetObject partners/${id}/uploads/*`,
      'deny',
      () => m.s3(who, 's3:GetObject', `partners/${id}/uploads/a.csv`),
    ]);
  }
  return Promise.all(probes.map(([what, expected, run]) => cell(g, who, what, expected, run)));
}

/**
 * The pipeline functions: only upload-received reads a raw upload (and deletes it after keeping a
 * minimised copy); only validate-partner reads the minimised copies; a partner key is usable only there.
 */
export async function functionCells(m: IamModel, partnerIds: readonly string[]): Promise<Cell[]> {
  const g = 'functions';
  const cells: Promise<Cell>[] = [];
  type Access = { raw: Expect; remove: Expect; minimised: Expect; key: Expect };
  const none: Access = { raw: 'deny', remove: 'deny', minimised: 'deny', key: 'deny' };
  const design: Record<string, Access> = {
    UploadReceived: { raw: 'allow', remove: 'allow', minimised: 'deny', key: 'allow' },
    ValidatePartner: { raw: 'deny', remove: 'deny', minimised: 'allow', key: 'allow' },
    UploadUrl: none,
    DeliveryComplete: none,
    Link: none,
    Publish: none,
    Notify: none,
    RecordFailure: none,
  };
  for (const id of partnerIds) {
    for (const [fn, access] of Object.entries(design)) {
      const who = m.functionRole(fn);
      cells.push(
        cell(g, who, `s3:GetObject partners/${id}/uploads/*`, access.raw, () =>
          m.s3(who, 's3:GetObject', `partners/${id}/uploads/a.csv`),
        ),
        cell(g, who, `s3:DeleteObjectVersion partners/${id}/uploads/*`, access.remove, () =>
          m.s3(who, 's3:DeleteObjectVersion', `partners/${id}/uploads/a.csv`),
        ),
        cell(g, who, `s3:GetObject partners/${id}/accepted/*`, access.minimised, () =>
          m.s3(who, 's3:GetObject', `partners/${id}/accepted/a.csv`),
        ),
        cell(g, who, `kms:Decrypt ${id} key via S3`, access.key, () =>
          m.kms(who, 'kms:Decrypt', m.partnerKey(id), 's3'),
        ),
      );
    }
  }
  return Promise.all(cells);
}

/** Only the teardown role may disable a key or schedule its deletion; it may also empty and delete. */
export async function keyDestructionCells(
  m: IamModel,
  partnerIds: readonly string[],
  extraPrincipals: readonly Principal[] = [],
): Promise<Cell[]> {
  const g = 'key destruction';
  const keys: KmsKey[] = [...partnerIds.map((id) => m.partnerKey(id)), m.resultsKey];
  const functionIds = [
    'UploadUrl',
    'UploadReceived',
    'DeliveryComplete',
    'ValidatePartner',
    'Link',
    'Publish',
    'Notify',
    'RecordFailure',
  ];
  const principals: Principal[] = [
    ...partnerIds.map((id) => m.partnerRole(id)),
    m.leadRole,
    ...extraPrincipals,
    ...functionIds.map((id) => m.functionRole(id)),
    m.stateMachineRole,
    m.accountAdmin,
    m.teardownRole,
  ];
  const cells: Promise<Cell>[] = [];
  for (const who of principals) {
    const expected: Expect = who.label === 'teardown' ? 'allow' : 'deny';
    for (const key of keys) {
      for (const action of ['kms:DisableKey', 'kms:ScheduleKeyDeletion']) {
        cells.push(cell(g, who, `${action} ${key.label}`, expected, () => m.kms(who, action, key)));
      }
    }
  }
  const teardown = m.teardownRole;
  for (const id of partnerIds) {
    cells.push(
      cell('teardown', teardown, `s3:DeleteObjectVersion partners/${id}/uploads/*`, 'allow', () =>
        m.s3(teardown, 's3:DeleteObjectVersion', `partners/${id}/uploads/a.csv`),
      ),
    );
  }
  cells.push(
    cell('teardown', teardown, 's3:ListBucketVersions drop zone', 'allow', () =>
      m.s3(teardown, 's3:ListBucketVersions', { prefix: '' }),
    ),
    cell('teardown', teardown, 's3:DeleteBucket drop zone', 'allow', () =>
      m.simulate(teardown, 's3:DeleteBucket', m.bucketArn, m.bucketPolicy, {}),
    ),
    cell('teardown', teardown, 's3:GetObject partners/*/uploads/* (no reading)', 'deny', () =>
      m.s3(teardown, 's3:GetObject', `partners/${partnerIds[0] ?? 'x'}/uploads/a.csv`),
    ),
  );
  for (const t of ['Results', 'DeliveryStatus', 'Idempotency', 'Audit'] as const) {
    cells.push(
      cell('teardown', teardown, `dynamodb:UpdateTable+DeleteTable ${t}`, 'allow', async () => {
        const update = await m.dynamodb(teardown, 'dynamodb:UpdateTable', m.table(t));
        const del = await m.dynamodb(teardown, 'dynamodb:DeleteTable', m.table(t));
        return update === 'Allowed' ? del : update;
      }),
      cell('teardown', teardown, `dynamodb:GetItem ${t} (no reading)`, 'deny', () =>
        m.dynamodb(teardown, 'dynamodb:GetItem', m.table(t)),
      ),
      cell(
        'teardown',
        teardown,
        `dynamodb:UpdateContinuousBackups ${t} (PITR off before delete)`,
        'allow',
        () => m.dynamodb(teardown, 'dynamodb:UpdateContinuousBackups', m.table(t)),
      ),
    );
  }
  // The closing record: the round totals (pk = ROUNDS) and nothing else of the results table.
  cells.push(
    cell('teardown', teardown, 'dynamodb:Query Results pk=ROUNDS (round totals)', 'allow', () =>
      m.dynamodb(teardown, 'dynamodb:Query', m.table('Results'), { leadingKeys: ['ROUNDS'] }),
    ),
    cell('teardown', teardown, 'dynamodb:Query Results pk=ADDR#… (no addresses)', 'deny', () =>
      m.dynamodb(teardown, 'dynamodb:Query', m.table('Results'), { leadingKeys: ['ADDR#3071AB-12'] }),
    ),
    cell('teardown', teardown, 'dynamodb:Query DeliveryStatus (no reading)', 'deny', () =>
      m.dynamodb(teardown, 'dynamodb:Query', m.table('DeliveryStatus'), { leadingKeys: ['ROUNDS'] }),
    ),
    cell('teardown', teardown, 'kms:Decrypt results key via DynamoDB', 'allow', () =>
      m.kms(teardown, 'kms:Decrypt', m.resultsKey, 'dynamodb'),
    ),
    cell('teardown', teardown, 'kms:Decrypt results key via S3 (no reading)', 'deny', () =>
      m.kms(teardown, 'kms:Decrypt', m.resultsKey, 's3'),
    ),
    ...partnerIds.map((id) =>
      cell('teardown', teardown, `kms:Decrypt partner key ${id} (no reading)`, 'deny', () =>
        m.kms(teardown, 'kms:Decrypt', m.partnerKey(id), 's3'),
      ),
    ),
  );
  return Promise.all(cells);
}

/**
 * Who may assume which role (trust policies): a partner's own principals only its own upload role,
 * the upload-url function every upload role (it signs URLs as the partner), the lead's principals
 * only the lead role.
 */
export async function assumeRoleCells(
  m: IamModel,
  partnerPrincipals: Readonly<Record<string, readonly string[]>>,
  leadPrincipals: readonly string[],
): Promise<Cell[]> {
  const g = 'assume role';
  const partnerIds = Object.keys(partnerPrincipals);
  const cells: Promise<Cell>[] = [];
  const targets: [string, string][] = [
    ...partnerIds.map((id): [string, string] => [`upload role of ${id}`, `/UploadRole-${id}/Resource`]),
    ['lead role', '/LeadRole/Resource'],
  ];
  const callers: [Principal, string | undefined][] = [
    ...partnerIds.flatMap((id) =>
      (partnerPrincipals[id] ?? []).map((arn): [Principal, string | undefined] => [
        m.external(arn, `principal of ${id}`),
        `upload role of ${id}`,
      ]),
    ),
    ...leadPrincipals.map((arn): [Principal, string | undefined] => [
      m.external(arn, 'lead principal'),
      'lead role',
    ]),
    [m.functionRole('UploadUrl'), 'upload-url'],
    [m.functionRole('UploadReceived'), undefined],
  ];
  for (const [who, own] of callers) {
    for (const [target, path] of targets) {
      const expected: Expect =
        target === own || (own === 'upload-url' && target.startsWith('upload role')) ? 'allow' : 'deny';
      cells.push(cell(g, who, `sts:AssumeRole ${target}`, expected, () => m.assumeRole(who, path)));
    }
  }
  return Promise.all(cells);
}

const mark = (c: Cell) => `${c.actual === 'Allowed' ? 'ALLOW' : 'deny'}${ok(c) ? '' : ' ✗'}`;

/** Renders the partner × partner grids and the lists, for the test output. */
export function render(
  pairCells: readonly Cell[],
  partnerIds: readonly string[],
  lists: readonly Cell[],
): string {
  const lines: string[] = [];
  const width = Math.max(10, ...partnerIds.map((p) => p.length + 2));
  const pad = (s: string) => s.padEnd(width);
  lines.push('ALLOW/deny = simulated decision; ✗ marks a cell that differs from the design.');
  if (partnerIds.length > 0) {
    lines.push('IAM isolation matrix — rows: acting partner A, columns: partner B (diagonal: A = B).');
  }
  for (const action of partnerIds.length > 0 ? PAIR_ACTIONS : []) {
    lines.push('', action.label, pad('A \\ B') + partnerIds.map(pad).join(''));
    for (const a of partnerIds) {
      const row = partnerIds.map((b) => {
        const c = pairCells.find((x) => x.group === action.label && x.who === `partner:${a}` && x.what === b);
        return pad(c ? mark(c) : '?');
      });
      lines.push(pad(a) + row.join(''));
    }
  }
  let group = '';
  for (const c of lists) {
    if (c.group !== group) {
      group = c.group;
      lines.push('', `${group}:`);
    }
    lines.push(`  ${c.who.padEnd(22)} ${c.what.padEnd(58)} expect ${c.expected.padEnd(5)} → ${mark(c)}`);
  }
  return lines.join('\n');
}
