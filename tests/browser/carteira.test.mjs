// End-to-end tests of the order-book page (/carteira) in a real browser: Debian's chromium driven
// by playwright-core, against `ruptura demo` on a temporary database (300 orders, seed 7).
//
//   RUPTURA_BIN=target/debug/ruptura node --test carteira.test.mjs     (or ./run.sh)
//
// Screenshots go to artifacts/browser/ (git-ignored).

import assert from 'node:assert/strict';
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
const pct = (v) => `${new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 2 }).format(v)}%`;
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

async function batch(base, pedidos, headers = {}) {
  return getJson(base, BATCH_PATH, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ pedidos }),
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
      assert.equal(lines[i][7], item.data_disponivel ? dataBR(item.data_disponivel) : 'sem previsão');
    }

    const charts = await page.$$eval('#detalhes svg.grafico-projecao', (svgs) =>
      svgs.map((s) => ({
        zero: s.querySelectorAll('line.linha-zero').length,
        need: s.querySelectorAll('line.linha-necessario').length,
        points: s.querySelectorAll('circle').length,
        label: s.getAttribute('aria-label'),
      })),
    );
    assert.equal(charts.length, res.itens.length, 'one chart per short line');
    for (const [i, c] of charts.entries()) {
      assert.equal(c.zero, 1, 'zero line');
      assert.equal(c.need, 1, 'the quantity the order needs');
      assert.equal(c.points, res.itens[i].projecao.length, 'one point per projected day');
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
    let rows = await readRows(page);
    assert.ok(rows.every((r) => r.crit === 'CRITICA'));
    assert.ok((await page.textContent('#resumo-carteira')).startsWith(`${counts.CRITICA} pedidos`));

    // And the criticality menu does the same.
    await page.selectOption('#f-criticidade', 'ALTA');
    await waitRowCount(page, Math.min(counts.ALTA, PAGE_SIZE));
    rows = await readRows(page);
    assert.ok(rows.every((r) => r.crit === 'ALTA'));
    assert.ok(page.url().includes('criticidade=ALTA'));
  });
});

test('choosing a criticality first runs the analysis of the filtered book by itself', async () => {
  await withPage('criticidade-direta', async (page) => {
    const found = await getJson(server.url, '/api/carteira/pedidos?estado=SP&por_pagina=1000');
    const api = await batch(server.url, found.pedidos.map((p) => p.num_pedido));
    const short = found.pedidos.filter((p) => SHORT.includes(critOf(api.resultados[p.num_pedido])));
    assert.ok(short.length > 0 && short.length < found.total);

    await page.goto(`${server.url}/carteira?estado=SP`);
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

test('"Atualizar estoque" analyses the visible orders again', async () => {
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
