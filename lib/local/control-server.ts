/**
 * The embedded project's doorway for `lsi` commands in other processes: a small HTTP server on
 * loopback standing in for the partner endpoint (function URL) and for invoking delivery-complete.
 * Locally the partner is named in the path; nothing checks who calls (as s3rver checks no signature):
 * identity and IAM are proven on the template, not here.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import * as z from 'zod';
import type { DeliveryRequest } from '../../lambdas/handlers/delivery-complete.ts';
import type { PartnerRequest } from '../../lambdas/handlers/upload-url.ts';
import type { Target } from '../client/target.ts';
import type { EmbeddedProject } from './embedded-project.ts';

async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > limit) throw new Error('request too large');
    parts.push(b);
  }
  const text = Buffer.concat(parts).toString('utf8');
  return text === '' ? {} : JSON.parse(text);
}

export class ControlPortInUse extends Error {
  override readonly name = 'ControlPortInUse';
  constructor(host: string, port: number) {
    super(
      `Poort ${port} op ${host} (lsi-besturing) is al in gebruik. Draait 'lsi local up' al? Stop dat eerst, of kies andere poorten met --port.`,
    );
    this.stack = `${this.name}: ${this.message}`;
  }
}

const anyObject = z.record(z.string(), z.unknown());

/** The commands' view of an embedded project in this process. */
export function embeddedTarget(p: EmbeddedProject): Target {
  return {
    kind: 'lokaal',
    names: p.names,
    doc: p.runtime.clients.documentClient,
    s3: p.runtime.clients.s3,
    partner: async (partnerId, request) => {
      if (!partnerId) throw new Error('partner required locally');
      return p.partner(partnerId, request);
    },
    deliveryComplete: (request) => p.deliveryComplete(request),
    idle: async () =>
      (await p.idle()).map((e) => ({
        name: e.name,
        status: e.status,
        ...(e.error ? { error: e.error } : {}),
      })),
    close: async () => {},
  };
}

export async function startControlServer(
  p: EmbeddedProject,
  port: number,
  host = '127.0.0.1',
): Promise<{ url: string; server: Server }> {
  const target = embeddedTarget(p);
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      try {
        if (req.method !== 'POST') return send(405, { fout: 'Alleen POST.' });
        const body = anyObject.parse(await readBody(req));
        const url = new URL(req.url ?? '/', 'http://localhost');
        const partner = /^\/partner\/([a-z][a-z0-9-]{1,30})$/.exec(url.pathname);
        if (partner?.[1]) {
          // The handler validates the request itself (zod), as in AWS.
          const request: PartnerRequest = z.custom<PartnerRequest>(() => true).parse(body);
          return send(200, await target.partner(partner[1], request));
        }
        if (url.pathname === '/delivery-complete') {
          const request: DeliveryRequest = z.custom<DeliveryRequest>(() => true).parse(body);
          return send(200, (await target.deliveryComplete(request)) ?? null);
        }
        if (url.pathname === '/idle') return send(200, await target.idle());
        return send(404, { fout: 'Onbekend pad.' });
      } catch (e) {
        // Errors are named, never echoed with their details (they may carry data).
        const name = e instanceof Error ? e.name : 'Error';
        const message =
          e instanceof Error && /^(NothingToLink|UnknownPartner|ZodError)$/.test(name) ? e.message : name;
        return send(400, { fout: message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' ? new ControlPortInUse(host, port) : e);
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { url: `http://${host}:${actual}`, server };
}
