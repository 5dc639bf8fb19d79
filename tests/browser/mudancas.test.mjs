// The "O que mudou" view (web/mudancas.js) in a real browser, against `ruptura demo` on a
// temporary database: two whole-book jobs are recorded as runs; the view lists the orders that
// changed, grouped by kind, each with its causes in words, and a row's link opens the order's
// details in the book.
//
//   RUPTURA_BIN=target/debug/ruptura node --test mudancas.test.mjs     (or ./run.sh)

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { artifactPath, launchBrowser, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ pedidos: 300, seed: 7 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function getJson(path, init) {
  const r = await fetch(server.url + path, init);
  const body = await r.json();
  assert.ok(r.ok, `${path}: HTTP ${r.status} ${JSON.stringify(body)}`);
  return body;
}

/** A whole-book job (no pedidos, no filtros), waited for: it is recorded as a run. */
async function wholeBookJob(extra = {}) {
  const created = await getJson('/api/ruptura/jobs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(extra),
  });
  for (let i = 0; i < 600; i++) {
    const st = await getJson(`/api/ruptura/jobs/${created.job_id}`);
    if (st.estado !== 'em_andamento') {
      assert.equal(st.estado, 'concluido', JSON.stringify(st));
      assert.equal(st.mensagem, undefined, 'the run was recorded');
      return st;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('job did not finish');
}

function plusDays(iso, days) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

async function withPage(name, fn) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'pt-BR' });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  try {
    await fn(page);
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await page.screenshot({ path: artifactPath(`${name}.png`) }).catch(() => {});
    await context.close();
  }
}

test('"O que mudou" says when there is nothing to compare yet', async () => {
  await withPage('mudancas-vazio', async (page) => {
    await page.goto(`${server.url}/carteira`);
    await page.click('#btn-mudancas');
    await page.waitForSelector('#mudancas[open]');
    await page.waitForFunction(() => /Nenhuma análise/.test(document.getElementById('mud-estado').textContent));
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.getElementById('mudancas').open);
  });
});

test('"O que mudou" lists the changed orders by kind, with causes in words, linking to the details', async () => {
  const first = await wholeBookJob();
  await wholeBookJob({ data_base: plusDays(first.data_base, 5) });
  const api = await getJson('/api/ruptura/mudancas');
  assert.ok(api.mudancas.length > 0, 'five days later, some orders changed');

  await withPage('mudancas', async (page) => {
    await page.goto(`${server.url}/carteira#mudancas`);
    await page.waitForSelector('#mudancas[open] li[data-pedido]', { timeout: 30_000 });
    const shown = await page.$$eval('#mudancas li[data-pedido]', (items) =>
      items.map((li) => ({
        num: li.dataset.pedido,
        tipo: li.dataset.tipo,
        grupo: li.closest('section').dataset.tipo,
        causas: [...li.querySelectorAll('li[data-causa]')].map((c) => c.textContent),
        href: li.querySelector('a').getAttribute('href'),
      })),
    );
    // Every changed order of the API, once, in its kind's group, with the API's words.
    assert.equal(shown.length, api.mudancas.length);
    for (const m of api.mudancas) {
      const row = shown.find((s) => s.num === m.num_pedido);
      assert.ok(row, `${m.num_pedido} shown`);
      assert.equal(row.tipo, m.tipo);
      assert.equal(row.grupo, m.tipo);
      assert.deepEqual(row.causas, m.causas.map((c) => c.texto));
      assert.equal(row.href, `/carteira?busca=${encodeURIComponent(m.num_pedido)}#detalhes=${encodeURIComponent(m.num_pedido)}`);
    }
    const kinds = await page.$$eval('#mudancas section[data-tipo]', (s) => s.map((x) => x.dataset.tipo));
    assert.deepEqual(kinds, [...new Set(api.mudancas.map((m) => m.tipo))]);
    const status = await page.textContent('#mud-estado');
    assert.match(status, new RegExp(`${api.mudancas.length} pedido\\(s\\) mudaram`));

    await page.screenshot({ path: artifactPath('mudancas-lista.png') });

    // The row's link: the book filtered to that order, with its details open.
    const target = api.mudancas.find((m) => m.tipo !== 'saiu') || api.mudancas[0];
    await page.click(`#mudancas li[data-pedido="${target.num_pedido}"] a`);
    await page.waitForSelector('#detalhes[open]', { timeout: 30_000 });
    const title = await page.textContent('#det-titulo');
    assert.ok(title.includes(target.num_pedido), title);
    await page.screenshot({ path: artifactPath('mudancas-detalhes.png') });
  });
});
