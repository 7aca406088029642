/**
 * Workflow step: tells the lead the round is linked, with counts only (a notification is e-mail: never
 * an address in it).
 */
import * as z from 'zod';
import { roundSchema } from '../core/delivery.ts';
import { type Deps, lazyAwsDeps, need } from './deps.ts';
import { linkedSchema } from './link.ts';

const notifyInputSchema = z.object({
  round: roundSchema,
  missing: z.array(z.string()),
  linked: linkedSchema,
});

export function createNotifyHandler(getDeps: () => Deps) {
  return async (event: unknown): Promise<{ notified: true }> => {
    const deps = getDeps();
    const input = notifyInputSchema.parse(event);
    const project = need(deps.config.project, 'PROJECT_CONFIG');
    const l = input.linked;
    const lines = [
      `De koppeling van ronde ${input.round} van ${project.name} is klaar.`,
      '',
      `Signalen: ${l.rows} regels, ${l.accepted} geaccepteerd, ${l.rejected} afgewezen.`,
      `Adressen: ${l.addresses}, waarvan ${l.multiInterest} met meervoudig belang (naar de casustafel).`,
      input.missing.length > 0
        ? `Niet aangeleverd: ${input.missing.join(', ')}.`
        : 'Alle ketenpartners hebben aangeleverd.',
      '',
      'Bekijk de casustafellijst met: lsi results',
    ];
    await deps.notify(`LSI ${project.projectId}: ronde ${input.round} gekoppeld`, lines.join('\n'));
    deps.log.info('lead notified', { round: input.round });
    return { notified: true };
  };
}

export const handler = createNotifyHandler(lazyAwsDeps());
