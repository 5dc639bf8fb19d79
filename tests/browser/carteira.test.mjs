// End-to-end tests of the order-book page (/carteira) in a real browser: Debian's chromium driven
// by playwright-core, against `ruptura demo` on a temporary database (300 orders, seed 7).
//
//   RUPTURA_BIN=target/debug/ruptura node --test carteira.test.mjs     (or ./run.sh)
//
// Screenshots go to artifacts/browser/ (git-ignored).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import { artifactPath, launchBrowser, startServer } from './harness.mjs';

const XSS = '<img src=x onerror=alert(1)>';
const TOKEN = 'tok-browser-test-9f3c2a71';
const BATCH_PATH = '/carteira/api/ruptura/analisar-lote-async';
const SHORT = ['CRITICA', 'ALTA', 'MEDIA', 'BAIXA'];
const LEVELS = ['CRITICA', 'ALTA', 'MEDIA', 'BAIXA', 'OK', 'ERRO'];
const BOOK = 300;
const PAGE_SIZE = 100;

const moeda = (v) => new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' }).format(v);
// Percentages with exactly one decimal, as the page shows them.
const pct = (v) => `${new Intl.NumberFormat('pt-BR', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v)}%`;
const dataBR = (iso) => iso.replace(/^(\d{4})-(\d{2})-(\d{2}).*$/, '$3/$2/$1');
const critOf = (res) => (res && res.success ? res.resumo.criticidade : 'ERRO');

let server;
let browser;

