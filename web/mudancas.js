// Ruptura — "O que mudou" (SPEC 8.5, 8.6): the orders whose outcome changed between two recorded
// runs of the whole book, grouped by kind, each with its causes in words, linking to the order's
// details in the book.
//
// Self-contained: it adds its own dialog to the page and opens it from the button
// #btn-mudancas (or the address hash #mudancas). A row's link goes to
// /carteira?busca=NUM#detalhes=NUM: the book filtered to that order, whose details this script
// opens once the order's row (button[data-detalhes]) is on screen.
//
// Same rules as app.js: data only ever enters the DOM as text, no inline scripts or styles.
//
// Test hooks: the dialog is #mudancas; each group is <section data-tipo="KIND">; each order is
// <li data-pedido="NUM" data-tipo="KIND"> holding <li data-causa="KIND"> per cause.
'use strict';

(() => {
  const TIPOS = [
    ['nova_ruptura', 'Novas rupturas', 'entrou em ruptura'],
    ['piorou', 'Pioraram', 'piorou'],
    ['melhorou', 'Melhoraram', 'melhorou'],
    ['resolvida', 'Resolvidas', 'ruptura resolvida'],
    ['entrou', 'Entraram na carteira', 'entrou na carteira'],
    ['saiu', 'Saíram da carteira', 'saiu da carteira'],
  ];
  const ROTULO = { OK: 'OK', CRITICA: 'CRÍTICA', ALTA: 'ALTA', MEDIA: 'MÉDIA', BAIXA: 'BAIXA', ERRO: 'ERRO' };
  const fmtMoeda = new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' });
  const ISO = /^(\d{4})-(\d{2})-(\d{2})/;

  function dataBR(iso) {
    const m = ISO.exec(String(iso || ''));
    return m ? `${m[3]}/${m[2]}/${m[1]}` : String(iso || '');
  }

  /** Creates an element; string children become text nodes, never markup. */
  function h(tag, props, ...filhos) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const f of filhos.flat()) {
      if (f === null || f === undefined || f === false) continue;
      e.append(f instanceof Node ? f : document.createTextNode(String(f)));
    }
    return e;
  }

  async function getJson(url) {
    const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    let body = null;
    try {
      body = await r.json();
    } catch {
      /* not JSON */
    }
    if (!r.ok) {
      const msg = (body && body.message) || `HTTP ${r.status}`;
      const e = new Error(r.status === 401 ? 'é preciso entrar com o token de acesso (recarregue a página)' : msg);
      e.status = r.status;
      throw e;
    }
    return body;
  }

  function situacao(s) {
    if (!s) return '—';
    if (s.pedido_ok) return 'OK';
    const quando = s.data_disponibilidade_total ? `completo em ${dataBR(s.data_disponibilidade_total)}` : 'sem previsão';
    return `${ROTULO[s.criticidade] || s.criticidade}, ${fmtMoeda.format(s.valor_com_ruptura || 0)} em falta, ${quando}`;
  }

  function descricaoExecucao(e) {
    return `nº ${e.id} — ${dataBR(e.data_base)}, ${e.modo}, ${e.total_pedidos} pedidos`;
  }

  // ------------------------------------------------------------------ the dialog
  let dialogo;
  let corpo;
  let selDe;
  let selPara;
  let estadoTexto;
  let origemFoco = null;

  function montar() {
    selDe = h('select', { id: 'mud-de', 'aria-label': 'Execução anterior' });
    selPara = h('select', { id: 'mud-para', 'aria-label': 'Execução posterior' });
    // Not a live region: the page announces only the start and the end of an analysis; this
    // text is read with the dialog when it opens.
    estadoTexto = h('p', { id: 'mud-estado', class: 'mud-estado' });
    corpo = h('div', { id: 'mud-lista', class: 'mud-lista' });
    const fechar = h('button', { type: 'button', class: 'btn btn-discreto fechar', 'aria-label': 'Fechar o que mudou', onclick: () => dialogo.close() }, '✕');
    dialogo = h(
      'dialog',
      { id: 'mudancas', class: 'modal mudancas', 'aria-labelledby': 'mud-titulo' },
      h(
        'div',
        { class: 'modal-cabecalho' },
        h(
          'div',
          {},
          h('h2', { id: 'mud-titulo' }, 'O que mudou'),
          h('p', { class: 'det-cliente' }, 'Pedidos cujo resultado mudou entre duas análises da carteira inteira, e por quê.'),
        ),
        fechar,
      ),
      h(
        'div',
        { class: 'modal-corpo' },
        h(
          'form',
          { class: 'mud-escolha', onsubmit: (ev) => ev.preventDefault() },
          h('label', { for: 'mud-de' }, 'De'),
          selDe,
          h('label', { for: 'mud-para' }, 'Para'),
          selPara,
          h('button', { type: 'button', class: 'btn', id: 'mud-comparar', onclick: () => comparar(selDe.value, selPara.value) }, 'Comparar'),
        ),
        estadoTexto,
        corpo,
      ),
    );
    dialogo.addEventListener('click', (ev) => {
      if (ev.target === dialogo) dialogo.close();
    });
    dialogo.addEventListener('close', () => {
      if (window.location.hash === '#mudancas') history.replaceState(null, '', window.location.pathname + window.location.search);
      if (origemFoco && origemFoco.isConnected) origemFoco.focus();
      origemFoco = null;
    });
    document.body.append(dialogo);
  }

  function opcoes(select, execucoes, escolhida) {
    select.replaceChildren(
      ...execucoes.map((e) => h('option', { value: e.id, selected: String(e.id) === String(escolhida) }, descricaoExecucao(e))),
    );
  }

  async function abrir(botao) {
    origemFoco = botao || null;
    if (!dialogo.open) dialogo.showModal();
    estadoTexto.textContent = 'Carregando execuções…';
    corpo.replaceChildren();
    try {
      const lista = await getJson('/api/ruptura/execucoes');
      const execucoes = lista.execucoes || [];
      opcoes(selDe, execucoes, execucoes[1] && execucoes[1].id);
      opcoes(selPara, execucoes, execucoes[0] && execucoes[0].id);
      if (execucoes.length < 2) {
        estadoTexto.textContent =
          execucoes.length === 0
            ? 'Nenhuma análise da carteira inteira foi registrada ainda: use “Analisar tudo” sem filtros.'
            : 'Só há uma análise da carteira inteira registrada: a próxima mostrará o que mudou.';
        return;
      }
      await comparar('', '');
    } catch (e) {
      estadoTexto.textContent = `Não foi possível carregar as execuções: ${e.message}`;
    }
  }

  async function comparar(de, para) {
    estadoTexto.textContent = 'Comparando…';
    corpo.replaceChildren();
    const q = new URLSearchParams();
    if (de) q.set('de', de);
    if (para) q.set('para', para);
    let m;
    try {
      m = await getJson(`/api/ruptura/mudancas${q.toString() ? `?${q}` : ''}`);
    } catch (e) {
      estadoTexto.textContent = `Não foi possível comparar: ${e.message}`;
      return;
    }
    selDe.value = String(m.de.id);
    selPara.value = String(m.para.id);
    const total = m.mudancas.length;
    estadoTexto.textContent =
      total === 0
        ? `Nada mudou da execução ${m.de.id} (${dataBR(m.de.data_base)}) para a ${m.para.id} (${dataBR(m.para.data_base)}).`
        : `${total} pedido(s) mudaram da execução ${m.de.id} (${dataBR(m.de.data_base)}) para a ${m.para.id} (${dataBR(m.para.data_base)}).`;
    const secoes = [];
    for (const [tipo, titulo, verbo] of TIPOS) {
      const itens = m.mudancas.filter((x) => x.tipo === tipo);
      if (itens.length === 0) continue;
      secoes.push(
        h(
          'section',
          { class: `mud-grupo mud-${tipo}`, 'data-tipo': tipo, 'aria-label': titulo },
          h('h3', {}, `${titulo} `, h('span', { class: 'mud-conta' }, `(${itens.length})`)),
          h('ul', { class: 'mud-pedidos' }, itens.map((x) => linha(x, verbo))),
        ),
      );
    }
    corpo.replaceChildren(...secoes);
  }

  function linha(x, verbo) {
    const num = x.num_pedido;
    const link = h(
      'a',
      {
        class: 'mud-pedido',
        href: `/carteira?busca=${encodeURIComponent(num)}#detalhes=${encodeURIComponent(num)}`,
        'aria-label': `Ver detalhes do pedido ${num}`,
      },
      num,
    );
    return h(
      'li',
      { 'data-pedido': num, 'data-tipo': x.tipo },
      h('div', { class: 'mud-cabeca' }, link, h('span', { class: 'mud-verbo' }, verbo)),
      h('div', { class: 'mud-antes-depois' }, situacao(x.antes), h('span', { class: 'mud-seta', 'aria-label': 'para' }, ' → '), situacao(x.depois)),
      x.causas.length
        ? h('ul', { class: 'mud-causas' }, x.causas.map((c) => h('li', { 'data-causa': c.tipo }, c.texto)))
        : null,
    );
  }

  // ------------------------------------------------------------------ the order's details
  /** After following a row's link: opens the order's details once its row is on screen. */
  function abrirDetalhesDoEndereco() {
    const m = /^#detalhes=(.+)$/.exec(window.location.hash);
    if (!m) return;
    const num = decodeURIComponent(m[1]);
    const limite = Date.now() + 30000;
    const procurar = () => {
      const botao = [...document.querySelectorAll('button[data-detalhes]')].find((b) => b.dataset.detalhes === num);
      if (botao) {
        history.replaceState(null, '', window.location.pathname + window.location.search);
        botao.click();
        return;
      }
      if (Date.now() < limite) setTimeout(procurar, 150);
    };
    procurar();
  }

  function iniciar() {
    montar();
    const botao = document.getElementById('btn-mudancas');
    if (botao) botao.addEventListener('click', () => abrir(botao));
    if (window.location.hash === '#mudancas') abrir(null);
    abrirDetalhesDoEndereco();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', iniciar);
  else iniciar();
})();
