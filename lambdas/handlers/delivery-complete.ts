/**
 * Starts a round's linkage, exactly once:
 * - { action: "check", round }               (after a partner declared its delivery complete):
 *                                             starts when every partner is complete;
 * - { action: "complete", round, partner, by } the lead declares a partner complete on its behalf;
 * - { action: "start", round, by }            the lead starts with the partners that delivered;
 * - { action: "deadline", round? }            the upload deadline passed: start with those present;
 * - { action: "retry", round, by }            the lead starts a failed round again (a new attempt).
 *
 * The execution name is derived from project and round (and attempt), and the claim on the round is a
 * conditional write: duplicate or reordered calls start one execution; "already exists" is success.
 */
import * as z from 'zod';
import { StatusStore } from '../app/status.ts';
import {
  allComplete,
  executionName,
  roundSchema,
  type WorkflowInput,
  workflowInput,
} from '../core/delivery.ts';
import { type Deps, lazyAwsDeps, need } from './deps.ts';

export const deliveryRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('check'), round: roundSchema }),
  z.strictObject({
    action: z.literal('complete'),
    round: roundSchema,
    partner: z.string(),
    by: z.string().default('projectleiding'),
  }),
  z.strictObject({
    action: z.literal('start'),
    round: roundSchema,
    by: z.string().default('projectleiding'),
  }),
  z.strictObject({ action: z.literal('deadline'), round: roundSchema.default(1) }),
  z.strictObject({
    action: z.literal('retry'),
    round: roundSchema,
    by: z.string().default('projectleiding'),
  }),
]);
export type DeliveryRequest = z.input<typeof deliveryRequestSchema>;

export interface DeliveryOutcome {
  round: number;
  started: boolean;
  executionName?: string;
  reason?: WorkflowInput['reason'];
  missing?: string[];
  waitingFor?: string[];
}

export class NothingToLink extends Error {
  override readonly name = 'NothingToLink';
}

export class UnknownPartner extends Error {
  override readonly name = 'UnknownPartner';
}

export function createDeliveryCompleteHandler(getDeps: () => Deps) {
  return async (event: unknown): Promise<DeliveryOutcome> => {
    const deps = getDeps();
    const { config, log } = deps;
    const req = deliveryRequestSchema.parse(event);
    const project = need(config.project, 'PROJECT_CONFIG');
    const partnerIds = project.partners.map((p) => p.id).sort();
    const status = new StatusStore(deps.doc, need(config.statusTable, 'STATUS_TABLE'));
    const round = req.round;
    const now = deps.now().toISOString();

    if (req.action === 'complete') {
      if (!partnerIds.includes(req.partner))
        throw new UnknownPartner(`"${req.partner}" is geen ketenpartner van dit project`);
      await status.markComplete(round, req.partner, req.by, now);
      log.info('delivery complete (on behalf)', { partner: req.partner, round });
    }

    const existing = await status.linkage(round);
    if (existing && req.action !== 'retry') {
      return {
        round,
        started: true,
        executionName: existing.executionName,
        reason: reasonOf(existing.reason),
      };
    }

    let reason: WorkflowInput['reason'];
    if (req.action === 'check' || req.action === 'complete') {
      const deliveries = await status.deliveries(round);
      if (!allComplete(partnerIds, deliveries)) {
        const done = new Set(deliveries.filter((d) => d.complete).map((d) => d.partner));
        return { round, started: false, waitingFor: partnerIds.filter((p) => !done.has(p)) };
      }
      reason = 'compleet';
    } else if (req.action === 'deadline') {
      reason = 'deadline';
    } else {
      reason = 'projectleiding';
    }

    const input = workflowInput(
      config.projectId,
      round,
      partnerIds,
      await status.validatedUploads(round),
      reason,
    );
    if (input.partners.length === 0) {
      throw new NothingToLink(
        `Ronde ${round}: nog geen enkele geldige aanlevering; er valt niets te koppelen.`,
      );
    }
    const attempt = req.action === 'retry' ? (existing?.attempt ?? 0) + 1 : 1;
    if (req.action === 'retry' && existing?.state !== 'mislukt') {
      return {
        round,
        started: existing !== null,
        ...(existing ? { executionName: existing.executionName } : {}),
      };
    }
    const name = executionName(config.projectId, round, attempt);
    const claim = await status.claimLinkage(round, name, input, now, attempt);
    // Whoever won the claim, (re)send exactly its input: Step Functions answers the same name with the
    // same input as the first time, and "already exists" means it started before.
    try {
      await deps.startExecution({
        stateMachineArn: need(config.stateMachineArn, 'STATE_MACHINE_ARN'),
        name: claim.executionName,
        input: claim.input,
      });
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'ExecutionAlreadyExists') throw e;
    }
    log.info('linkage started', {
      round,
      executionName: claim.executionName,
      reason: claim.reason,
      missing: input.missing,
    });
    return {
      round,
      started: true,
      executionName: claim.executionName,
      reason: reasonOf(claim.reason),
      missing: input.missing,
    };
  };
}

function reasonOf(r: string): WorkflowInput['reason'] {
  return r === 'deadline' || r === 'projectleiding' ? r : 'compleet';
}

export const handler = createDeliveryCompleteHandler(lazyAwsDeps());