before(async () => {
  server = await startServer({ pedidos: BOOK, seed: 7 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// ------------------------------------------------------------------ helpers

async function getJson(base, path, init) {
  const r = await fetch(base + path, init);
  const body = await r.json();
  assert.ok(r.ok, `${path}: HTTP ${r.status} ${JSON.stringify(body)}`);
  return body;
}

/** The batch API, in the page's default mode (prioridade) unless told otherwise. */
async function batch(base, pedidos, headers = {}, modo = 'prioridade') {
  return getJson(base, BATCH_PATH, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ pedidos, modo }),
  });
}

/**
 * Opens a page with listeners for console errors, dialogs and requests, runs `fn`, and always
 * keeps a screenshot. Checks that no console error, dialog or XSS side effect happened.
 */
async function withPage(name, fn, { allowConsole = [] } = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'pt-BR' });
  const page = await context.newPage();
  const seen = { console: [], dialogs: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') seen.console.push(m.text());
  });
  page.on('pageerror', (e) => seen.console.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('request', (r) => seen.requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
  // Any script injected through the data would call alert: record it as well as the dialog.
  await page.addInitScript(() => {
    const original = window.alert;
    window.alert = function alertSpy(...args) {
      window.__xss = true;
      return original.apply(this, args);
    };
  });
  try {
    await fn(page, seen);
    const xss = await page.evaluate(() => window.__xss === true);
    assert.equal(xss, false, 'a script from the data ran');
    assert.deepEqual(seen.dialogs, [], 'no dialog may open');
    const errors = seen.console.filter((t) => !allowConsole.some((re) => re.test(t)));
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await page.screenshot({ path: artifactPath(`${name}.png`) }).catch(() => {});
    await context.close();
  }
}

/** Waits until the page's analysis ended and every row shows a badge. */
async function waitBadges(page, { minRows = 1 } = {}) {
  await page.waitForFunction(
    (min) => {
      const rows = document.querySelectorAll('tr[data-pedido]');
      return (
        rows.length >= min &&
        document.body.dataset.analisePagina === 'concluida' &&
        [...rows].every((r) => r.querySelector('[data-criticidade]'))
      );
    },
    minRows,
    { timeout: 60_000 },
  );
}

/** Waits until the list shows `n` rows and is not loading. */
async function waitRowCount(page, n) {
  await page.waitForFunction(
    (want) =>
      document.querySelectorAll('tr[data-pedido]').length === want &&
      !document.getElementById('tabela-wrap').hasAttribute('aria-busy'),
    n,
    { timeout: 60_000 },
  );
}

async function readRows(page) {
  return page.$$eval('tr[data-pedido]', (rows) =>
    rows.map((r) => ({
      num: r.dataset.pedido,
      crit: r.querySelector('[data-criticidade]')?.dataset.criticidade ?? null,
      cells: [...r.cells].map((c) => c.textContent),
      waiting: r.textContent.includes('Aguardando análise...'),
    })),
  );
}

async function listTotal(base, query) {
  const q = new URLSearchParams({ ...query, por_pagina: '1' });
  return (await getJson(base, `/api/carteira/pedidos?${q}`)).total;
}

// ------------------------------------------------------------------ tests

test('badges settle for every row and agree with the batch API', async () => {
  await withPage('badges', async (page, seen) => {
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    const rows = await readRows(page);
    assert.equal(rows.length, PAGE_SIZE);

    const api = await batch(server.url, rows.map((r) => r.num));
    const counts = { ok: 0, short: 0, err: 0 };
    for (const row of rows) {
      const res = api.resultados[row.num];
      const crit = critOf(res);
      assert.equal(row.crit, crit, `order ${row.num}`);
      if (crit === 'OK') counts.ok++;
      else if (crit === 'ERRO') counts.err++;
      else {
        counts.short++;
        const stock = row.cells[7];
        assert.ok(
          stock.includes(`${pct(res.resumo.percentual_ruptura)} do valor em risco`),
          `order ${row.num}: "% do valor em risco" under the badge, got ${stock}`,
        );
      }
    }
    assert.ok(counts.short > 0 && counts.ok > 0, 'the demo page has both OK and short orders');

    // Labels, not colour alone.
    const labels = await page.$$eval('[data-criticidade]', (els) => els.map((e) => [e.dataset.criticidade, e.textContent]));
    const label = { OK: 'OK', CRITICA: 'CRÍTICA', ALTA: 'ALTA', MEDIA: 'MÉDIA', BAIXA: 'BAIXA', ERRO: 'ERRO' };
    for (const [crit, text] of labels) assert.equal(text, label[crit]);

    // Brazilian formatting of values and dates, checked against the list API.
    const list = await getJson(server.url, '/api/carteira/pedidos?por_pagina=100');
    for (const [i, p] of list.pedidos.entries()) {
      assert.equal(rows[i].num, p.num_pedido);
      assert.equal(rows[i].cells[5].replace(/\s/g, ' '), moeda(p.valor_total).replace(/\s/g, ' '));
      if (p.expedicao) assert.ok(rows[i].cells[4].startsWith(dataBR(p.expedicao)), rows[i].cells[4]);
      assert.equal(rows[i].cells[1].startsWith(p.raz_social_red), true, 'client name shown as text');
    }

    // The progress box: 100%, counts that agree with the API.
    assert.match(await page.textContent('#prog-texto'), /^100% — 100 pedidos analisados em \d+,\d s\.$/);
    assert.equal(await page.textContent('#prog-ok'), String(counts.ok));
    assert.equal(await page.textContent('#prog-ruptura'), String(counts.short));
    assert.equal(await page.textContent('#prog-erros'), String(counts.err));
    assert.equal(await page.getAttribute('#prog-barra', 'value'), '100');

    // Batches of at most 20, and everything from the server itself (no CDN).
    const posts = seen.requests.filter((r) => r.method === 'POST' && r.url.endsWith(BATCH_PATH));
    assert.equal(posts.length, 5);
    for (const p of posts) assert.ok(JSON.parse(p.body).pedidos.length <= 20);
    for (const r of seen.requests) assert.ok(r.url.startsWith(server.url), `external request ${r.url}`);
  });
});

test('rows wait, then fill in batch by batch, at most 3 requests in flight', async () => {
  await withPage('lotes', async (page) => {
    const held = [];
    let release = false;
    await page.route(`**${BATCH_PATH}`, (route) => {
      if (release) route.continue();
      else held.push(route);
    });
    await page.goto(`${server.url}/carteira`);
    await page.waitForFunction(() => document.querySelectorAll('tr[data-pedido]').length === 100);
    const deadline = Date.now() + 10_000;
    while (held.length < 3 && Date.now() < deadline) await page.waitForTimeout(50);
    await page.waitForTimeout(300); // would a 4th request go out?
    assert.equal(held.length, 3, 'three batch requests in flight');

    let rows = await readRows(page);
    assert.ok(rows.every((r) => r.waiting && r.crit === null), 'every row waits for its analysis');
    const batches = held.map((r) => r.request().postDataJSON().pedidos);
    for (const b of batches) assert.equal(b.length, 20);

    // One batch answered: exactly its rows get badges, and the progress moves.
    await held[0].continue();
    await page.waitForFunction(
      (nums) => nums.every((n) => document.querySelector(`tr[data-pedido="${n}"] [data-criticidade]`)),
      batches[0],
    );
    rows = await readRows(page);
    const done = new Set(batches[0]);
    for (const r of rows) assert.equal(r.crit !== null, done.has(r.num), `row ${r.num}`);
    assert.match(await page.textContent('#prog-texto'), /^20% — 20 de 100 pedidos analisados/);
    await page.screenshot({ path: artifactPath('lotes-parcial.png') });

    release = true;
    for (const r of held.slice(1)) await r.continue();
    await waitBadges(page);
  });
});

test('"Ver detalhes" opens a modal with the short lines and a chart per line; keyboard and Escape work', async () => {
  await withPage('detalhes', async (page) => {
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    const rows = await readRows(page);
    const candidates = rows.filter((r) => SHORT.includes(r.crit)).map((r) => r.num);
    const api = await batch(server.url, candidates);
    // An order with several short lines shows more of the modal.
    const num = candidates.reduce((best, n) =>
      api.resultados[n].itens.length > api.resultados[best].itens.length ? n : best,
    );
    const res = api.resultados[num];
    const r = res.resumo;

    const button = page.locator(`tr[data-pedido="${num}"] button[data-detalhes]`);
    await button.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detalhes[open]');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'det-fechar', 'focus moves into the dialog');

    const summary = await page.textContent('#detalhes .resumo');
    assert.ok(summary.includes(`${pct(r.percentual_ruptura)} do valor`), summary);
    assert.ok(summary.includes(`${r.qtd_itens_ruptura} de ${r.total_itens}`), summary);
    const norm = (s) => s.replace(/\s/g, ' ');
    assert.ok(norm(summary).includes(norm(moeda(r.valor_total_pedido))), summary);
    assert.ok(norm(summary).includes(norm(moeda(r.valor_com_ruptura))), summary);
    const total = r.data_disponibilidade_total;
    assert.ok(summary.includes(total ? dataBR(total) : 'sem previsão'), summary);

    const lines = await page.$$eval('#detalhes .tabela-ruptura tbody tr', (trs) =>
      trs.map((tr) => [...tr.cells].map((c) => c.textContent)),
    );
    assert.equal(lines.length, res.itens.length);
    assert.ok(lines.length >= 1);
    for (const [i, item] of res.itens.entries()) {
      assert.equal(lines[i][0], item.cod_produto);
      assert.equal(lines[i][1], item.nome_produto);
      assert.equal(lines[i][8], item.data_disponivel ? dataBR(item.data_disponivel) : 'sem previsão');
    }

    const charts = await page.$$eval('#detalhes svg.grafico-projecao', (svgs) =>
      svgs.map((s) => ({
        zero: s.querySelectorAll('line.linha-zero').length,
        need: s.querySelectorAll('line.linha-necessario').length,
        points: s.querySelectorAll('circle').length,
        days: Number(s.dataset.dias),
        label: s.getAttribute('aria-label'),
      })),
    );
    assert.equal(charts.length, res.itens.length, 'one chart per short line');
    for (const [i, c] of charts.entries()) {
      assert.equal(c.zero, 1, 'zero line');
      assert.equal(c.need, 1, 'the quantity the order needs');
      const proj = res.itens[i].projecao;
      assert.equal(c.days, proj.length, 'the chart spans every projected day');
      if (proj.length <= 16) assert.equal(c.points, proj.length, 'one point per projected day');
      // The projection runs to the day the line is covered (or the last known event).
      if (res.itens[i].data_disponivel && proj.length > 8) assert.equal(proj[proj.length - 1].data, res.itens[i].data_disponivel);
      assert.ok(c.label.includes(res.itens[i].cod_produto));
    }
    await page.screenshot({ path: artifactPath('detalhes-modal.png') });

    // Tab stays inside the dialog.
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      assert.ok(await page.evaluate(() => document.getElementById('detalhes').contains(document.activeElement)));
    }
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.getElementById('detalhes').open);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.detalhes), num, 'focus returns to the button');
  });
});

