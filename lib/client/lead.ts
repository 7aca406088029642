/**
 * The lead's operations over the results table, the audit table and results/ in S3: the case-table
 * list, judgement additions, decisions, outcomes, closing a round's selection (staged minimisation),
 * the audit trail and the evaluation report. The rules are in lambdas/core/casustafel.ts (pure);
 * this module reads and writes.
 *
 * Every read of address details and every change appends an audit entry (who, what, when, the case
 * numbers concerned) to the audit table; never an address or signal contents. Every record is a new
 * item written with attribute_not_exists(pk): nothing the lead recorded is overwritten.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { queryAll } from '../../lambdas/adapters/dynamo.ts';
import { listKeys } from '../../lambdas/adapters/s3.ts';
import { StatusStore } from '../../lambdas/app/status.ts';
import {
  type AddressRecords,
  type AuditAction,
  type AuditEntry,
  addedByJudgement,
  auditEntrySchema,
  auditItem,
  CasustafelError,
  type CloseRecord,
  caseItem,
  caseNumber,
  checkReason,
  closeItem,
  type DecisionRecord,
  decide,
  decisionItem,
  discussedBefore,
  latest,
  leadPk,
  minimiseOverview,
  type Overview,
  outcomeItem,
  overviewCounts,
  overviewSchema,
  ROUND_PK,
  type RoundCounts,
  recordOutcome,
  recordsFor,
  recordsOf,
  type SelectionEvent,
  type StatusCode,
  selectionEventSchema,
  selectionItem,
  seriesPrefix,
  statusOf,
} from '../../lambdas/core/casustafel.ts';
import { currentUploads, pad, resultKeys } from '../../lambdas/core/delivery.ts';
import type { Project } from '../../lambdas/core/project.ts';
import { type ReportFigures, reportFigures, reportHtml } from '../../lambdas/core/report.ts';
import { type AddressResult, addressResultSchema, rounds, selectedAddresses } from './queries.ts';
import type { Target } from './target.ts';

export type LeadTarget = Pick<Target, 'doc' | 's3' | 'names' | 'kind'>;

/** Who is acting: locally `--als` or LSI_USER; in AWS the caller's ARN from STS. */
function loginName(): string | undefined {
  try {
    const name = userInfo().username;
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}

export async function callerIdentity(
  kind: Target['kind'],
  als: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  region?: string,
): Promise<string> {
  if (kind === 'aws') {
    const sts = new STSClient(region ? { region } : {});
    const r = await sts.send(new GetCallerIdentityCommand({}));
    if (!r.Arn) throw new CasustafelError('Uw identiteit in AWS is niet vast te stellen (STS gaf geen ARN).');
    return r.Arn;
  }
  // Locally the person at this machine: --als, LSI_USER, or the login name.
  const who = als ?? env.LSI_USER ?? loginName();
  if (!who)
    throw new CasustafelError(
      'Wie bent u? Lokaal geeft u uw naam op met --als <naam> of zet u LSI_USER (het auditlog legt vast wie wat deed).',
    );
  return who;
}

function isConditionFailed(e: unknown): boolean {
  return e instanceof Error && e.name === 'ConditionalCheckFailedException';
}

/** One row of the case-table list. */
export interface CaseRow extends AddressResult {
  readonly casus: string;
  readonly status: StatusCode;
  readonly judgement: boolean;
  readonly eerderBesproken: readonly { round: number; status: string }[];
  readonly decision?: DecisionRecord;
}

export interface ListFilter {
  readonly round: number;
  readonly partner?: string;
  readonly postcode?: string;
  readonly status?: StatusCode;
}

export interface LeadOptions {
  readonly target: LeadTarget;
  readonly project: Project;
  readonly who: string;
  readonly now?: () => Date;
  readonly random?: (n: number) => Uint8Array;
}

export class Lead {
  private readonly doc: DynamoDBDocumentClient;
  private readonly s3: S3Client;
  private readonly table: string;
  private readonly now: () => Date;
  private readonly random: (n: number) => Uint8Array;

  constructor(private readonly o: LeadOptions) {
    this.doc = o.target.doc;
    this.s3 = o.target.s3;
    this.table = o.target.names.resultsTable;
    this.now = o.now ?? (() => new Date());
    this.random = o.random ?? ((n) => randomBytes(n));
  }

  private get partnerIds(): string[] {
    return this.o.project.partners.map((p) => p.id);
  }

  // ---- audit ----------------------------------------------------------------------------------------

  private async audit(
    wat: AuditAction,
    ronde: number,
    casussen: readonly string[] = [],
    details: AuditEntry['details'] = {},
  ): Promise<void> {
    const entry = auditEntrySchema.parse({
      wie: this.o.who,
      wat,
      wanneer: this.now().toISOString(),
      ronde,
      casussen,
      details,
    });
    await this.doc.send(
      new PutCommand({
        TableName: this.o.target.names.auditTable,
        Item: auditItem(entry, randomUUID()),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  // ---- reading ------------------------------------------------------------------------------------------

  private async roundItems(round: number): Promise<Record<string, unknown>[]> {
    return queryAll(this.doc, {
      TableName: this.table,
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk',
      ExpressionAttributeValues: { ':pk': `LEAD#${pad(round)}` },
    });
  }

  private async addressRecords(key: string): Promise<AddressRecords> {
    return recordsOf(
      await queryAll(this.doc, {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': leadPk(key) },
      }),
    );
  }

  /** Everything the lead recorded in rounds 1..round. */
  private async recordsUpTo(round: number): Promise<ReturnType<typeof recordsOf>> {
    const items: Record<string, unknown>[] = [];
    for (let r = 1; r <= round; r++) items.push(...(await this.roundItems(r)));
    return recordsOf(items);
  }

  private async closeRecord(round: number): Promise<CloseRecord | undefined> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: ROUND_PK, sk: `SLUITING#${pad(round)}` } }),
    );
    return r.Item ? recordsOf([r.Item]).closes[0] : undefined;
  }

  private async requireRound(round: number): Promise<void> {
    const known = await rounds(this.doc, this.table);
    if (!known.some((r) => r.round === round))
      throw new CasustafelError(
        `Ronde ${round} is (nog) niet gekoppeld. Gekoppelde rondes: ${known.map((r) => r.round).join(', ') || 'geen'}.`,
      );
  }

  /** Case numbers for these keys; creates the missing ones (random, never derived from the address). */
  private async caseNumbers(keys: readonly string[]): Promise<Map<string, string>> {
    const existing = recordsOf(
      await queryAll(this.doc, {
        TableName: this.table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': 'LEAD#CASUS' },
      }),
    ).cases;
    const missing = keys.filter((k) => !existing.has(k));
    for (let i = 0; i < missing.length; i += 16) {
      await Promise.all(
        missing.slice(i, i + 16).map(async (key) => {
          const casus = caseNumber(this.random(5));
          try {
            await this.doc.send(
              new PutCommand({
                TableName: this.table,
                Item: caseItem(key, casus),
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            );
            existing.set(key, casus);
          } catch (e) {
            if (!isConditionFailed(e)) throw e;
            const r = await this.doc.send(
              new GetCommand({ TableName: this.table, Key: { pk: leadPk(key), sk: 'CASUS' } }),
            );
            existing.set(key, z.object({ casus: z.string() }).parse(r.Item).casus);
          }
        }),
      );
    }
    return existing;
  }

  /** The case-table list of a round, with status and earlier discussions. Audited. */
  async list(f: ListFilter): Promise<CaseRow[]> {
    await this.requireRound(f.round);
    const addresses = await selectedAddresses(this.doc, this.table, {
      round: f.round,
      ...(f.partner ? { partner: f.partner } : {}),
      ...(f.postcode ? { postcode: f.postcode } : {}),
    });
    const all = await this.recordsUpTo(f.round);
    const cases = await this.caseNumbers(addresses.map((a) => a.key));
    const rows: CaseRow[] = addresses.map((a) => {
      const rec = recordsFor(all, a.key);
      const multi = a.selection === 'meervoudig belang';
      const decision = latest(rec.decisions.filter((d) => d.round === f.round));
      return {
        ...a,
        casus: cases.get(a.key) ?? '',
        status: statusOf(rec, f.round, multi),
        judgement: !multi,
        eerderBesproken: discussedBefore(rec, f.round),
        ...(decision ? { decision } : {}),
      };
    });
    const shown = rows.filter((r) => (f.status ? r.status === f.status : r.status !== 'ingetrokken'));
    await this.audit(
      'lijst',
      f.round,
      shown.map((r) => r.casus),
      {
        aantal: shown.length,
        ...(f.partner ? { partnerfilter: f.partner } : {}),
        // A postcode prefix is logged at most to PC4 (an area, not a dwelling).
        ...(f.postcode ? { postcodefilter: f.postcode.replace(/\s+/g, '').slice(0, 4) } : {}),
        ...(f.status ? { statusfilter: f.status } : {}),
      },
    );
    return shown;
  }

  // ---- the round's overview in S3 ---------------------------------------------------------------------

  private async readOverview(round: number): Promise<{ overview: Overview; kmsKeyId?: string }> {
    let r: GetObjectCommandOutput;
    try {
      r = await this.s3.send(
        new GetObjectCommand({ Bucket: this.o.target.names.bucket, Key: resultKeys(round).overview }),
      );
    } catch (e) {
      if (e instanceof Error && (e.name === 'NoSuchKey' || e.name === 'NotFound'))
        throw new CasustafelError(`Het overzicht van ronde ${round} bestaat niet (meer).`);
      throw e;
    }
    if (!r.Body) throw new CasustafelError(`Het overzicht van ronde ${round} is leeg.`);
    const overview = overviewSchema.parse(JSON.parse(await r.Body.transformToString()));
    const got = { SSEKMSKeyId: r.SSEKMSKeyId };
    return { overview, ...(got.SSEKMSKeyId ? { kmsKeyId: got.SSEKMSKeyId } : {}) };
  }

  // ---- judgement additions -----------------------------------------------------------------------------

  private async nextVersion(key: string, prefix: string): Promise<number> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': leadPk(key), ':p': prefix },
      ProjectionExpression: 'version',
    });
    return items.reduce((n, i) => Math.max(n, typeof i.version === 'number' ? i.version : 0), 0) + 1;
  }

  private async putNew(item: Record<string, unknown>): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (isConditionFailed(e))
        throw new CasustafelError(
          'Iemand anders legde tegelijk iets vast voor dit adres. Probeer het opnieuw.',
        );
      throw e;
    }
  }

  private async requireOpen(round: number): Promise<void> {
    if (await this.closeRecord(round))
      throw new CasustafelError(
        `De selectie van ronde ${round} is gesloten; adressen zonder meervoudig belang zijn verwijderd en kunnen niet meer worden toegevoegd.`,
      );
  }

  /** Adds a single-partner address to the round's case table by professional judgement. */
  async select(key: string, round: number, reason: string | undefined): Promise<{ casus: string }> {
    const reden = checkReason(reason, 'Toevoegen op professional judgement');
    await this.requireRound(round);
    await this.requireOpen(round);
    const { overview } = await this.readOverview(round);
    const address = overview.addresses.find((a) => a.key === key);
    if (!address)
      throw new CasustafelError(
        `Dit adres komt in ronde ${round} niet voor. Schrijf de sleutel zoals in het overzicht: POSTCODE-HUISNUMMER[-TOEVOEGING], bijvoorbeeld 3071AB-12-A.`,
      );
    if (address.multiInterest)
      throw new CasustafelError('Dit adres heeft al meervoudig belang en staat al op de casustafellijst.');
    const rec = await this.addressRecords(key);
    if (addedByJudgement(rec, round))
      throw new CasustafelError(`Dit adres is in ronde ${round} al toegevoegd.`);
    const version = await this.nextVersion(key, seriesPrefix.selection(round));
    const event: SelectionEvent = selectionEventSchema.parse({
      type: 'selectie',
      key,
      round,
      version,
      actie: 'toevoegen',
      reden,
      partners: address.partners,
      door: this.o.who,
      op: this.now().toISOString(),
    });
    await this.putNew(selectionItem(event));
    // The view: puts the address into the round's list (gsi1), with its signals as the lead sees them.
    const view: AddressResult = addressResultSchema.parse({
      key,
      round,
      postcode: address.postcode,
      huisnummer: address.huisnummer,
      suffix: address.suffix,
      partners: address.partners,
      partnerCount: address.partners.length,
      selection: 'professional judgement',
      signals: address.signals.map((s) => ({
        partner: s.partner,
        risico: s.risico,
        ...(s.omschrijving !== undefined ? { omschrijving: s.omschrijving } : {}),
        ...(s.referentie !== undefined ? { referentie: s.referentie } : {}),
        ...(s.datum !== undefined ? { datum: s.datum } : {}),
        file: s.file,
        line: s.line,
      })),
    });
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: leadPk(key),
          sk: `SELECTIE#${pad(round)}`,
          gsi1pk: `SEL#${pad(round)}`,
          gsi1sk: key,
          type: 'selectie-lijst',
          ...view,
        },
      }),
    );
    const casus = (await this.caseNumbers([key])).get(key) ?? '';
    await this.audit('toevoegen', round, [casus], { versie: version });
    return { casus };
  }

  /** Withdraws a judgement addition, with a reason. */
  async withdraw(key: string, round: number, reason: string | undefined): Promise<{ casus: string }> {
    const reden = checkReason(reason, 'Intrekken');
    await this.requireRound(round);
    const rec = await this.addressRecords(key);
    if (!addedByJudgement(rec, round))
      throw new CasustafelError(
        `Dit adres is in ronde ${round} niet door de projectleiding toegevoegd; er is niets in te trekken.`,
      );
    const prev = latest(rec.selections.filter((s) => s.round === round));
    const version = await this.nextVersion(key, seriesPrefix.selection(round));
    await this.putNew(
      selectionItem(
        selectionEventSchema.parse({
          type: 'selectie',
          key,
          round,
          version,
          actie: 'intrekken',
          reden,
          partners: prev?.partners ?? [],
          door: this.o.who,
          op: this.now().toISOString(),
        }),
      ),
    );
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: leadPk(key),
          sk: `SELECTIE#${pad(round)}`,
          type: 'selectie-lijst-ingetrokken',
          key,
          round,
        },
      }),
    );
    const casus = (await this.caseNumbers([key])).get(key) ?? '';
    await this.audit('intrekken', round, [casus], { versie: version });
    return { casus };
  }

  // ---- decisions and outcomes ---------------------------------------------------------------------------

  /** The address as selected in the round (multi-interest, or added by judgement), or an error. */
  private async selectedAddress(
    key: string,
    round: number,
  ): Promise<{ partners: string[]; rec: AddressRecords }> {
    const [multi, rec] = await Promise.all([
      this.doc.send(
        new GetCommand({ TableName: this.table, Key: { pk: `ADDR#${key}`, sk: `ROUND#${pad(round)}` } }),
      ),
      this.addressRecords(key),
    ]);
    if (multi.Item) return { partners: z.array(z.string()).parse(multi.Item.partners), rec };
    if (addedByJudgement(rec, round)) {
      const view = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: { pk: leadPk(key), sk: `SELECTIE#${pad(round)}` } }),
      );
      return { partners: z.array(z.string()).parse(view.Item?.partners ?? []), rec };
    }
    throw new CasustafelError(
      `Dit adres staat in ronde ${round} niet op de casustafellijst. Voeg het eerst toe met lsi select <adres> --reason "..." (alleen vóór het sluiten van de selectie).`,
    );
  }

  /** Records the case-table decision; a second one for the same round is a correction (new version). */
  async decide(
    key: string,
    round: number,
    input: unknown,
    correctie?: string,
  ): Promise<{ casus: string; decision: DecisionRecord }> {
    await this.requireRound(round);
    const { partners, rec } = await this.selectedAddress(key, round);
    const prev = latest(rec.decisions.filter((d) => d.round === round));
    const correctieReden = prev ? checkReason(correctie, 'Correctie van een eerdere beslissing') : undefined;
    if (!prev && correctie !== undefined)
      throw new CasustafelError('Er is nog geen beslissing om te corrigeren; laat --correctie weg.');
    const version = await this.nextVersion(key, seriesPrefix.decision(round));
    const decision = decide(input, { key, round, supplying: partners }, this.partnerIds, version, {
      door: this.o.who,
      op: this.now().toISOString(),
      ...(correctieReden ? { correctieReden } : {}),
    });
    await this.putNew(decisionItem(decision));
    const casus = (await this.caseNumbers([key])).get(key) ?? '';
    await this.audit(prev ? 'correctie' : 'besluit', round, [casus], {
      versie: version,
      status: decision.status,
    });
    return { casus, decision };
  }

  /** Records a partner's outcome after the intervention (a correction adds a version). */
  async outcome(
    key: string,
    round: number,
    partner: string,
    results: readonly string[],
    options: { toelichting?: string; correctie?: string } = {},
  ): Promise<{ casus: string; version: number }> {
    await this.requireRound(round);
    if (!this.partnerIds.includes(partner))
      throw new CasustafelError(`"${partner.slice(0, 40)}" is geen ketenpartner van dit project.`);
    const rec = await this.addressRecords(key);
    const prev = rec.outcomes.some((o) => o.round === round && o.partner === partner);
    const correctieReden = prev
      ? checkReason(options.correctie, `Correctie van de uitkomst van ${partner}`)
      : undefined;
    const version = await this.nextVersion(key, seriesPrefix.outcome(round, partner));
    const o = recordOutcome(
      latest(rec.decisions.filter((d) => d.round === round)),
      partner,
      results,
      version,
      {
        door: this.o.who,
        op: this.now().toISOString(),
        ...(options.toelichting ? { toelichting: options.toelichting } : {}),
        ...(correctieReden ? { correctieReden } : {}),
      },
    );
    await this.putNew(outcomeItem(o));
    const casus = (await this.caseNumbers([key])).get(key) ?? '';
    await this.audit('uitkomst', round, [casus], { partner, versie: version });
    return { casus, version };
  }

  /** The full history of one address (all rounds), for `lsi decide --show`. Audited. */
  async history(key: string): Promise<AddressRecords & { casus: string }> {
    const rec = await this.addressRecords(key);
    const casus = (await this.caseNumbers([key])).get(key) ?? '';
    const r = Math.max(0, ...rec.decisions.map((d) => d.round), ...rec.selections.map((s) => s.round));
    await this.audit('adres', r, [casus]);
    return { ...rec, casus };
  }

  // ---- closing a round's selection: staged minimisation ---------------------------------------------

  /**
   * Closes the round's selection: the overview in results/ keeps only the addresses with multiple
   * interest or added by judgement (every older version of it is deleted), the round's work files
   * are deleted (every version), and the counts stay in the close record.
   */
  async closeRound(round: number): Promise<CloseRecord> {
    await this.requireRound(round);
    const done = await this.closeRecord(round);
    if (done) return done;
    const bucket = this.o.target.names.bucket;
    const { overview, kmsKeyId } = await this.readOverview(round);
    const all = recordsOf(await this.roundItems(round));
    const added = new Set(
      [...new Set(all.selections.map((s) => s.key))].filter((k) =>
        addedByJudgement(recordsFor(all, k), round),
      ),
    );
    const counts: RoundCounts = overviewCounts(overview, this.partnerIds);
    const at = this.now().toISOString();
    const min = minimiseOverview(overview, added, at);
    const key = resultKeys(round).overview;
    const put = await this.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: `${JSON.stringify(min.overview)}\n`,
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId, BucketKeyEnabled: true } : {}),
      }),
    );
    // Older versions of the overview still hold the purged addresses: delete them.
    await this.deleteVersions(key, put.VersionId);
    const workPrefix = `work/ronde-${pad(round)}/`;
    const workKeys = await listKeys(this.s3, bucket, workPrefix);
    await this.deleteKeys(workKeys.map((k) => ({ Key: k })));
    await this.deleteVersions(workPrefix, undefined);
    const record: CloseRecord = {
      type: 'sluiting',
      round,
      door: this.o.who,
      op: at,
      kept: min.kept,
      purged: min.purged,
      workFilesDeleted: workKeys.length,
      counts,
    };
    await this.putNew(closeItem(record));
    await this.audit('sluiten', round, [], {
      behouden: min.kept,
      verwijderd: min.purged,
      werkbestanden: workKeys.length,
    });
    return record;
  }

  private async deleteKeys(objects: { Key: string; VersionId?: string }[]): Promise<void> {
    for (let i = 0; i < objects.length; i += 1000) {
      const r = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.o.target.names.bucket,
          Delete: { Objects: objects.slice(i, i + 1000), Quiet: true },
        }),
      );
      if (r.Errors?.length)
        throw new CasustafelError(
          `Verwijderen mislukt voor ${r.Errors.length} object(en) (${r.Errors[0]?.Code ?? 'fout'}).`,
        );
    }
  }

  /** Deletes every version under a prefix except `keep` (a versioned bucket in AWS; locally none). */
  private async deleteVersions(prefix: string, keep: string | undefined): Promise<void> {
    const objects: { Key: string; VersionId: string }[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    try {
      do {
        const r = await this.s3.send(
          new ListObjectVersionsCommand({
            Bucket: this.o.target.names.bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            VersionIdMarker: versionMarker,
          }),
        );
        for (const v of [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])])
          if (v.Key?.startsWith(prefix) && v.VersionId && v.VersionId !== 'null' && v.VersionId !== keep)
            objects.push({ Key: v.Key, VersionId: v.VersionId });
        keyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
        versionMarker = r.IsTruncated ? r.NextVersionIdMarker : undefined;
      } while (keyMarker);
    } catch (e) {
      // The embedded S3 (s3rver) keeps no versions and does not know this call; AWS does.
      if (this.o.target.kind === 'lokaal') return;
      throw e;
    }
    await this.deleteKeys(objects);
  }

  // ---- the evaluation report -------------------------------------------------------------------------

  async report(): Promise<{ figures: ReportFigures; html: string }> {
    const summaries = await rounds(this.doc, this.table);
    const roundCounts = new Map<number, RoundCounts>();
    const selected: { round: number; key: string; partners: string[]; judgement: boolean }[] = [];
    const items: Record<string, unknown>[] = [];
    for (const s of summaries) {
      const lead = await this.roundItems(s.round);
      items.push(...lead);
      const close = recordsOf(lead).closes[0];
      if (close) roundCounts.set(s.round, close.counts);
      else
        roundCounts.set(
          s.round,
          overviewCounts((await this.readOverview(s.round)).overview, this.partnerIds),
        );
      const sel = await queryAll(this.doc, {
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `SEL#${pad(s.round)}` },
        ProjectionExpression: '#k, partners, selection',
        ExpressionAttributeNames: { '#k': 'key' },
      });
      for (const i of sel) {
        const a = z
          .object({ key: z.string(), partners: z.array(z.string()), selection: z.string() })
          .parse(i);
        selected.push({
          round: s.round,
          key: a.key,
          partners: a.partners,
          judgement: a.selection !== 'meervoudig belang',
        });
      }
    }
    // Rejection reasons per partner over all rounds, from the uploads that counted (counts only).
    const rejections = new Map<string, Record<string, number>>();
    const status = new StatusStore(this.doc, this.o.target.names.statusTable);
    for (const s of summaries) {
      for (const u of currentUploads(await status.validatedUploads(s.round))) {
        const byCode = rejections.get(u.partner) ?? {};
        for (const [code, n] of Object.entries(u.rejectedByCode ?? {}))
          byCode[code] = (byCode[code] ?? 0) + n;
        rejections.set(u.partner, byCode);
      }
    }
    const figures = reportFigures({
      project: {
        projectId: this.o.project.projectId,
        name: this.o.project.name,
        subject: this.o.project.subject,
        partners: this.o.project.partners,
      },
      generatedAt: this.now().toISOString(),
      rounds: summaries,
      roundCounts,
      selected,
      records: recordsOf(items),
      rejections,
    });
    await this.audit('rapport', Math.max(0, ...summaries.map((s) => s.round)));
    return { figures, html: reportHtml(figures) };
  }
}

/** The audit trail (supervisor only in AWS): every entry, oldest first. */
export async function auditTrail(target: LeadTarget, round?: number): Promise<AuditEntry[]> {
  const items: Record<string, unknown>[] = [];
  try {
    if (round !== undefined) {
      items.push(
        ...(await queryAll(target.doc, {
          TableName: target.names.auditTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `AUDIT#${pad(round)}` },
        })),
      );
    } else {
      let start: Record<string, unknown> | undefined;
      do {
        const r = await target.doc.send(
          new ScanCommand({ TableName: target.names.auditTable, ExclusiveStartKey: start }),
        );
        items.push(...(r.Items ?? []));
        start = r.LastEvaluatedKey;
      } while (start);
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'AccessDeniedException')
      throw new CasustafelError('Alleen de toezichthouder (supervisor-rol) mag het auditlog lezen.');
    throw e;
  }
  return items
    .map((i) => auditEntrySchema.parse(i))
    .sort((a, b) => (a.wanneer < b.wanneer ? -1 : a.wanneer > b.wanneer ? 1 : 0));
}
