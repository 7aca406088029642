/**
 * Workflow failure path: records that the round's linkage failed (the error's name only: a cause can
 * hold details that do not belong in a status table) and tells the lead.
 */
import * as z from 'zod';
import { StatusStore } from '../app/status.ts';
import { roundSchema } from '../core/delivery.ts';
import { type Deps, lazyAwsDeps, need } from './deps.ts';

const failureInputSchema = z.object({
  round: roundSchema,
  partnerId: z.string().optional(),
  error: z.object({ Error: z.string().optional() }).optional(),
});

export function createRecordFailureHandler(getDeps: () => Deps) {
  return async (event: unknown): Promise<{ recorded: true }> => {
    const deps = getDeps();
    const input = failureInputSchema.parse(event);
    // Only the leading name (e.g. States.TaskFailed, Lambda.ServiceException): never free text.
    const errorName = /^[A-Za-z][A-Za-z0-9._]{0,79}/.exec(input.error?.Error ?? '')?.[0] ?? 'onbekend';
    const status = new StatusStore(deps.doc, need(deps.config.statusTable, 'STATUS_TABLE'));
    if (!input.partnerId) {
      try {
        await status.finishLinkage(input.round, 'mislukt', deps.now().toISOString(), errorName);
      } catch (e) {
        if (!(e instanceof Error) || e.name !== 'ConditionalCheckFailedException') throw e;
      }
    }
    deps.log.error('linkage failed', { round: input.round, error: errorName, partner: input.partnerId });
    await deps.notify(
      `LSI ${deps.config.projectId}: koppeling ronde ${input.round} mislukt`,
      `De koppeling van ronde ${input.round} is mislukt (${errorName}${input.partnerId ? `, bij ${input.partnerId}` : ''}).\nStart opnieuw met: lsi start --round ${input.round} --retry`,
    );
    return { recorded: true };
  };
}

export const handler = createRecordFailureHandler(lazyAwsDeps());