test('names with <, & and quotes, and a product named <img src=x onerror=alert(1)>, show as text', async () => {
  await withPage('xss', async (page, seen) => {
    const found = await getJson(server.url, `/api/carteira/pedidos?${new URLSearchParams({ busca: 'onerror', por_pagina: '100' })}`);
    assert.ok(found.total > 0, 'the demo data carries the XSS product');
    const api = await batch(server.url, found.pedidos.map((p) => p.num_pedido));
    const inShort = found.pedidos.find((p) => api.resultados[p.num_pedido].itens?.some((i) => i.nome_produto === XSS));
    const order = inShort || found.pedidos[0];

    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    await page.fill('#f-busca', 'onerror');
    await waitRowCount(page, Math.min(found.total, PAGE_SIZE));
    await waitBadges(page);
    assert.ok(page.url().includes('busca=onerror'));

    // Client names with markup characters, verbatim.
    const clients = found.pedidos.filter((p) => /[<&"']/.test(p.raz_social_red || ''));
    for (const p of clients) {
      const cell = await page.textContent(`tr[data-pedido="${p.num_pedido}"] .cliente`);
      assert.equal(cell, p.raz_social_red);
    }

    await page.click(`tr[data-pedido="${order.num_pedido}"] button[data-detalhes]`);
    await page.waitForSelector('#detalhes[open]');
    if (!inShort) await page.click('#detalhes details summary');
    const name = page.locator('#detalhes').getByText(XSS, { exact: true }).first();
    assert.ok(await name.isVisible(), 'the product name is visible as text');
    await page.screenshot({ path: artifactPath('xss-modal.png') });

    assert.equal(await page.locator('img').count(), 0, 'no <img> element was created from the data');
    await page.waitForTimeout(300);
    assert.ok(!seen.requests.some((r) => /\/x$/.test(new URL(r.url).pathname)), 'no request for the image "x"');
  });
});

test('filters narrow the rows; sorting and paging follow the API', async () => {
  await withPage('filtros', async (page) => {
    const base = server.url;
    await page.goto(`${base}/carteira`);
    await waitBadges(page);

    // UF
    const { estados } = await getJson(base, '/api/carteira/filtros');
    let uf = estados[0];
    let ufTotal = 0;
    for (const e of estados) {
      const n = await listTotal(base, { estado: e });
      if (n > ufTotal) [uf, ufTotal] = [e, n];
    }
    assert.ok(ufTotal > 0 && ufTotal < BOOK);
    await page.selectOption('#f-estado', uf);
    await waitRowCount(page, Math.min(ufTotal, PAGE_SIZE));
    let rows = await readRows(page);
    for (const r of rows) assert.ok(r.cells[2].endsWith(`/${uf}`), r.cells[2]);
    assert.ok(page.url().includes(`estado=${uf}`));
    assert.ok((await page.textContent('#resumo-carteira')).startsWith(`${ufTotal} pedidos`));

    // + seller
    const vendedor = await page.textContent(`tr[data-pedido="${rows[0].num}"] td:nth-child(4) span`);
    const both = await listTotal(base, { estado: uf, vendedor });
    await page.selectOption('#f-vendedor', vendedor);
    await waitRowCount(page, Math.min(both, PAGE_SIZE));
    rows = await readRows(page);
    assert.ok(rows.length <= ufTotal);
    for (const r of rows) assert.ok(r.cells[3].startsWith(vendedor) && r.cells[2].endsWith(`/${uf}`));
    await waitBadges(page);

    // team alone
    await page.click('#btn-limpar');
    await waitRowCount(page, PAGE_SIZE);
    const { equipes } = await getJson(base, '/api/carteira/filtros');
    const equipe = equipes[0];
    const teamTotal = await listTotal(base, { equipe_vendas: equipe });
    await page.selectOption('#f-equipe', equipe);
    await waitRowCount(page, Math.min(teamTotal, PAGE_SIZE));
    rows = await readRows(page);
    for (const r of rows) assert.ok(r.cells[3].endsWith(equipe), r.cells[3]);

    // free text: one order number
    await page.click('#btn-limpar');
    await waitRowCount(page, PAGE_SIZE);
    const target = (await readRows(page))[42].num;
    await page.fill('#f-busca', target);
    await waitRowCount(page, 1);
    assert.equal((await readRows(page))[0].num, target);
    await waitBadges(page);

    // sorting by value, descending first, as the API does it
    await page.click('#btn-limpar');
    await waitRowCount(page, PAGE_SIZE);
    await page.click('th[data-ordem="valor"] button');
    const expected = await getJson(base, '/api/carteira/pedidos?ordem=valor&direcao=desc&por_pagina=100');
    await page.waitForFunction(
      (first) => document.querySelector('tr[data-pedido]')?.dataset.pedido === first,
      expected.pedidos[0].num_pedido,
    );
    rows = await readRows(page);
    assert.deepEqual(rows.map((r) => r.num), expected.pedidos.map((p) => p.num_pedido));
    assert.equal(await page.getAttribute('th[data-ordem="valor"]', 'aria-sort'), 'descending');

    // paging
    const page2 = await getJson(base, '/api/carteira/pedidos?ordem=valor&direcao=desc&por_pagina=100&pagina=2');
    await page.click('#pag-proxima');
    await page.waitForFunction(
      (first) => document.querySelector('tr[data-pedido]')?.dataset.pedido === first,
      page2.pedidos[0].num_pedido,
    );
    assert.equal(await page.textContent('#pag-info'), 'Página 2 de 3');
    await waitBadges(page);
    await page.click('#pag-anterior');
    await page.waitForFunction(
      (first) => document.querySelector('tr[data-pedido]')?.dataset.pedido === first,
      expected.pedidos[0].num_pedido,
    );
    // Page 1 was analysed already: its badges come back at once.
    await waitBadges(page);
  });
});

test('"Analisar tudo" follows the job to the end; counts add up; the criticality filter narrows the book', async () => {
  await withPage('analisar-tudo', async (page) => {
    let jobId = null;
    page.on('response', async (r) => {
      if (r.request().method() === 'POST' && r.url().endsWith('/api/ruptura/jobs')) jobId = (await r.json()).job_id;
    });
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    await page.click('#btn-analisar-tudo');
    await page.waitForSelector('#job[data-estado="concluido"]', { timeout: 60_000 });

    const counts = Object.fromEntries(
      await page.$$eval('#job [data-contagem]', (els) => els.map((e) => [e.dataset.contagem, Number(e.textContent.replace(/\./g, ''))])),
    );
    assert.deepEqual(Object.keys(counts).sort(), [...LEVELS].sort());
    const sum = Object.values(counts).reduce((a, b) => a + b, 0);
    assert.equal(sum, BOOK, 'counts add up to the whole book');
    assert.ok(jobId);
    const status = await getJson(server.url, `/api/ruptura/jobs/${jobId}`);
    assert.equal(status.estado, 'concluido');
    assert.equal(status.processados, BOOK);
    for (const l of LEVELS) assert.equal(counts[l], status.por_criticidade[l] ?? 0, l);
    assert.match(await page.textContent('#job-texto'), /^Concluída: 300 pedidos em/);
    assert.equal(await page.getAttribute('#job-barra', 'value'), '100');
    await page.screenshot({ path: artifactPath('analisar-tudo.png') });

    // The shortcut narrows the whole book to the critical orders.
    await page.click('#job-atalhos .atalho-CRITICA');
    await waitRowCount(page, Math.min(counts.CRITICA, PAGE_SIZE));
    await waitBadges(page);
    let rows = await readRows(page);
    assert.ok(rows.every((r) => r.crit === 'CRITICA'));
    assert.ok((await page.textContent('#resumo-carteira')).startsWith(`${counts.CRITICA} pedidos`));

    // And the criticality menu does the same.
    await page.selectOption('#f-criticidade', 'ALTA');
    await waitRowCount(page, Math.min(counts.ALTA, PAGE_SIZE));
    await waitBadges(page);
    rows = await readRows(page);
    assert.ok(rows.every((r) => r.crit === 'ALTA'));
    assert.ok(page.url().includes('criticidade=ALTA'));
  });
});

test('choosing a criticality first runs the analysis of the filtered book by itself', async () => {
  await withPage('criticidade-direta', async (page) => {
    // Each order on its own: in priority order nearly every order of the demo book is short.
    const found = await getJson(server.url, '/api/carteira/pedidos?estado=SP&por_pagina=1000');
    const api = await batch(server.url, found.pedidos.map((p) => p.num_pedido), {}, 'independente');
    const short = found.pedidos.filter((p) => SHORT.includes(critOf(api.resultados[p.num_pedido])));
    assert.ok(short.length > 0 && short.length < found.total);

    await page.goto(`${server.url}/carteira?estado=SP&modo=independente`);
    await waitBadges(page);
    await page.selectOption('#f-criticidade', 'CRITICA,ALTA,MEDIA,BAIXA');
    await page.waitForSelector('#job[data-estado="concluido"]', { timeout: 60_000 });
    await waitRowCount(page, Math.min(short.length, PAGE_SIZE));
    await waitBadges(page);
    const rows = await readRows(page);
    assert.deepEqual(rows.map((r) => r.num).sort(), short.map((p) => p.num_pedido).slice(0, PAGE_SIZE).sort());
    assert.ok(rows.every((r) => SHORT.includes(r.crit)));
  });
});

test('"Reanalisar" analyses the visible orders again', async () => {
  await withPage('atualizar', async (page, seen) => {
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    const before = seen.requests.length;
    await page.click('#btn-atualizar');
    await waitBadges(page);
    const again = seen.requests
      .slice(before)
      .filter((r) => r.method === 'POST' && r.url.endsWith(BATCH_PATH))
      .flatMap((r) => JSON.parse(r.body).pedidos);
    const rows = await readRows(page);
    assert.deepEqual([...again].sort(), rows.map((r) => r.num).sort(), 'every visible order is requested again');
  });
});

test('with API_TOKEN the page asks for the token once and works, event stream included, without the token in any URL', async () => {
  const secured = await startServer({ pedidos: 120, seed: 11, env: { API_TOKEN: TOKEN } });
  try {
    const denied = await fetch(`${secured.url}/api/carteira/pedidos`);
    assert.equal(denied.status, 401, 'the server does require the token');

    await withPage('token', async (page, seen) => {
      await page.goto(`${secured.url}/carteira`);
      await page.waitForSelector('#login[open]');
      assert.equal(await page.locator('tr[data-pedido]').count(), 0);
      await page.screenshot({ path: artifactPath('token-pedido.png') });
      await page.fill('#login-token', TOKEN);
      await page.click('#login-entrar');
      await page.waitForFunction(() => !document.getElementById('login').open);
      await waitBadges(page);

      const rows = await readRows(page);
      const api = await batch(secured.url, rows.map((r) => r.num), { Authorization: `Bearer ${TOKEN}` });
      for (const r of rows) assert.equal(r.crit, critOf(api.resultados[r.num]));

      await page.click('#btn-analisar-tudo');
      await page.waitForSelector('#job[data-estado="concluido"]', { timeout: 60_000 });
      const counts = await page.$$eval('#job [data-contagem]', (els) => els.map((e) => Number(e.textContent)));
      assert.equal(counts.reduce((a, b) => a + b, 0), 120);
      assert.ok(seen.requests.some((r) => r.url.includes('/eventos')), 'the event stream was used');

      // A reload keeps the session: no second prompt.
      await page.reload();
      await waitBadges(page);
      assert.equal(await page.locator('#login[open]').count(), 0);

      for (const r of seen.requests) assert.ok(!r.url.includes(TOKEN), `token in a URL: ${r.url}`);
      const withToken = seen.requests.filter((r) => (r.body || '').includes(TOKEN));
      assert.equal(withToken.length, 1, 'the token is sent once');
      assert.ok(withToken[0].url.endsWith('/api/auth/sessao'));
      assert.ok(!(await page.evaluate(() => document.cookie)).includes(TOKEN));
    });
  } finally {
    await secured.stop();
  }
});

// ------------------------------------------------------------------ the planner's page (issue 10)

const PRAZOS = ['no_prazo', 'atrasa', 'vencida', 'sem_previsao', 'sem_expedicao'];
const SEVERITY = { CRITICA: 4, ALTA: 3, MEDIA: 2, BAIXA: 1, OK: 0, ERRO: -1 };

/** A context of a given size (the two: 1440x900 and 390x844). */
async function withViewport(name, viewport, fn, opts) {
  const context = await browser.newContext({ viewport, locale: 'pt-BR', acceptDownloads: true, ...opts });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await fn(page, context);
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await page.screenshot({ path: artifactPath(`${name}.png`) }).catch(() => {});
    await context.close();
  }
}

/** Waits for the analysis of the whole filtered book (the job) to end. */
async function waitJob(page) {
  await page.waitForSelector('#job[data-estado="concluido"]', { timeout: 60_000 });
}

async function jobStats(base, body) {
  const created = await getJson(base, '/api/ruptura/jobs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  for (;;) {
    const st = await getJson(base, `/api/ruptura/jobs/${created.job_id}`);
    if (st.estado !== 'em_andamento') return { id: created.job_id, status: st };
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('wording, one decimal in percentages, prazo on every row, and a single live region', async () => {
  await withPage('palavras', async (page) => {
    await page.addInitScript(() => {
      window.__anuncios = [];
      document.addEventListener('DOMContentLoaded', () => {
        const el = document.getElementById('anuncio');
        new MutationObserver(() => window.__anuncios.push(el.textContent)).observe(el, {
          subtree: true,
          childList: true,
          characterData: true,
        });
      });
    });
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    assert.match(await page.textContent('#btn-atualizar'), /Reanalisar/);
    assert.ok(!(await page.textContent('body')).includes('Atualizar estoque'));
    assert.match(await page.textContent('thead'), /Situação/);
    const risks = await page.$$eval('.risco', (els) => els.map((e) => e.textContent));
    assert.ok(risks.length > 0);
    for (const r of risks) assert.match(r, /^\d{1,3}(\.\d{3})*,\d% do valor em risco$/, r);

    // Every analysed row says its prazo, with the wire value, as the API does.
    const rows = await page.$$eval('tr[data-pedido]', (trs) =>
      trs.map((tr) => ({ num: tr.dataset.pedido, prazo: tr.querySelector('[data-prazo]')?.dataset.prazo, text: tr.querySelector('[data-prazo]')?.textContent })),
    );
    const api = await batch(server.url, rows.map((r) => r.num));
    for (const r of rows) {
      const res = api.resultados[r.num];
      if (!res.success) continue;
      assert.ok(PRAZOS.includes(r.prazo), `${r.num}: ${r.prazo}`);
      assert.equal(r.prazo, res.resumo.prazo, r.num);
      if (r.prazo === 'atrasa') assert.equal(r.text, `Atrasa ${res.resumo.dias_atraso} d`);
    }

    // Live regions: one (plus the alert banners), announcing the start and the end only.
    const live = await page.$$eval('[aria-live], [role="status"], [role="log"]', (els) => els.map((e) => e.id));
    assert.deepEqual(live, ['anuncio']);
    const said = await page.evaluate(() => window.__anuncios);
    assert.ok(said.length >= 2 && said.length <= 6, `announcements: ${JSON.stringify(said)}`);
    assert.ok(said.some((t) => /^Analisando 100 pedidos/.test(t)), JSON.stringify(said));
    assert.ok(said.some((t) => /^100% — 100 pedidos analisados/.test(t)), JSON.stringify(said));
  });
});

test('the mode switch: prioridade by default, in the URL, said next to the table; independente one click away', async () => {
  await withPage('modo', async (page, seen) => {
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    assert.ok(page.url().includes('modo=prioridade'));
    assert.match(await page.textContent('#modo-texto'), /fila de prioridade/);
    const first = seen.requests.filter((r) => r.method === 'POST' && r.url.endsWith(BATCH_PATH));
    assert.ok(first.length > 0 && first.every((r) => JSON.parse(r.body).modo === 'prioridade'));
    let rows = await readRows(page);
    let api = await batch(server.url, rows.map((r) => r.num), {}, 'prioridade');
    for (const r of rows) assert.equal(r.crit, critOf(api.resultados[r.num]), r.num);

    const before = seen.requests.length;
    await page.check('input[name="modo"][value="independente"]');
    await page.waitForFunction(() => window.location.search.includes('modo=independente'));
    await waitBadges(page);
    assert.match(await page.textContent('#modo-texto'), /cada pedido sozinho/);
    const again = seen.requests.slice(before).filter((r) => r.method === 'POST' && r.url.endsWith(BATCH_PATH));
    assert.ok(again.length > 0 && again.every((r) => JSON.parse(r.body).modo === 'independente'));
    rows = await readRows(page);
    api = await batch(server.url, rows.map((r) => r.num), {}, 'independente');
    for (const r of rows) assert.equal(r.crit, critOf(api.resultados[r.num]), r.num);
    // The job of the filtered book follows the mode too.
    const jobs = seen.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/ruptura/jobs'));
    assert.equal(JSON.parse(jobs[jobs.length - 1].body).modo, 'independente');
  });
});

test('sorting by criticality covers the whole filtered book, across pages', async () => {
  await withPage('ordem-criticidade', async (page) => {
    await page.goto(`${server.url}/carteira?modo=prioridade`);
    await waitBadges(page);
    await page.selectOption('#f-ordem', 'criticidade:desc');
    await page.waitForFunction(() => window.location.search.includes('ordem=criticidade'));
    await waitBadges(page, { minRows: 100 });
    const all = await jobStats(server.url, { modo: 'prioridade' });
    const res = await getJson(server.url, `/api/ruptura/jobs/${all.id}/resultados`);
    const sev = (n) => SEVERITY[critOf(res.resultados[n])];
    const page1 = (await readRows(page)).map((r) => r.num);
    await page.click('#pag-proxima');
    await page.waitForFunction((first) => document.querySelector('tr[data-pedido]')?.dataset.pedido !== first, page1[0]);
    await waitBadges(page);
    const page2 = (await readRows(page)).map((r) => r.num);
    const seq = [...page1, ...page2].map(sev);
    for (let i = 1; i < seq.length; i++) assert.ok(seq[i - 1] >= seq[i], `order ${i}: ${seq[i - 1]} then ${seq[i]}`);
    // The first page holds the worst orders of the whole book.
    const counts = {};
    for (const r of Object.values(res.resultados)) counts[critOf(r)] = (counts[critOf(r)] || 0) + 1;
    assert.equal(page1.filter((n) => critOf(res.resultados[n]) === 'CRITICA').length, Math.min(100, counts.CRITICA || 0));
  });
});

test('ship-date range filter and totals of the current filter, never stale', async () => {
  await withPage('expedicao-totais', async (page) => {
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    await waitJob(page);
    const book = await jobStats(server.url, { modo: 'prioridade' });
    const total = async () => (await page.getAttribute('#totais', 'data-estado')) === 'pronto' && page.textContent('#totais [data-total="valor_total"] dd');
    const norm = (s) => String(s).replace(/\s/g, ' ');
    assert.equal(norm(await total()), norm(moeda(book.status.valor_total ?? 0)));

    // A range: only orders shipping in it, and totals for exactly those.
    const list = await getJson(server.url, '/api/carteira/pedidos?por_pagina=1000&ordem=expedicao');
    const dated = list.pedidos.filter((p) => p.expedicao).map((p) => p.expedicao).sort();
    const de = dated[Math.floor(dated.length / 4)];
    const ate = dated[Math.floor(dated.length / 2)];
    const inRange = list.pedidos.filter((p) => p.expedicao && p.expedicao >= de && p.expedicao <= ate);
    await page.selectOption('#f-expedicao', 'intervalo');
    await page.fill('#f-exp-de', de);
    await page.locator('#f-exp-de').dispatchEvent('change');
    await page.waitForFunction((d) => window.location.search.includes(`expedicao_de=${d}`), de);
    await page.fill('#f-exp-ate', ate);
    await page.locator('#f-exp-ate').dispatchEvent('change');
    await page.waitForFunction((d) => window.location.search.includes(`expedicao_ate=${d}`), ate);
    await waitRowCount(page, Math.min(inRange.length, PAGE_SIZE));
    const rows = await readRows(page);
    for (const r of rows) assert.ok(inRange.some((p) => p.num_pedido === r.num), r.num);
    assert.ok(page.url().includes(`expedicao_de=${de}`));
    // While the new filter's analysis runs, the old totals are gone.
    await waitJob(page);
    await page.waitForSelector('#totais[data-estado="pronto"]');
    const filtered = await jobStats(server.url, { modo: 'prioridade', filtros: { expedicao_de: de, expedicao_ate: ate } });
    assert.equal(filtered.status.total_pedidos, inRange.length);
    assert.equal(norm(await page.textContent('#totais [data-total="valor_total"] dd')), norm(moeda(filtered.status.valor_total)));
    assert.equal(norm(await page.textContent('#totais [data-total="valor_agora"] dd')), norm(moeda(filtered.status.valor_agora)));
    assert.equal(await page.textContent('#totais [data-total="total_pedidos"] dd'), String(inRange.length));
  });
});

test('"Produtos em falta": ranked by value unlocked; a row opens the orders it blocks', async () => {
  await withViewport('produtos-pedidos-1440', { width: 1440, height: 900 }, async (page) => {
    await page.goto(`${server.url}/carteira`);
    await waitJob(page);
    await page.click('#aba-produtos');
    await page.waitForSelector('#linhas-produtos tr[data-produto]');
    const values = await page.$$eval('#linhas-produtos [data-valor-destravado]', (els) => els.map((e) => Number(e.dataset.valorDestravado)));
    for (let i = 1; i < values.length; i++) assert.ok(values[i - 1] >= values[i]);
    await page.screenshot({ path: artifactPath('produtos-1440.png') });
    const codigos = await page.getAttribute('#linhas-produtos tr[data-produto] button[data-codigos]', 'data-codigos');
    await page.click('#linhas-produtos tr[data-produto] button[data-codigos]');
    await page.waitForSelector('#filtro-produto:not([hidden])');
    await waitBadges(page);
    const rows = await readRows(page);
    assert.ok(rows.length > 0);
    const api = await batch(server.url, rows.map((r) => r.num));
    const set = new Set(codigos.split(','));
    for (const r of rows) assert.ok(api.resultados[r.num].itens.some((i) => set.has(i.cod_produto)), `${r.num} is blocked by ${codigos}`);
  });
});

test('exports: the workbook and the Brazilian CSV of the current filter and mode download and open', async () => {
  const { unzipSync, strFromU8 } = await import('fflate');
  await withViewport('exportar', { width: 1440, height: 900 }, async (page) => {
    await page.goto(`${server.url}/carteira?estado=SP`);
    await waitJob(page);
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#btn-xlsx')]);
    const xbytes = fs.readFileSync(await xlsx.path());
    const files = unzipSync(new Uint8Array(xbytes));
    const wb = strFromU8(files['xl/workbook.xml']);
    for (const name of ['Pedidos', 'Itens em falta', 'Produtos']) assert.ok(wb.includes(`name="${name}"`), name);
    const sheet1 = strFromU8(files['xl/worksheets/sheet1.xml']);
    assert.ok(/<c r="I2"[^>]*><v>[\d.]+<\/v>/.test(sheet1), 'valor_total_pedido is a number');
    assert.ok(/<c r="H2" s="\d+"><v>\d+<\/v>/.test(sheet1) || !/<c r="H2"/.test(sheet1), 'expedicao is a date serial');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#btn-csv')]);
    const cbytes = fs.readFileSync(await csv.path());
    assert.deepEqual([...cbytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    const lines = cbytes.subarray(3).toString('utf8').trim().split(/\r?\n/);
    assert.ok(lines[0].startsWith('num_pedido;'), lines[0]);
    const found = await getJson(server.url, '/api/carteira/pedidos?estado=SP&por_pagina=1000');
    assert.equal(lines.length - 1, found.total, 'one row per order of the filter');
    assert.ok(lines.slice(1).every((l) => / ?\d+,\d{2}(;|$)/.test(l)), 'decimal comma');
    assert.ok(lines.slice(1).some((l) => /;\d{2}\/\d{2}\/\d{4};/.test(l)), 'dd/mm/aaaa');
  });
});

test('1440x900: at least 15 orders visible; details dialog with partial shipment and a chart to the recovery day', async () => {
  await withViewport('lista-dialogo-1440', { width: 1440, height: 900 }, async (page) => {
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    await waitJob(page);
    const visible = await page.$$eval('tr[data-pedido]', (trs) => trs.filter((tr) => {
      const r = tr.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    }).length);
    assert.ok(visible >= 15, `${visible} orders visible`);
    // An OK row is not tinted.
    const okBg = await page.$eval('tr.crit-OK td', (td) => getComputedStyle(td).backgroundColor).catch(() => null);
    if (okBg) assert.ok(['rgba(0, 0, 0, 0)', 'rgb(255, 255, 255)'].includes(okBg), okBg);
    await page.screenshot({ path: artifactPath('lista-1440.png') });

    const rows = await readRows(page);
    const api = await batch(server.url, rows.filter((r) => SHORT.includes(r.crit)).map((r) => r.num));
    const parcial = Object.values(api.resultados).find((r) => r.resumo?.sugestao === 'parcial') || Object.values(api.resultados)[0];
    await page.click(`tr[data-pedido="${parcial.num_pedido}"] button[data-detalhes]`);
    await page.waitForSelector('#detalhes[open] .det-parcial');
    const text = (await page.textContent('#detalhes .det-parcial')).replace(/\s/g, ' ');
    const r = parcial.resumo;
    assert.ok(text.includes(`Sugestão: ${{ enviar: 'Enviar tudo', parcial: 'Enviar parcial', aguardar: 'Aguardar' }[r.sugestao]}`), text);
    if (r.valor_agora > 0) assert.ok(text.includes(moeda(r.valor_agora).replace(/\s/g, ' ')), text);
    assert.equal(await page.getAttribute('#detalhes [data-prazo]', 'data-prazo'), r.prazo);
    // The chart never takes more than half the dialog's width on a wide screen.
    const w = await page.$eval('#detalhes svg.grafico-projecao', (s) => s.getBoundingClientRect().width / document.getElementById('detalhes').getBoundingClientRect().width);
    assert.ok(w <= 0.55, `chart takes ${w} of the dialog`);
    await page.screenshot({ path: artifactPath('dialogo-1440.png') });
  });
});

test('390x844 phone: no sideways scroll; order, client, status and value first; the dialog fits', async () => {
  await withViewport('lista-dialogo-produtos-390', { width: 390, height: 844 }, async (page) => {
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    const noScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(await noScroll(), 'the page does not scroll sideways');
    const first = page.locator('tr[data-pedido]').first();
    for (const sel of ['.num-pedido', '.cliente', '[data-criticidade]', '.col-valor']) {
      const box = await first.locator(sel).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390 + 0.5, `${sel} on screen: ${JSON.stringify(box)}`);
    }
    // The order number is not broken in the middle.
    const numBox = await first.locator('.num-pedido').evaluate((e) => e.getClientRects().length);
    assert.equal(numBox, 1);
    await page.screenshot({ path: artifactPath('lista-390.png') });
    // The pager wraps.
    await page.locator('.paginacao').scrollIntoViewIfNeeded();
    assert.ok(await noScroll());
    await first.locator('button[data-detalhes]').click();
    await page.waitForSelector('#detalhes[open]');
    assert.ok(await noScroll(), 'no sideways scroll with the dialog open');
    const dlg = await page.$eval('#detalhes', (d) => d.getBoundingClientRect().width);
    assert.ok(dlg <= 390);
    await page.screenshot({ path: artifactPath('dialogo-390.png') });
    await page.keyboard.press('Escape');
    await page.click('#aba-produtos');
    await page.waitForSelector('#linhas-produtos tr[data-produto]');
    assert.ok(await noScroll(), 'the products view fits');
    await page.screenshot({ path: artifactPath('produtos-390.png') });
  });
});

test('print: the table of the current filter, without buttons or panels', async () => {
  await withViewport('impressao', { width: 1440, height: 900 }, async (page) => {
    await page.goto(`${server.url}/carteira?estado=SP`);
    await waitBadges(page);
    await page.emulateMedia({ media: 'print' });
    for (const sel of ['.filtros', '#job', '.paginacao', '#btn-atualizar', '.link-detalhes', '#progresso']) {
      const shown = await page.$$eval(sel, (els) => els.some((e) => e.getClientRects().length > 0));
      assert.equal(shown, false, `${sel} is not printed`);
    }
    assert.ok(await page.isVisible('#tabela-carteira'));
    assert.match(await page.textContent('#totais-modo'), /UF SP/);
  });
});

test('por_pagina is capped, and the page says so', async () => {
  const r = await fetch(`${server.url}/api/carteira/pedidos?por_pagina=20000`);
  assert.equal(r.status, 400);
  assert.match((await r.json()).message, /por_pagina deve ser de 1 a 1000/);
  await withPage('por-pagina', async (page) => {
    await page.goto(`${server.url}/carteira?por_pagina=20000`);
    await waitBadges(page, { minRows: 300 });
    assert.equal(await page.locator('tr[data-pedido]').count(), 300);
    assert.match(await page.textContent('#aviso'), /No máximo 500 pedidos por página/);
    assert.ok(page.url().includes('por_pagina=500'));
  });
});

test('responses are compressed; the job stream carries summaries unless asked for whole results', async () => {
  for (const path of ['/static/app.js', '/static/style.css', '/carteira', '/api/carteira/pedidos?por_pagina=300']) {
    const r = await fetch(server.url + path, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(r.headers.get('content-encoding'), 'gzip', path);
    await r.arrayBuffer();
  }
});

/** Stops the server under an open page and checks the failure state; returns the rows marked. */
async function checkFailure(page, srv) {
  const before = await readRows(page);
  await srv.stop({ keep: true });
  await page.click('#btn-atualizar');
  await page.waitForSelector('#falha:not([hidden])');
  assert.match(await page.textContent('#falha-texto'), /Não foi possível falar com o servidor/);
  await page.waitForFunction(() => document.body.dataset.analisePagina === 'falhou');
  assert.ok(!/Failed to fetch|NetworkError|TypeError/i.test(await page.textContent('body')), 'no browser English');
  assert.equal(await page.getAttribute('#progresso', 'data-estado'), 'falhou');
  const prog = await page.textContent('#prog-texto');
  assert.ok(!prog.startsWith('100%'), prog);
  assert.match(prog, /sem resposta do servidor/);
  // Rows keep what they showed, with a mark.
  const after = await readRows(page);
  assert.equal(await page.locator('tr[data-pedido] [data-falha]').count(), before.length, 'every row not updated is marked');
  for (const [i, r] of after.entries()) assert.equal(r.crit, before[i].crit, `${r.num} keeps its badge`);
  await page.waitForSelector('#job[data-estado="falhou"]', { timeout: 15_000 });
  assert.ok(await page.isVisible('#job-tentar'));
}

test('server stopped under the page: one Portuguese banner, rows marked, progress not a success, retry works', async () => {
  const own = await startServer({ pedidos: 150, seed: 5 });
  let back = null;
  try {
    await withViewport('falha-retomada-1440', { width: 1440, height: 900 }, async (page) => {
      await page.goto(`${own.url}/carteira`);
      await waitBadges(page);
      await waitJob(page);
      await checkFailure(page, own);
      await page.screenshot({ path: artifactPath('falha-1440.png') });
      // A filter change that fails leaves no rows of the old filter under the new name.
      await page.selectOption('#f-estado', { index: 1 });
      await page.waitForFunction(() => document.querySelectorAll('tr[data-pedido]').length === 0);
      assert.match(await page.textContent('#vazio'), /não pôde ser carregada/);
      assert.match(await page.textContent('#resumo-carteira'), /Carteira não carregada/);
      // The server comes back on the same address: "Tentar de novo" loads the filter again.
      back = await startServer({ pedidos: 150, seed: 5, port: own.port, dir: own.dir });
      await page.click('#btn-tentar');
      await page.waitForSelector('#falha', { state: 'hidden' });
      await waitBadges(page);
      await waitJob(page);
      assert.equal(await page.locator('[data-falha]').count(), 0);
    });
    await withViewport('falha-fim-390', { width: 390, height: 844 }, async (page) => {
      await page.goto(`${back.url}/carteira`);
      await waitBadges(page);
      await waitJob(page);
      await checkFailure(page, back);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
      await page.screenshot({ path: artifactPath('falha-390.png') });
    });
  } finally {
    await back?.stop({ keep: true });
    await own.stop();
  }
});

test('a job whose stream is lost gives up after a bounded time; cancel and retry', async () => {
  await withViewport('job-perdido', { width: 1440, height: 900 }, async (page) => {
    await page.addInitScript(() => {
      window.__rupturaReconexaoMs = 6000;
    });
    let block = true;
    await page.route('**/eventos', (route) => (block ? route.abort('connectionrefused') : route.continue()));
    await page.goto(`${server.url}/carteira`);
    await waitBadges(page);
    await page.waitForFunction(() => /reconectar/.test(document.getElementById('job-texto').textContent));
    assert.ok(await page.isVisible('#job-cancelar'));
    await page.waitForSelector('#job[data-estado="falhou"]', { timeout: 10_000 });
    assert.match(await page.textContent('#job-texto'), /não respondeu por 6 s/);
    assert.equal(await page.isDisabled('#btn-analisar-tudo'), false);
    assert.ok(await page.isVisible('#job-tentar'));
    // Cancel while reconnecting.
    await page.click('#job-tentar');
    await page.waitForFunction(() => /reconectar/.test(document.getElementById('job-texto').textContent));
    await page.click('#job-cancelar');
    await page.waitForSelector('#job[data-estado="cancelado"]');
    block = false;
    await page.click('#job-tentar');
    await waitJob(page);
  });
});
