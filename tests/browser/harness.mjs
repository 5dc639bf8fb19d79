// Shared by the browser tests and the measurement script: start `ruptura demo` on a temporary
// database and a free port, and launch Debian's chromium through playwright-core.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The binary under test: $RUPTURA_BIN (relative paths from the repo root), else the debug build. */
export const BIN = path.resolve(REPO, process.env.RUPTURA_BIN || 'target/debug/ruptura');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = path.join(REPO, 'artifacts', 'browser');

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs `ruptura demo` on a fresh temporary database; resolves once /health answers.
 * Returns {url, port, dir, log(), stop({keep})}. `port` and `dir` start it again where a stopped
 * one ran (same address, same database): `stop({keep: true})` leaves the database in place.
 */
export async function startServer({ pedidos = 300, seed = 7, env = {}, port: fixedPort, dir: fixedDir } = {}) {
  if (!fs.existsSync(BIN)) {
    throw new Error(`binário não encontrado: ${BIN} (rode cargo build -p ruptura ou defina RUPTURA_BIN)`);
  }
  const dir = fixedDir || fs.mkdtempSync(path.join(os.tmpdir(), 'ruptura-browser-'));
  const port = fixedPort || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = ['demo', '--db', path.join(dir, 'd.db'), '--pedidos', String(pedidos), '--bind', `127.0.0.1:${port}`, '--seed', String(seed)];
  const childEnv = { ...process.env, ...env };
  delete childEnv.DATABASE_URL; // the demo always uses its own database
  if (!('API_TOKEN' in env)) delete childEnv.API_TOKEN;
  const child = spawn(BIN, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = null;
  const exitPromise = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exited = { code, signal }))));

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error(`ruptura demo saiu (${JSON.stringify(exited)}):\n${output}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ruptura demo não respondeu em /health:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    port,
    dir,
    log: () => output,
    async stop({ keep = false } = {}) {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exitPromise;
        clearTimeout(timer);
      }
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export function artifactPath(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
