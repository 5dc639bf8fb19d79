// Ruptura — the order-book page (/carteira).
//
// The table lists one page of the order book (server-side filters, sorting and paging, so a
// book of 10,000 orders stays light). The stock column fills in by itself: the visible orders
// are sent to the batch API in batches of 20, a few requests in flight, and each batch is
// rendered as it arrives. "Analisar tudo" runs a job over the whole filtered book and follows
// its event stream; its results let the criticality filter narrow the whole book (the server
// keeps the orders of that job with the chosen criticality).
//
// Rules kept throughout: text from the data only ever goes into the DOM as text (textContent,
// text nodes, attribute values), never as HTML; no inline scripts or styles (the page's CSP
// forbids them); the token, when the server asks for one, is sent once in a request body to
// open an HttpOnly session cookie and never appears in a URL.
//
// Test hooks (kept stable): each order row is <tr data-pedido="NUM">; once its result is in,
// the row holds an element with data-criticidade = OK | CRITICA | ALTA | MEDIA | BAIXA | ERRO.
'use strict';

(() => {
  const CONFIG = {
    tamanhoLote: 20, // orders per batch request
    emVoo: 3, // batch requests in flight at once
    porPaginaPadrao: 100,
    porPaginaMax: 20000,
    esperaBuscaMs: 350,
  };
  const URL_LOTE = '/carteira/api/ruptura/analisar-lote-async';
  const NIVEIS = ['CRITICA', 'ALTA', 'MEDIA', 'BAIXA', 'OK', 'ERRO'];
  const ROTULO = {
    OK: 'OK',
    CRITICA: 'CRÍTICA',
    ALTA: 'ALTA',
    MEDIA: 'MÉDIA',
    BAIXA: 'BAIXA',
    ERRO: 'ERRO',
  };
  const ORDENS = ['num_pedido', 'cliente', 'cidade', 'vendedor', 'expedicao', 'data_pedido', 'valor', 'linhas'];
  const FILTROS_BASE = ['busca', 'vendedor', 'equipe_vendas', 'estado'];

  // ---------------------------------------------------------------- Brazilian formatting
  const fmtMoeda = new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' });
  const fmtQtd = new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 3 });
  const fmtPct = new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 2 });
  const fmtInt = new Intl.NumberFormat('pt-BR');
  const fmtSeg = new Intl.NumberFormat('pt-BR', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  const moeda = (v) => fmtMoeda.format(Number(v) || 0);
  const qtd = (v) => fmtQtd.format(Number(v) || 0);
  const pct = (v) => `${fmtPct.format(Number(v) || 0)}%`;
  const inteiro = (v) => fmtInt.format(Number(v) || 0);
  const segundos = (ms) => `${fmtSeg.format(ms / 1000)} s`;
  const ISO = /^(\d{4})-(\d{2})-(\d{2})/;
  /** "2026-03-05" -> "05/03/2026" (no Date object: no time-zone shifts). */
  function dataBR(iso) {
    if (!iso) return '';
    const m = ISO.exec(String(iso));
    return m ? `${m[3]}/${m[2]}/${m[1]}` : String(iso);
  }
  function diaMes(iso) {
    const m = ISO.exec(String(iso || ''));
    return m ? `${m[3]}/${m[2]}` : String(iso || '');
  }
  /** The order's "fully available" date as text. */
  function disponibilidadeTotal(valor) {
    if (valor === 'agora') return 'agora';
    if (!valor) return 'sem previsão';
    return dataBR(valor);
  }

  // ---------------------------------------------------------------- DOM helpers
  /** Creates an element. Strings among the children become text nodes, never markup. */
  function h(tag, props, ...filhos) {
    const e = document.createElement(tag);
    aplicar(e, props);
    anexar(e, filhos);
    return e;
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function s(tag, props, ...filhos) {
    const e = document.createElementNS(SVGNS, tag);
    aplicar(e, props);
    anexar(e, filhos);
    return e;
  }
  function aplicar(e, props) {
    if (!props) return;
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.setAttribute('class', v);
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  function anexar(e, filhos) {
    for (const f of filhos.flat()) {
      if (f === null || f === undefined || f === false) continue;
      e.append(f instanceof Node ? f : document.createTextNode(String(f)));
    }
  }
  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- state
  const estado = {
    filtros: { busca: '', vendedor: '', equipe_vendas: '', estado: '', criticidade: '' },
    ordem: 'num_pedido',
    direcao: 'asc',
    pagina: 1,
    porPagina: CONFIG.porPaginaPadrao,
    total: 0,
    pedidos: [], // the orders of the page shown
    chaveLinhas: null, // base-filter key of the rows shown
    linhas: new Map(), // num_pedido -> {tr, estoque}: the row and the box inside its stock cell
    resultados: new Map(), // num_pedido -> RESULT (full, or compact from a job)
    seqLista: 0,
    execucao: 0, // generation of the page analysis; a newer one stops older ones
    job: null,
    aguardaJobParaFiltro: false,
  };

  class ErroApi extends Error {
    constructor(mensagem, status) {
      super(mensagem);
      this.status = status;
    }
  }

  // ---------------------------------------------------------------- API and session
  let loginPendente = null;

  async function api(caminho, opcoes = {}) {
    const init = {
      method: opcoes.method || 'GET',
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    };
    if (opcoes.body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opcoes.body);
    }
    const resposta = await fetch(caminho, init);
    if (resposta.status === 401 && !opcoes.semLogin) {
      await pedirLogin();
      return api(caminho, { ...opcoes, semLogin: true });
    }
    let corpo = null;
    try {
      corpo = await resposta.json();
    } catch {
      corpo = null;
    }
    if (!resposta.ok) {
      throw new ErroApi((corpo && corpo.message) || `erro HTTP ${resposta.status}`, resposta.status);
    }
    return corpo;
  }

  /** Shows the token dialog; resolves once a session is open. One dialog for all callers. */
  function pedirLogin() {
    if (loginPendente) return loginPendente;
    loginPendente = new Promise((resolve) => {
      const dialogo = $('login');
      const form = $('login-form');
      const campo = $('login-token');
      const erro = $('login-erro');
      erro.textContent = '';
      campo.value = '';
      const impedirFechar = (ev) => ev.preventDefault();
      dialogo.addEventListener('cancel', impedirFechar);
      const enviar = async (ev) => {
        ev.preventDefault();
        const token = campo.value.trim();
        if (!token) {
          erro.textContent = 'Informe o token.';
          return;
        }
        $('login-entrar').disabled = true;
        erro.textContent = '';
        try {
          const r = await fetch('/api/auth/sessao', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            credentials: 'same-origin',
            body: JSON.stringify({ token }),
          });
          if (!r.ok) {
            erro.textContent = r.status === 401 ? 'Token inválido.' : `Não foi possível entrar (HTTP ${r.status}).`;
            campo.select();
            return;
          }
          campo.value = '';
          form.removeEventListener('submit', enviar);
          dialogo.removeEventListener('cancel', impedirFechar);
          dialogo.close();
          $('btn-sair').hidden = false;
          loginPendente = null;
          resolve();
        } catch (e) {
          erro.textContent = `Falha de conexão: ${e.message}`;
        } finally {
          $('login-entrar').disabled = false;
        }
      };
      form.addEventListener('submit', enviar);
      if (!dialogo.open) dialogo.showModal();
      campo.focus();
    });
    return loginPendente;
  }

  async function sair() {
    fecharJob();
    try {
      await fetch('/api/auth/sessao', { method: 'DELETE', credentials: 'same-origin' });
    } finally {
      window.location.reload();
    }
  }

  // ---------------------------------------------------------------- notices
  let avisoTimer = null;
  function avisar(texto) {
    const aviso = $('aviso');
    aviso.textContent = texto;
    aviso.hidden = false;
    clearTimeout(avisoTimer);
    avisoTimer = setTimeout(() => {
      aviso.hidden = true;
    }, 8000);
  }

  // ---------------------------------------------------------------- URL <-> state
  function lerURL() {
    const q = new URLSearchParams(window.location.search);
    for (const k of Object.keys(estado.filtros)) estado.filtros[k] = q.get(k) || '';
    if (ORDENS.includes(q.get('ordem'))) estado.ordem = q.get('ordem');
    if (q.get('direcao') === 'desc') estado.direcao = 'desc';
    const pagina = parseInt(q.get('pagina'), 10);
    if (pagina >= 1) estado.pagina = pagina;
    const pp = parseInt(q.get('por_pagina'), 10);
    if (pp >= 1) estado.porPagina = Math.min(pp, CONFIG.porPaginaMax);
  }

  function escreverURL() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(estado.filtros)) if (v) q.set(k, v);
    if (estado.ordem !== 'num_pedido') q.set('ordem', estado.ordem);
    if (estado.direcao !== 'asc') q.set('direcao', estado.direcao);
    if (estado.pagina > 1) q.set('pagina', String(estado.pagina));
    if (estado.porPagina !== CONFIG.porPaginaPadrao) q.set('por_pagina', String(estado.porPagina));
    const busca = q.toString();
    history.replaceState(null, '', busca ? `?${busca}` : window.location.pathname);
  }

  function filtrosBase() {
    const f = {};
    for (const k of FILTROS_BASE) {
      const v = estado.filtros[k].trim();
      if (v) f[k] = v;
    }
    return f;
  }
  const chaveFiltros = () => JSON.stringify(filtrosBase());

  /** "toda a carteira", or the filters in words. */
  function descreverFiltros(f) {
    const partes = [];
    if (f.vendedor) partes.push(`vendedor ${f.vendedor}`);
    if (f.equipe_vendas) partes.push(f.equipe_vendas);
    if (f.estado) partes.push(`UF ${f.estado}`);
    if (f.busca) partes.push(`busca “${f.busca}”`);
    return partes.length ? partes.join(' · ') : 'toda a carteira';
  }

  // ---------------------------------------------------------------- filters
  async function carregarFiltros() {
    const f = await api('/api/carteira/filtros');
    preencherSelect($('f-vendedor'), f.vendedores, estado.filtros.vendedor);
    preencherSelect($('f-equipe'), f.equipes, estado.filtros.equipe_vendas);
    preencherSelect($('f-estado'), f.estados, estado.filtros.estado);
  }

  function preencherSelect(select, valores, atual) {
    const primeira = select.options[0];
    select.replaceChildren(primeira);
    for (const v of valores) select.append(h('option', { value: v }, v));
    if (atual && !valores.includes(atual)) select.append(h('option', { value: atual }, atual));
    select.value = atual || '';
  }

  function sincronizarCampos() {
    $('f-busca').value = estado.filtros.busca;
    $('f-vendedor').value = estado.filtros.vendedor;
    $('f-equipe').value = estado.filtros.equipe_vendas;
    $('f-estado').value = estado.filtros.estado;
    const crit = $('f-criticidade');
    if (estado.filtros.criticidade && ![...crit.options].some((o) => o.value === estado.filtros.criticidade)) {
      crit.append(h('option', { value: estado.filtros.criticidade }, estado.filtros.criticidade));
    }
    crit.value = estado.filtros.criticidade;
    const pp = $('f-por-pagina');
    const valor = String(estado.porPagina);
    if (![...pp.options].some((o) => o.value === valor)) {
      pp.append(h('option', { value: valor }, inteiro(estado.porPagina)));
    }
    pp.value = valor;
  }

  function mudarFiltro(chave, valor) {
    if (estado.filtros[chave] === valor) return;
    estado.filtros[chave] = valor;
    estado.pagina = 1;
    carregarPagina();
  }

  // ---------------------------------------------------------------- the list
  async function carregarPagina() {
    const seq = ++estado.seqLista;
    const chave = chaveFiltros();
    const params = new URLSearchParams(filtrosBase());
    params.set('ordem', estado.ordem);
    params.set('direcao', estado.direcao);
    params.set('pagina', String(estado.pagina));
    params.set('por_pagina', String(estado.porPagina));
    escreverURL();

    const crit = estado.filtros.criticidade;
    if (crit) {
      const job = estado.job;
      if (!job || job.chave !== chave || job.estado === 'falhou') {
        // The criticality of the whole filtered book comes from a job: start it; the list is
        // loaded again when it ends.
        estado.aguardaJobParaFiltro = true;
        if (chave !== estado.chaveLinhas) limparTabela('Analisando a carteira filtrada para aplicar a criticidade…');
        $('resumo-carteira').textContent =
          'Analisando a carteira filtrada para aplicar o filtro de criticidade (acompanhe o progresso acima)…';
        iniciarJob();
        return;
      }
      if (job.estado !== 'concluido') {
        estado.aguardaJobParaFiltro = true;
        $('resumo-carteira').textContent =
          'O filtro de criticidade será aplicado quando a análise da carteira terminar…';
        return;
      }
      params.set('criticidade', crit);
      params.set('job_id', job.id);
    }
    estado.aguardaJobParaFiltro = false;

    $('tabela-wrap').setAttribute('aria-busy', 'true');
    let dados;
    try {
      dados = await api(`/api/carteira/pedidos?${params}`);
    } catch (e) {
      if (seq !== estado.seqLista) return;
      $('tabela-wrap').removeAttribute('aria-busy');
      if (e.status === 404 && crit) {
        // The job expired on the server: analyse again.
        estado.job = null;
        carregarPagina();
        return;
      }
      $('resumo-carteira').textContent = `Não foi possível carregar a carteira: ${e.message}`;
      return;
    }
    if (seq !== estado.seqLista) return; // a newer request superseded this one
    $('tabela-wrap').removeAttribute('aria-busy');
    const ultima = Math.max(1, Math.ceil(dados.total / estado.porPagina));
    if (estado.pagina > ultima) {
      estado.pagina = ultima;
      carregarPagina();
      return;
    }
    estado.total = dados.total;
    estado.pedidos = dados.pedidos;
    estado.chaveLinhas = chave;
    renderTabela();
    performance.mark('ruptura:lista');
    analisarVisiveis();
  }

  function limparTabela(mensagem) {
    estado.execucao++;
    estado.pedidos = [];
    estado.linhas.clear();
    $('linhas').replaceChildren();
    $('vazio').textContent = mensagem;
    $('vazio').hidden = false;
    estado.chaveLinhas = null;
    atualizarPaginacao();
  }

  function renderTabela() {
    const corpo = $('linhas');
    const frag = document.createDocumentFragment();
    estado.linhas.clear();
    for (const p of estado.pedidos) frag.append(linhaPedido(p));
    corpo.replaceChildren(frag);
    $('vazio').textContent = 'Nenhum pedido encontrado com estes filtros.';
    $('vazio').hidden = estado.pedidos.length > 0;
    atualizarCabecalho();
    atualizarPaginacao();
  }

  function linhaPedido(p) {
    const cidade = [p.nome_cidade, p.cod_uf].filter(Boolean).join('/');
    // The box inside the stock cell: min-height keeps the row from growing when the badge arrives.
    const estoque = h('div', { class: 'estoque' });
    const tr = h(
      'tr',
      { 'data-pedido': p.num_pedido },
      h(
        'td',
        { class: 'col-pedido' },
        h('span', { class: 'num-pedido' }, p.num_pedido),
        p.data_pedido ? h('small', null, `Emitido ${dataBR(p.data_pedido)}`) : null,
      ),
      h(
        'td',
        { class: 'col-cliente' },
        h('span', { class: 'cliente' }, p.raz_social_red || '—'),
        p.cnpj_cpf ? h('small', null, p.cnpj_cpf) : null,
      ),
      h('td', null, cidade || '—'),
      h('td', null, h('span', null, p.vendedor || '—'), p.equipe_vendas ? h('small', null, p.equipe_vendas) : null),
      h(
        'td',
        { class: 'col-data' },
        p.expedicao ? dataBR(p.expedicao) : '—',
        p.agendamento ? h('small', null, `Agend. ${dataBR(p.agendamento)}`) : null,
      ),
      h('td', { class: 'num' }, moeda(p.valor_total)),
      h('td', { class: 'num' }, inteiro(p.linhas)),
      h('td', { class: 'col-estoque' }, estoque),
    );
    estado.linhas.set(p.num_pedido, { tr, estoque });
    renderEstoque(p.num_pedido);
    return tr;
  }

  const criticidadeDe = (res) => (res && res.success && res.resumo ? res.resumo.criticidade : 'ERRO');

  /** Fills the stock cell of an order from its result (or the waiting state). */
  function renderEstoque(num) {
    const reg = estado.linhas.get(num);
    if (!reg) return;
    const res = estado.resultados.get(num);
    const { tr, estoque } = reg;
    for (const n of NIVEIS) tr.classList.remove(`crit-${n}`);
    if (!res) {
      estoque.replaceChildren(
        h('span', { class: 'aguardando' }, h('span', { class: 'relogio', 'aria-hidden': 'true' }), 'Aguardando análise...'),
      );
      return;
    }
    const crit = criticidadeDe(res);
    tr.classList.add(`crit-${crit}`);
    const selo = h('span', { class: `selo selo-${crit}`, 'data-criticidade': crit }, ROTULO[crit] || crit);
    const topo = h('div', { class: 'estoque-topo' }, selo);
    const partes = [topo];
    if (crit === 'ERRO') {
      selo.setAttribute('title', res.message || 'erro');
      partes.push(h('small', { class: 'detalhe-estoque' }, res.message || 'Não analisado'));
    } else {
      const r = res.resumo;
      topo.append(
        h(
          'button',
          {
            type: 'button',
            class: 'link-detalhes',
            'data-detalhes': num,
            'aria-label': `Ver detalhes do pedido ${num}`,
          },
          'Ver detalhes',
        ),
      );
      if (crit === 'OK') {
        partes.push(h('small', { class: 'detalhe-estoque' }, 'Estoque cobre o pedido'));
      } else {
        partes.push(h('small', { class: 'risco' }, `${pct(r.percentual_ruptura)} do valor em risco`));
        const disp = r.data_disponibilidade_total;
        partes.push(h('small', { class: 'detalhe-estoque' }, disp ? `Completo em ${dataBR(disp)}` : 'Sem previsão'));
      }
    }
    estoque.replaceChildren(...partes);
  }

  function atualizarCabecalho() {
    for (const th of document.querySelectorAll('th[data-ordem]')) {
      const ativo = th.dataset.ordem === estado.ordem;
      th.setAttribute('aria-sort', ativo ? (estado.direcao === 'asc' ? 'ascending' : 'descending') : 'none');
      const seta = th.querySelector('.seta');
      if (seta) seta.textContent = ativo ? (estado.direcao === 'asc' ? '▲' : '▼') : '↕';
    }
  }

  function atualizarPaginacao() {
    const total = estado.total;
    const ultima = Math.max(1, Math.ceil(total / estado.porPagina));
    const p = estado.pagina;
    const de = total === 0 ? 0 : (p - 1) * estado.porPagina + 1;
    const ate = Math.min(total, p * estado.porPagina);
    $('pag-info').textContent = `Página ${inteiro(p)} de ${inteiro(ultima)}`;
    $('pag-primeira').disabled = p <= 1;
    $('pag-anterior').disabled = p <= 1;
    $('pag-proxima').disabled = p >= ultima;
    $('pag-ultima').disabled = p >= ultima;
    const filtroCrit = estado.filtros.criticidade
      ? ` com criticidade ${estado.filtros.criticidade
          .split(',')
          .map((c) => ROTULO[c] || c)
          .join(', ')}`
      : '';
    $('resumo-carteira').textContent =
      total === 0
        ? `Nenhum pedido${filtroCrit}.`
        : `${inteiro(total)} pedido${total === 1 ? '' : 's'}${filtroCrit} · mostrando ${inteiro(de)}–${inteiro(ate)}`;
  }

  function irPara(pagina) {
    const ultima = Math.max(1, Math.ceil(estado.total / estado.porPagina));
    const nova = Math.min(Math.max(1, pagina), ultima);
    if (nova === estado.pagina) return;
    estado.pagina = nova;
    carregarPagina();
  }

  // ---------------------------------------------------------------- page analysis
  /** Keeps a result. Orders off the current page keep only what their badge needs. */
  function guardar(num, res, completo) {
    if (completo || estado.linhas.has(num)) {
      estado.resultados.set(num, res);
    } else {
      estado.resultados.set(num, compactar(res));
    }
  }

  function compactar(res) {
    if (!res || !res.success || !res.resumo) return res;
    const r = res.resumo;
    return {
      success: true,
      num_pedido: res.num_pedido,
      compacto: true,
      resumo: {
        criticidade: r.criticidade,
        percentual_ruptura: r.percentual_ruptura,
        data_disponibilidade_total: r.data_disponibilidade_total,
      },
    };
  }

  // Results reach the DOM through a short queue: each DOM change costs the browser a layout of
  // the whole table, so with thousands of rows on screen badges are flushed a few times a
  // second rather than once per batch, and batch requests keep flowing meanwhile. With a page
  // of 100 rows the flush follows within a frame or so of each batch.
  const filaRender = new Set();
  let flushAgendado = null;
  let corridaAtual = null;

  function intervaloRender() {
    return Math.min(250, estado.linhas.size / 8);
  }

  function agendarRender(num) {
    filaRender.add(num);
    if (flushAgendado === null) flushAgendado = setTimeout(flushRender, intervaloRender());
  }

  function flushRender() {
    if (flushAgendado !== null) clearTimeout(flushAgendado);
    flushAgendado = null;
    for (const n of filaRender) renderEstoque(n);
    filaRender.clear();
    if (corridaAtual && corridaAtual.exec === estado.execucao) mostrarProgresso(corridaAtual);
  }

  /** Analyses the orders on screen that have no result yet, in batches, a few in flight. */
  async function analisarVisiveis() {
    const exec = ++estado.execucao;
    const nums = estado.pedidos.map((p) => p.num_pedido);
    for (const n of nums) {
      const r = estado.resultados.get(n);
      if (r && r.transitorio) {
        estado.resultados.delete(n);
        renderEstoque(n);
      }
    }
    const pendentes = nums.filter((n) => !estado.resultados.has(n));
    const lotes = [];
    for (let i = 0; i < pendentes.length; i += CONFIG.tamanhoLote) lotes.push(pendentes.slice(i, i + CONFIG.tamanhoLote));
    const inicio = performance.now();
    const corrida = { exec, nums, inicio, fim: null };
    corridaAtual = corrida;
    document.body.dataset.analisePagina = 'em_andamento';
    mostrarProgresso(corrida);
    let proximo = 0;
    const trabalhador = async () => {
      while (exec === estado.execucao && proximo < lotes.length) {
        const lote = lotes[proximo++];
        await analisarLote(lote);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONFIG.emVoo, lotes.length) }, trabalhador));
    if (exec !== estado.execucao) return;
    corrida.fim = performance.now();
    flushRender();
    document.body.dataset.analisePagina = 'concluida';
    // For scripted measurements: time from navigation start to the last badge of the page.
    performance.mark('ruptura:ultimo-selo');
  }

  async function analisarLote(lote) {
    try {
      const resposta = await api(URL_LOTE, {
        method: 'POST',
        body: { pedidos: lote, tamanho_lote: CONFIG.tamanhoLote },
      });
      const resultados = (resposta && resposta.resultados) || {};
      for (const num of lote) {
        const res = resultados[num] || { success: false, num_pedido: num, message: 'Sem resultado na resposta' };
        guardar(num, res);
        agendarRender(num);
      }
    } catch (e) {
      // A failed request is not a result: the orders are tried again on the next analysis.
      for (const num of lote) {
        guardar(num, { success: false, num_pedido: num, message: `Falha na análise: ${e.message}`, transitorio: true });
        agendarRender(num);
      }
    }
  }

  function mostrarProgresso(corrida) {
    const total = corrida.nums.length;
    let ok = 0;
    let ruptura = 0;
    let erros = 0;
    for (const n of corrida.nums) {
      const r = estado.resultados.get(n);
      if (!r) continue;
      const c = criticidadeDe(r);
      if (c === 'OK') ok++;
      else if (c === 'ERRO') erros++;
      else ruptura++;
    }
    const feitos = ok + ruptura + erros;
    const porcento = total === 0 ? 100 : Math.floor((feitos / total) * 100);
    $('prog-barra').value = porcento;
    $('prog-ok').textContent = inteiro(ok);
    $('prog-ruptura').textContent = inteiro(ruptura);
    $('prog-erros').textContent = inteiro(erros);
    const decorrido = (corrida.fim || performance.now()) - corrida.inicio;
    $('prog-tempo').textContent = segundos(decorrido);
    const texto = $('prog-texto');
    if (total === 0) texto.textContent = 'Nenhum pedido nesta página.';
    else if (feitos < total) texto.textContent = `${porcento}% — ${inteiro(feitos)} de ${inteiro(total)} pedidos analisados…`;
    else texto.textContent = `100% — ${inteiro(total)} pedidos analisados em ${segundos(decorrido)}.`;
    $('progresso').dataset.estado = feitos < total ? 'em_andamento' : 'concluido';
  }

  function atualizarEstoque() {
    // Fresh data: forget every result and the job (its results are as old as it is).
    fecharJob();
    estado.job = null;
    estado.resultados.clear();
    $('job').hidden = true;
    for (const n of estado.linhas.keys()) renderEstoque(n);
    if (estado.filtros.criticidade) {
      // The filter needs the whole book again: the job re-analyses it and reloads the list.
      carregarPagina();
      analisarVisiveis();
    } else {
      analisarVisiveis();
    }
  }

  // ---------------------------------------------------------------- "Analisar tudo": a job
  function fecharJob() {
    if (estado.job && estado.job.fonte) {
      estado.job.fonte.close();
      estado.job.fonte = null;
    }
  }

  async function iniciarJob() {
    const chave = chaveFiltros();
    if (estado.job && estado.job.chave === chave && estado.job.estado === 'em_andamento') return;
    fecharJob();
    const job = {
      id: null,
      chave,
      estado: 'iniciando',
      total: 0,
      processados: 0,
      erros: 0,
      contagem: Object.fromEntries(NIVEIS.map((n) => [n, 0])),
      vistos: new Set(),
      inicio: performance.now(),
      fim: null,
      fonte: null,
    };
    estado.job = job;
    const painel = $('job');
    painel.hidden = false;
    painel.dataset.estado = 'iniciando';
    $('btn-analisar-tudo').disabled = true;
    $('job-texto').textContent = 'Iniciando a análise da carteira filtrada…';
    $('job-escopo').textContent = `Escopo: ${descreverFiltros(filtrosBase())}`;
    mostrarJob(job);
    let criado;
    try {
      criado = await api('/api/ruptura/jobs', { method: 'POST', body: { filtros: filtrosBase() } });
    } catch (e) {
      if (estado.job !== job) return;
      job.estado = 'falhou';
      job.mensagem = e.message;
      mostrarJob(job);
      return;
    }
    if (estado.job !== job) return;
    job.id = criado.job_id;
    job.total = criado.total_pedidos;
    job.estado = 'em_andamento';
    mostrarJob(job);
    seguirEventos(job);
  }

  function seguirEventos(job) {
    // Same origin: the session cookie goes along, so no token in the URL.
    const fonte = new EventSource(`/api/ruptura/jobs/${encodeURIComponent(job.id)}/eventos`);
    job.fonte = fonte;
    fonte.addEventListener('lote', (ev) => {
      if (estado.job !== job) return;
      const d = JSON.parse(ev.data);
      for (const [num, res] of Object.entries(d.resultados || {})) {
        if (!job.vistos.has(num)) {
          job.vistos.add(num);
          job.contagem[criticidadeDe(res)] = (job.contagem[criticidadeDe(res)] || 0) + 1;
        }
        guardar(num, res);
        agendarRender(num);
      }
      job.processados = d.processados;
      job.total = d.total_pedidos;
      job.erros = d.erros;
      mostrarJob(job);
    });
    fonte.addEventListener('concluido', (ev) => {
      fonte.close();
      job.fonte = null;
      if (estado.job !== job) return;
      const d = JSON.parse(ev.data);
      if (d.por_criticidade) {
        for (const n of NIVEIS) job.contagem[n] = d.por_criticidade[n] || 0;
      }
      job.processados = d.processados;
      job.total = d.total_pedidos;
      job.erros = d.erros;
      job.tempoServidor = d.tempo_total_segundos;
      job.estado = 'concluido';
      job.fim = performance.now();
      mostrarJob(job);
      if (estado.filtros.criticidade && estado.aguardaJobParaFiltro) carregarPagina();
      else mostrarProgressoDaPagina();
    });
    fonte.addEventListener('falhou', (ev) => {
      fonte.close();
      job.fonte = null;
      if (estado.job !== job) return;
      let msg = 'a análise falhou';
      try {
        msg = JSON.parse(ev.data).message || msg;
      } catch {
        /* keep the default */
      }
      job.estado = 'falhou';
      job.mensagem = msg;
      job.fim = performance.now();
      mostrarJob(job);
    });
    fonte.addEventListener('error', () => {
      if (estado.job !== job || job.estado !== 'em_andamento') return;
      if (fonte.readyState === EventSource.CLOSED) {
        job.estado = 'falhou';
        job.mensagem = 'a conexão com o servidor foi perdida';
        mostrarJob(job);
      } else {
        // The browser reconnects by itself, sending Last-Event-ID: nothing is lost.
        $('job-texto').textContent = 'Conexão interrompida; reconectando…';
      }
    });
  }

  /** Page progress counts may have changed because of the job's results. */
  function mostrarProgressoDaPagina() {
    if (!estado.pedidos.length) return;
    const nums = estado.pedidos.map((p) => p.num_pedido);
    if (nums.every((n) => estado.resultados.has(n))) {
      const painel = $('progresso');
      if (painel.dataset.estado !== 'concluido') {
        mostrarProgresso({ nums, inicio: performance.now(), fim: performance.now() });
      }
    }
  }

  function mostrarJob(job) {
    const painel = $('job');
    painel.dataset.estado = job.estado;
    const porcento = job.total ? Math.floor((job.processados / job.total) * 100) : job.estado === 'concluido' ? 100 : 0;
    $('job-barra').value = porcento;
    const decorrido = (job.fim || performance.now()) - job.inicio;
    $('job-tempo').textContent = segundos(decorrido);
    const texto = $('job-texto');
    const rupturas = NIVEIS.filter((n) => n !== 'OK' && n !== 'ERRO').reduce((a, n) => a + job.contagem[n], 0);
    if (job.estado === 'falhou') {
      texto.textContent = `A análise falhou: ${job.mensagem}`;
    } else if (job.estado === 'concluido') {
      texto.textContent =
        `Concluída: ${inteiro(job.total)} pedidos em ${segundos(decorrido)} — ` +
        `${inteiro(job.contagem.OK)} OK, ${inteiro(rupturas)} com ruptura, ${inteiro(job.contagem.ERRO)} com erro.`;
    } else if (job.estado === 'em_andamento') {
      texto.textContent = `${porcento}% — ${inteiro(job.processados)} de ${inteiro(job.total)} pedidos analisados…`;
    }
    $('btn-analisar-tudo').disabled = job.estado === 'em_andamento' || job.estado === 'iniciando';
    desenharGraficoJob(job);
    desenharAtalhos(job);
  }

  function desenharGraficoJob(job) {
    const W = 440;
    const linha = 22;
    const esq = 70;
    const dir = 48;
    const H = NIVEIS.length * linha + 8;
    const max = Math.max(1, ...NIVEIS.map((n) => job.contagem[n]));
    const descricao = NIVEIS.map((n) => `${ROTULO[n]}: ${job.contagem[n]}`).join(', ');
    const grafico = s('svg', {
      viewBox: `0 0 ${W} ${H}`,
      class: 'grafico-barras',
      role: 'img',
      'aria-label': `Pedidos por criticidade — ${descricao}`,
    });
    NIVEIS.forEach((n, i) => {
      const y = 4 + i * linha;
      const largura = ((W - esq - dir) * job.contagem[n]) / max;
      grafico.append(
        s('text', { x: esq - 8, y: y + linha / 2 + 4, class: 'eixo-rotulo', 'text-anchor': 'end' }, ROTULO[n]),
        s('rect', { x: esq, y: y + 3, width: W - esq - dir, height: linha - 6, rx: 3, class: 'barra-fundo' }),
        s(
          'rect',
          { x: esq, y: y + 3, width: Math.max(largura, job.contagem[n] ? 2 : 0), height: linha - 6, rx: 3, class: `barra barra-${n}` },
          s('title', null, `${ROTULO[n]}: ${inteiro(job.contagem[n])} pedidos`),
        ),
        s(
          'text',
          { x: esq + largura + 6, y: y + linha / 2 + 4, class: 'barra-valor', 'data-contagem': n },
          inteiro(job.contagem[n]),
        ),
      );
    });
    $('job-grafico').replaceChildren(grafico);
  }

  function desenharAtalhos(job) {
    const atalhos = $('job-atalhos');
    if (job.estado !== 'concluido') {
      atalhos.replaceChildren();
      return;
    }
    const botoes = NIVEIS.filter((n) => job.contagem[n] > 0).map((n) =>
      h(
        'button',
        {
          type: 'button',
          class: `btn btn-atalho atalho-${n}`,
          'aria-pressed': estado.filtros.criticidade === n ? 'true' : 'false',
          onclick: () => {
            const valor = estado.filtros.criticidade === n ? '' : n;
            $('f-criticidade').value = valor;
            mudarFiltro('criticidade', valor);
            desenharAtalhos(job);
          },
        },
        `Ver ${ROTULO[n]} (${inteiro(job.contagem[n])})`,
      ),
    );
    atalhos.replaceChildren(...botoes);
  }

  // ---------------------------------------------------------------- details dialog
  let origemFoco = null;

  async function abrirDetalhes(num, botao) {
    origemFoco = botao || null;
    let res = estado.resultados.get(num);
    if (!res || res.compacto || res.transitorio) {
      try {
        res = await api(`/carteira/api/ruptura/analisar-pedido/${encodeURIComponent(num)}`);
      } catch (e) {
        avisar(`Não foi possível carregar o pedido ${num}: ${e.message}`);
        return;
      }
      guardar(num, res, true);
      renderEstoque(num);
    }
    const pedido = estado.pedidos.find((p) => p.num_pedido === num);
    montarDetalhes(num, res, pedido);
    const dialogo = $('detalhes');
    if (!dialogo.open) dialogo.showModal();
    $('det-fechar').focus();
  }

  function montarDetalhes(num, res, pedido) {
    const crit = criticidadeDe(res);
    const titulo = $('det-titulo');
    titulo.replaceChildren(
      `Pedido ${num} `,
      h('span', { class: `selo selo-${crit}`, 'data-criticidade': crit }, ROTULO[crit] || crit),
    );
    $('det-cliente').textContent = pedido
      ? [pedido.raz_social_red, [pedido.nome_cidade, pedido.cod_uf].filter(Boolean).join('/'), pedido.vendedor]
          .filter(Boolean)
          .join(' · ')
      : '';
    const corpo = $('det-corpo');
    if (!res.success) {
      corpo.replaceChildren(h('p', { class: 'erro' }, res.message || 'Pedido não analisado.'));
      return;
    }
    const r = res.resumo;
    const resumo = h(
      'dl',
      { class: 'resumo' },
      item('Em ruptura', `${pct(r.percentual_ruptura)} do valor`),
      item('Itens em ruptura', `${inteiro(r.qtd_itens_ruptura)} de ${inteiro(r.total_itens)}`),
      item('Valor total', moeda(r.valor_total_pedido)),
      item('Valor em risco', moeda(r.valor_com_ruptura)),
      item('Disponível por completo', disponibilidadeTotal(r.data_disponibilidade_total)),
    );
    const partes = [resumo];
    const itens = res.itens || [];
    if (itens.length === 0) {
      partes.push(h('p', { class: 'tudo-ok' }, 'Nenhum item em ruptura: o estoque projetado cobre todo o pedido.'));
    } else {
      partes.push(h('h3', null, 'Itens em ruptura'), tabelaRuptura(itens));
      partes.push(h('h3', null, 'Estoque projetado dos itens em ruptura'));
      const graficos = h('div', { class: 'graficos' });
      for (const it of itens) graficos.append(figuraProjecao(it));
      partes.push(graficos);
    }
    const disponiveis = res.itens_disponiveis || [];
    if (disponiveis.length) {
      partes.push(
        h(
          'details',
          { class: 'disponiveis' },
          h('summary', null, `Itens disponíveis (${inteiro(disponiveis.length)})`),
          tabelaDisponiveis(disponiveis),
        ),
      );
    }
    corpo.replaceChildren(...partes);
    corpo.scrollTop = 0;
  }

  function item(rotulo, valor) {
    return h('div', null, h('dt', null, rotulo), h('dd', null, valor));
  }

  function tabela(cabecalho, linhas, classe) {
    return h(
      'div',
      { class: 'tabela-modal-wrap' },
      h(
        'table',
        { class: `tabela-modal ${classe || ''}` },
        h('thead', null, h('tr', null, cabecalho.map(([t, num]) => h('th', { scope: 'col', class: num ? 'num' : null }, t)))),
        h('tbody', null, linhas),
      ),
    );
  }

  function tabelaRuptura(itens) {
    const cab = [
      ['Código'],
      ['Produto'],
      ['Qtd. pedido', 1],
      ['Estoque atual', 1],
      ['Mínimo na janela', 1],
      ['Falta', 1],
      ['Próxima produção'],
      ['Disponível em'],
    ];
    const linhas = itens.map((it) =>
      h(
        'tr',
        null,
        h('td', { class: 'codigo' }, it.cod_produto),
        h('td', { class: 'produto' }, it.nome_produto),
        h('td', { class: 'num' }, qtd(it.qtd_saldo)),
        h('td', { class: 'num' }, qtd(it.estoque_atual)),
        h('td', { class: `num ${it.estoque_min_d7 < 0 ? 'negativo' : ''}` }, qtd(it.estoque_min_d7)),
        h('td', { class: 'num falta' }, qtd(it.ruptura_qtd)),
        h('td', null, it.data_producao ? `${dataBR(it.data_producao)} · ${qtd(it.qtd_producao)}` : 'sem produção programada'),
        h('td', null, it.data_disponivel ? dataBR(it.data_disponivel) : 'sem previsão'),
      ),
    );
    return tabela(cab, linhas, 'tabela-ruptura');
  }

  function tabelaDisponiveis(itens) {
    const cab = [['Código'], ['Produto'], ['Qtd. pedido', 1], ['Estoque atual', 1], ['Mínimo na janela', 1], ['Valor', 1]];
    const linhas = itens.map((it) =>
      h(
        'tr',
        null,
        h('td', { class: 'codigo' }, it.cod_produto),
        h('td', { class: 'produto' }, it.nome_produto),
        h('td', { class: 'num' }, qtd(it.qtd_saldo)),
        h('td', { class: 'num' }, qtd(it.estoque_atual)),
        h('td', { class: 'num' }, qtd(it.estoque_min_d7)),
        h('td', { class: 'num' }, moeda(it.valor_total)),
      ),
    );
    return tabela(cab, linhas);
  }

  /** Round steps for an axis: 1, 2, 2.5 or 5 times a power of ten. */
  function passoBonito(intervalo, marcas) {
    const bruto = intervalo / Math.max(1, marcas);
    const pot = 10 ** Math.floor(Math.log10(bruto || 1));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * pot >= bruto) return m * pot;
    return 10 * pot;
  }

  /** SVG chart of a short line's projected stock, with the order's quantity and zero marked. */
  function figuraProjecao(it) {
    const pontos = it.projecao || [];
    const precisa = Number(it.qtd_saldo) || 0;
    const W = 460;
    const H = 220;
    const m = { e: 56, d: 40, t: 22, b: 34 };
    const saldos = pontos.map((p) => Number(p.saldo) || 0);
    let yMin = Math.min(0, ...saldos);
    let yMax = Math.max(precisa, ...saldos, 1);
    const passo = passoBonito(yMax - yMin, 4);
    yMin = Math.floor(yMin / passo) * passo;
    yMax = Math.ceil(yMax / passo) * passo;
    if (yMax === yMin) yMax = yMin + passo;
    const n = pontos.length;
    const x = (i) => m.e + (n <= 1 ? 0 : (i * (W - m.e - m.d)) / (n - 1));
    const y = (v) => m.t + ((yMax - v) / (yMax - yMin)) * (H - m.t - m.b);
    const minimo = saldos.length ? Math.min(...saldos) : 0;
    const rotulo =
      `Estoque projetado de ${it.cod_produto} de ${dataBR(pontos[0] && pontos[0].data)} a ` +
      `${dataBR(pontos[n - 1] && pontos[n - 1].data)}: mínimo ${qtd(minimo)}; o pedido precisa de ${qtd(precisa)}.`;
    const g = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'grafico-projecao', role: 'img', 'aria-label': rotulo });

    for (let v = yMin; v <= yMax + passo / 2; v += passo) {
      g.append(
        s('line', { x1: m.e, x2: W - m.d, y1: y(v), y2: y(v), class: 'grade' }),
        s('text', { x: m.e - 8, y: y(v) + 4, class: 'eixo-rotulo', 'text-anchor': 'end' }, qtd(v)),
      );
    }
    pontos.forEach((p, i) => {
      g.append(
        s('text', { x: x(i), y: H - m.b + 18, class: 'eixo-rotulo', 'text-anchor': 'middle' }, i === 0 ? 'Hoje' : diaMes(p.data)),
      );
    });
    if (n > 0) {
      // Area between the projection and zero, then the projection itself.
      const caminho = pontos.map((p, i) => `${x(i)},${y(saldos[i])}`).join(' ');
      g.append(s('polygon', { points: `${x(0)},${y(0)} ${caminho} ${x(n - 1)},${y(0)}`, class: 'area-saldo' }));
    }
    // "Zero" at the right end of its line; the order's quantity just above its own line, so long
    // numbers fit. A halo (CSS paint-order) keeps the labels readable over the data.
    g.append(
      s('line', { x1: m.e, x2: W - m.d, y1: y(0), y2: y(0), class: 'linha-zero' }),
      s('text', { x: W - m.d + 6, y: y(0) + 4, class: 'rotulo-linha rotulo-zero' }, 'Zero'),
      s('line', { x1: m.e, x2: W - m.d, y1: y(precisa), y2: y(precisa), class: 'linha-necessario' }),
    );
    const rotuloPedido = s(
      'text',
      { x: W - m.d, y: y(precisa) - 6, class: 'rotulo-linha rotulo-necessario', 'text-anchor': 'end' },
      `Pedido: ${qtd(precisa)}`,
    );
    if (n > 0) {
      g.append(s('polyline', { points: pontos.map((p, i) => `${x(i)},${y(saldos[i])}`).join(' '), class: 'linha-saldo' }));
      pontos.forEach((p, i) => {
        const cobre = saldos[i] >= precisa;
        g.append(
          s(
            'circle',
            { cx: x(i), cy: y(saldos[i]), r: 4.5, class: cobre ? 'ponto-cobre' : 'ponto-falta' },
            s('title', null, `${dataBR(p.data)}: saldo projetado ${qtd(saldos[i])}${cobre ? '' : ' (abaixo do pedido)'}`),
          ),
        );
      });
    }
    g.append(rotuloPedido);
    const legenda = h(
      'ul',
      { class: 'legenda' },
      h('li', null, h('span', { class: 'amostra amostra-saldo', 'aria-hidden': 'true' }), 'Saldo projetado'),
      h('li', null, h('span', { class: 'amostra amostra-necessario', 'aria-hidden': 'true' }), 'Quantidade do pedido'),
      h('li', null, h('span', { class: 'amostra amostra-falta', 'aria-hidden': 'true' }), 'Dia sem cobertura'),
    );
    const resumo = [
      `Falta ${qtd(it.ruptura_qtd)}`,
      it.data_disponivel ? `disponível em ${dataBR(it.data_disponivel)}` : 'sem previsão',
    ].join(' · ');
    return h(
      'figure',
      { class: 'figura-projecao' },
      h('figcaption', null, h('span', { class: 'codigo' }, it.cod_produto), ' — ', it.nome_produto, h('small', null, resumo)),
      g,
      legenda,
    );
  }

  /** Keeps Tab inside the open dialog. */
  function prenderFoco(ev) {
    if (ev.key !== 'Tab') return;
    const dialogo = ev.currentTarget;
    const focaveis = [...dialogo.querySelectorAll('button, [href], input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')].filter(
      (e) => !e.disabled && e.getClientRects().length > 0,
    );
    if (!focaveis.length) return;
    const primeiro = focaveis[0];
    const ultimo = focaveis[focaveis.length - 1];
    if (ev.shiftKey && document.activeElement === primeiro) {
      ev.preventDefault();
      ultimo.focus();
    } else if (!ev.shiftKey && document.activeElement === ultimo) {
      ev.preventDefault();
      primeiro.focus();
    }
  }

  // ---------------------------------------------------------------- wiring
  function ligar() {
    const form = $('filtros');
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      mudarFiltro('busca', $('f-busca').value.trim());
    });
    let esperaBusca = null;
    $('f-busca').addEventListener('input', () => {
      clearTimeout(esperaBusca);
      esperaBusca = setTimeout(() => mudarFiltro('busca', $('f-busca').value.trim()), CONFIG.esperaBuscaMs);
    });
    $('f-vendedor').addEventListener('change', (e) => mudarFiltro('vendedor', e.target.value));
    $('f-equipe').addEventListener('change', (e) => mudarFiltro('equipe_vendas', e.target.value));
    $('f-estado').addEventListener('change', (e) => mudarFiltro('estado', e.target.value));
    $('f-criticidade').addEventListener('change', (e) => {
      mudarFiltro('criticidade', e.target.value);
      if (estado.job) desenharAtalhos(estado.job);
    });
    $('btn-limpar').addEventListener('click', () => {
      for (const k of Object.keys(estado.filtros)) estado.filtros[k] = '';
      sincronizarCampos();
      estado.pagina = 1;
      carregarPagina();
      if (estado.job) desenharAtalhos(estado.job);
    });
    $('f-por-pagina').addEventListener('change', (e) => {
      estado.porPagina = Math.min(Math.max(1, parseInt(e.target.value, 10) || CONFIG.porPaginaPadrao), CONFIG.porPaginaMax);
      estado.pagina = 1;
      carregarPagina();
    });
    $('pag-primeira').addEventListener('click', () => irPara(1));
    $('pag-anterior').addEventListener('click', () => irPara(estado.pagina - 1));
    $('pag-proxima').addEventListener('click', () => irPara(estado.pagina + 1));
    $('pag-ultima').addEventListener('click', () => irPara(Number.MAX_SAFE_INTEGER));
    $('btn-atualizar').addEventListener('click', atualizarEstoque);
    $('btn-analisar-tudo').addEventListener('click', () => iniciarJob());
    $('btn-sair').addEventListener('click', sair);

    // Sort buttons in the column headers.
    for (const th of document.querySelectorAll('th[data-ordem]')) {
      const rotulo = th.textContent;
      const botao = h(
        'button',
        { type: 'button', class: 'ordenar' },
        rotulo,
        h('span', { class: 'seta', 'aria-hidden': 'true' }, '↕'),
      );
      botao.addEventListener('click', () => {
        if (estado.ordem === th.dataset.ordem) estado.direcao = estado.direcao === 'asc' ? 'desc' : 'asc';
        else {
          estado.ordem = th.dataset.ordem;
          estado.direcao = th.dataset.ordem === 'valor' || th.dataset.ordem === 'linhas' ? 'desc' : 'asc';
        }
        estado.pagina = 1;
        carregarPagina();
      });
      th.replaceChildren(botao);
    }

    $('linhas').addEventListener('click', (ev) => {
      const botao = ev.target.closest('button[data-detalhes]');
      if (botao) abrirDetalhes(botao.dataset.detalhes, botao);
    });

    const dialogo = $('detalhes');
    $('det-fechar').addEventListener('click', () => dialogo.close());
    dialogo.addEventListener('keydown', prenderFoco);
    dialogo.addEventListener('click', (ev) => {
      if (ev.target === dialogo) dialogo.close(); // a click on the backdrop
    });
    dialogo.addEventListener('close', () => {
      if (origemFoco && origemFoco.isConnected) origemFoco.focus();
      origemFoco = null;
    });
    $('login').addEventListener('keydown', prenderFoco);
  }

  async function iniciar() {
    ligar();
    lerURL();
    sincronizarCampos();
    try {
      const st = await fetch('/api/auth/status', { credentials: 'same-origin' }).then((r) => r.json());
      if (st.token_exigido) {
        $('btn-sair').hidden = !st.autenticado;
        if (!st.autenticado) await pedirLogin();
      }
      await Promise.all([carregarFiltros(), carregarPagina()]);
    } catch (e) {
      $('resumo-carteira').textContent = `Não foi possível iniciar: ${e.message}`;
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', iniciar);
  else iniciar();
})();
