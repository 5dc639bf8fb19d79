// Measures the order-book page with every order of a 500-order demo book on one page
// (/carteira?por_pagina=500, the most a page shows): the time from navigation start to the last badge, and the page's
// memory (JS heap and DOM nodes, from the Chrome DevTools Protocol). Prints each run and the
// median. Measured, not asserted: nothing here fails on a number.
//
//   node measure.mjs [--pedidos 500] [--runs 3]
//   RUPTURA_BIN=target/release/ruptura node measure.mjs

import { launchBrowser, startServer, BIN } from './harness.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const pedidos = Math.min(arg('pedidos', 500), 500); // the page shows at most 500 orders
const runs = arg('runs', 3);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mib = (bytes) => (bytes / (1024 * 1024)).toFixed(1);

async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

const server = await startServer({ pedidos, seed: 7 });
const browser = await launchBrowser();
const results = [];
try {
  for (let run = 1; run <= runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const started = Date.now();
    await page.goto(`${server.url}/carteira?por_pagina=${pedidos}`);
    await page.waitForFunction(
      (n) => {
        const rows = document.querySelectorAll('tr[data-pedido]');
        return (
          rows.length === n &&
          document.body.dataset.analisePagina === 'concluida' &&
          document.querySelectorAll('tr[data-pedido] [data-criticidade]').length === n
        );
      },
      pedidos,
      { timeout: 600_000, polling: 50 },
    );
    const wallMs = Date.now() - started;
    const marks = await page.evaluate(() => ({
      lista: performance.getEntriesByName('ruptura:lista')[0]?.startTime,
      ultimo: performance.getEntriesByName('ruptura:ultimo-selo')[0]?.startTime,
      carregada: performance.getEntriesByType('navigation')[0]?.loadEventEnd,
      lotes: performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/analisar-lote-async')).length,
    }));
    const live = await metrics(cdp);
    await cdp.send('HeapProfiler.collectGarbage');
    const kept = await metrics(cdp);
    const r = {
      run,
      ultimoSeloMs: marks.ultimo,
      listaMs: marks.lista,
      carregadaMs: marks.carregada,
      analiseMs: marks.ultimo - marks.lista,
      wallMs,
      lotes: marks.lotes,
      heapUsado: live.JSHeapUsedSize,
      heapAposGc: kept.JSHeapUsedSize,
      heapTotal: kept.JSHeapTotalSize,
      nodes: kept.Nodes,
      layoutMs: live.LayoutDuration * 1000,
      estiloMs: live.RecalcStyleDuration * 1000,
      scriptMs: live.ScriptDuration * 1000,
      tarefasMs: live.TaskDuration * 1000,
      erros: errors.length,
    };
    results.push(r);
    console.log(
      `run ${run}: última etiqueta ${r.ultimoSeloMs.toFixed(0)} ms após o início da navegação ` +
        `(lista pronta ${r.listaMs.toFixed(0)} ms, análise ${r.analiseMs.toFixed(0)} ms, ${r.lotes} lotes; ` +
        `relógio do teste ${wallMs} ms); heap JS ${mib(r.heapUsado)} MiB (${mib(r.heapAposGc)} MiB após GC), ` +
        `${r.nodes} nós DOM, ${r.erros} erros no console; layout ${r.layoutMs.toFixed(0)} ms, estilo ` +
        `${r.estiloMs.toFixed(0)} ms, script ${r.scriptMs.toFixed(0)} ms, tarefas ${r.tarefasMs.toFixed(0)} ms`,
    );
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}

console.log(`\n${pedidos} pedidos numa página, ${runs} execuções, binário ${BIN}`);
console.log(`mediana: carregamento -> última etiqueta ${median(results.map((r) => r.ultimoSeloMs)).toFixed(0)} ms`);
console.log(`         lista renderizada          ${median(results.map((r) => r.listaMs)).toFixed(0)} ms`);
console.log(`         heap JS usado              ${mib(median(results.map((r) => r.heapUsado)))} MiB (após GC ${mib(median(results.map((r) => r.heapAposGc)))} MiB)`);
console.log(`         nós DOM                    ${median(results.map((r) => r.nodes))}`);
