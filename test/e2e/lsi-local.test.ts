/**
 * The `lsi` commands as a user runs them: `lsi local up` in one process, partners and the lead in
 * others, over loopback.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'lsi-local-'));
const LSI = join(ROOT, 'bin', 'lsi.js');
const PORT = String(20000 + (process.pid % 20000));
let server: ChildProcess | undefined;
let serverOutput = '';

function lsi(...args: string[]) {
  const r = spawnSync(process.execPath, [LSI, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 && process.env.LSI_TEST_DEBUG) console.log(args.join(' '), r.stdout, r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  cpSync(join(ROOT, 'examples'), join(work, 'examples'), { recursive: true });
  server = spawn(
    process.execPath,
    [LSI, 'local', 'up', '--project', 'examples/project.json', '--port', PORT],
    {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  server.stdout?.on('data', (d: Buffer) => {
    serverOutput += d.toString();
  });
  server.stderr?.on('data', (d: Buffer) => {
    serverOutput += d.toString();
  });
  const endpoints = join(work, '.lsi-local', 'rdam-zuid-2027', 'endpoints.json');
  for (let i = 0; i < 300 && !existsSync(endpoints); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(endpoints)) throw new Error(`lsi local up did not start:\n${serverOutput}`);
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGINT');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe('lsi local up with partner and lead commands in other processes', () => {
  it('says clearly when the ports are taken', () => {
    const r = lsi('local', 'up', '--project', 'examples/project.json', '--port', PORT);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/al in gebruik|is already in use/);
  });

  it('takes uploads, reports back to the partner, links on completion and answers the lead', () => {
    const up = lsi(
      'upload',
      'examples/signals/uwv.csv',
      '--project',
      'examples/project.json',
      '--partner',
      'uwv',
    );
    expect(up.stderr + up.stdout).toBe(up.stdout);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/uwv\.csv \(\d{13}-[0-9a-f]{16}\): 32 regels, 30 geaccepteerd, 2 afgewezen/);
    for (const [partner, files] of [
      ['gemeente', ['examples/signals/gemeente.csv']],
      ['svb', ['examples/signals/svb.csv']],
      ['toeslagen', ['examples/signals/toeslagen.csv']],
      ['nla', ['examples/signals/nla/inspecties-2026-q1.csv', 'examples/signals/nla/inspecties-2026-q2.csv']],
    ] as const) {
      expect(lsi('upload', ...files, '--project', 'examples/project.json', '--partner', partner).code).toBe(
        0,
      );
    }
    const before = lsi('status', '--project', 'examples/project.json');
    expect(before.stdout).toContain('koppeling: nog niet gestart');
    for (const partner of ['gemeente', 'nla', 'svb', 'toeslagen']) {
      expect(lsi('complete', '--project', 'examples/project.json', '--partner', partner).code).toBe(0);
    }
    const last = lsi('complete', '--project', 'examples/project.json', '--partner', 'uwv');
    expect(last.stdout).toContain('koppeling rdam-zuid-2027-ronde-0001: klaar');
    const status = lsi('status', '--project', 'examples/project.json');
    expect(status.stdout).toMatch(/koppeling: gekoppeld \(rdam-zuid-2027-ronde-0001, reden: compleet\)/);
    const results = lsi('results', '--project', 'examples/project.json', '--format', 'json');
    expect(results.code).toBe(0);
    const list: unknown = JSON.parse(results.stdout);
    expect(Array.isArray(list) && list.length).toBe(14);
    const csv = lsi('results', '--project', 'examples/project.json', '--format', 'csv', '--partner', 'nla');
    expect(csv.stdout.startsWith('\ufeff')).toBe(true);
    expect(csv.stdout).toContain(';');
  });

  it('tells a user without a running environment what to do', () => {
    const other = mkdtempSync(join(tmpdir(), 'lsi-none-'));
    cpSync(join(ROOT, 'examples'), join(other, 'examples'), { recursive: true });
    const r = spawnSync(process.execPath, [LSI, 'status', '--project', 'examples/project.json'], {
      cwd: other,
      encoding: 'utf8',
    });
    rmSync(other, { recursive: true, force: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npx lsi local up --project');
  });
});
