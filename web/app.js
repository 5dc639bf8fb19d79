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
// the row holds an element with data-criticidade = OK | CRITICA | ALTA | MEDIA | BAIXA | ERRO
// and one with data-prazo = no_prazo | atrasa | vencida | sem_previsao | sem_expedicao (SPEC 8.2).
// window.__rupturaReconexaoMs (set before the page's script runs) shortens how long a lost job
// stream is retried before the page gives up.
//
// Failures never look like results: when the server cannot be reached the page shows one banner,
// marks the rows it could not update (leaving what they showed), counts them apart in the
// progress, and offers to try again. A list that fails to load empties the table rather than
// leaving rows of another filter under the new filter's name.
'use strict';

(() => {
  const CONFIG = {
    tamanhoLote: 20, // orders per batch request
    emVoo: 3, // batch requests in flight at once
    porPaginaPadrao: 100,
    porPaginaMax: 500, // a page is for reading; the whole book goes through a job
    esperaBuscaMs: 350,
    reconexaoMaxMs: Number(window.__rupturaReconexaoMs) || 20000,
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
  const PRAZO = {
    no_prazo: 'No prazo',
    atrasa: 'Atrasa',
    vencida: 'Vencida',
    sem_previsao: 'Sem previsão',
    sem_expedicao: 'Sem data',
  };
  const PRAZOS = ['vencida', 'atrasa', 'sem_previsao', 'no_prazo', 'sem_expedicao'];
  const SUGESTAO = { enviar: 'Enviar tudo', parcial: 'Enviar parcial', aguardar: 'Aguardar' };
  const MODOS = {
    prioridade: {
      curto: 'na fila de prioridade',
      longo:
        'Resposta na fila de prioridade: a carteira inteira é atendida em ordem (expedição, data do pedido), e cada pedido recebe o que sobra dos que vêm antes.',
    },
    independente: {
      curto: 'cada pedido sozinho',
      longo: 'Resposta de cada pedido sozinho: cada pedido é comparado com todo o estoque, como se fosse o único.',
    },
  };
  const ORDENS = ['num_pedido', 'cliente', 'cidade', 'vendedor', 'expedicao', 'data_pedido', 'valor', 'linhas'];
  // Orders that come from the analysis of the whole filtered book (a job), sorted on the server.
  const ORDENS_ANALISE = ['criticidade', 'valor_com_ruptura', 'data_pronto', 'dias_atraso'];
  const FILTROS_BASE = ['busca', 'vendedor', 'equipe_vendas', 'estado', 'expedicao_de', 'expedicao_ate'];

  // ---------------------------------------------------------------- Brazilian formatting
  const fmtMoeda = new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' });
  const fmtQtd = new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 3 });
  const fmtPct = new Intl.NumberFormat('pt-BR', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
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
  const SEM_SERVIDOR = 'Não foi possível falar com o servidor: ele parece fora do ar ou a rede caiu.';

  const estado = {
    filtros: { busca: '', vendedor: '', equipe_vendas: '', estado: '', criticidade: '', expedicao: '', expedicao_de: '', expedicao_ate: '', produto: '' },
    modo: 'prioridade',
    visao: 'pedidos',
    ordem: 'num_pedido',
    direcao: 'asc',
    pagina: 1,
    porPagina: CONFIG.porPaginaPadrao,
    total: 0,
    pedidos: [], // the orders of the page shown
    chaveLinhas: null, // base-filter key of the rows shown
    linhas: new Map(), // num_pedido -> {tr, estoque, prazo}: the row and its status boxes
    resultados: new Map(), // num_pedido -> RESULT (full, or a summary)
    seqLista: 0,
    execucao: 0, // generation of the page analysis; a newer one stops older ones
    job: null, // the analysis of the whole filtered book, for this filter and mode
    aguardaJobParaLista: false,
    falhaLista: false,
  };

  class ErroApi extends Error {
    constructor(mensagem, status) {
      super(mensagem);
      this.status = status;
    }
    /** The server did not answer (down, network lost, proxy without it). */
    get semServidor() {
      return this.status === 0 || this.status === 502 || this.status === 504;
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
    let resposta;
    try {
      resposta = await fetch(caminho, init);
    } catch {
      // The browser's own message ("Failed to fetch") says nothing to a planner.
      throw new ErroApi(SEM_SERVIDOR, 0);
    }
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
      if (!corpo && resposta.status >= 500) throw new ErroApi(SEM_SERVIDOR, resposta.status);
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
        } catch {
          erro.textContent = SEM_SERVIDOR;
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

  /** One banner for a server that cannot be reached (or a list that failed), with a retry. */
  function mostrarFalha(texto) {
    $('falha-texto').textContent = texto;
    $('falha').hidden = false;
    document.body.dataset.falha = 'sim';
  }
  function esconderFalha() {
    $('falha').hidden = true;
    delete document.body.dataset.falha;
  }

  /** The one live region: the start and the end of an analysis, not every batch. */
  function anunciar(texto) {
    $('anuncio').textContent = texto;
  }

  // ---------------------------------------------------------------- URL <-> state
  function hojeISO() {
    const d = new Date();
    const z = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`;
  }
  function somarDias(iso, n) {
    const [a, m, d] = iso.split('-').map(Number);
    const t = new Date(Date.UTC(a, m - 1, d + n));
    return t.toISOString().slice(0, 10);
  }
  /** The ship-date range of the shortcut (from, to), ISO dates or ''. */
  function intervaloExpedicao(atalho) {
    const hoje = hojeISO();
    if (atalho === 'hoje') return [hoje, hoje];
    if (atalho === 'vencidas') return ['', somarDias(hoje, -1)];
    if (atalho === 'semana') {
      const [a, m, d] = hoje.split('-').map(Number);
      const dia = new Date(Date.UTC(a, m - 1, d)).getUTCDay(); // 0 = Sunday
      const segunda = somarDias(hoje, dia === 0 ? -6 : 1 - dia);
      return [segunda, somarDias(segunda, 6)];
    }
    return null;
  }
  function aplicarAtalhoExpedicao() {
    const faixa = intervaloExpedicao(estado.filtros.expedicao);
    if (faixa) [estado.filtros.expedicao_de, estado.filtros.expedicao_ate] = faixa;
    if (!estado.filtros.expedicao) {
      estado.filtros.expedicao_de = '';
      estado.filtros.expedicao_ate = '';
    }
  }

  function lerURL() {
    const q = new URLSearchParams(window.location.search);
    for (const k of Object.keys(estado.filtros)) estado.filtros[k] = q.get(k) || '';
    if (!estado.filtros.expedicao && (estado.filtros.expedicao_de || estado.filtros.expedicao_ate)) {
      estado.filtros.expedicao = 'intervalo';
    }
    aplicarAtalhoExpedicao();
    if (MODOS[q.get('modo')]) estado.modo = q.get('modo');
    if (q.get('visao') === 'produtos') estado.visao = 'produtos';
    const ordem = q.get('ordem');
    if (ORDENS.includes(ordem) || ORDENS_ANALISE.includes(ordem)) estado.ordem = ordem;
    if (q.get('direcao') === 'desc') estado.direcao = 'desc';
    const pagina = parseInt(q.get('pagina'), 10);
    if (pagina >= 1) estado.pagina = pagina;
    const pp = parseInt(q.get('por_pagina'), 10);
    if (pp >= 1) {
      estado.porPagina = Math.min(pp, CONFIG.porPaginaMax);
      if (pp > CONFIG.porPaginaMax) {
        avisar(`No máximo ${inteiro(CONFIG.porPaginaMax)} pedidos por página: mostrando ${inteiro(CONFIG.porPaginaMax)}. Para a carteira inteira, use “Analisar tudo” e as exportações.`);
      }
    }
  }

  function escreverURL() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(estado.filtros)) {
      if (!v) continue;
      // A shortcut ("hoje", "semana") is kept as such, so the link stays right tomorrow.
      if ((k === 'expedicao_de' || k === 'expedicao_ate') && estado.filtros.expedicao !== 'intervalo') continue;
      q.set(k, v);
    }
    q.set('modo', estado.modo);
    if (estado.visao !== 'pedidos') q.set('visao', estado.visao);
    if (estado.ordem !== 'num_pedido') q.set('ordem', estado.ordem);
    if (estado.direcao !== 'asc') q.set('direcao', estado.direcao);
    if (estado.pagina > 1) q.set('pagina', String(estado.pagina));
    if (estado.porPagina !== CONFIG.porPaginaPadrao) q.set('por_pagina', String(estado.porPagina));
    history.replaceState(null, '', `?${q}`);
  }

  function filtrosBase() {
    const f = {};
    for (const k of FILTROS_BASE) {
      const v = estado.filtros[k].trim();
      if (v) f[k] = v;
    }
    return f;
  }
  /** What the job over the filtered book depends on: the base filters and the mode. */
  const chaveFiltros = () => JSON.stringify({ ...filtrosBase(), modo: estado.modo });

  /** "toda a carteira", or the filters in words. */
  function descreverFiltros(f) {
    const partes = [];
    if (f.vendedor) partes.push(`vendedor ${f.vendedor}`);
    if (f.equipe_vendas) partes.push(f.equipe_vendas);
    if (f.estado) partes.push(`UF ${f.estado}`);
    if (f.busca) partes.push(`busca “${f.busca}”`);
    if (f.expedicao_de || f.expedicao_ate) {
      if (f.expedicao_de === f.expedicao_ate) partes.push(`expedição em ${dataBR(f.expedicao_de)}`);
      else if (!f.expedicao_de) partes.push(`expedição até ${dataBR(f.expedicao_ate)}`);
      else if (!f.expedicao_ate) partes.push(`expedição desde ${dataBR(f.expedicao_de)}`);
      else partes.push(`expedição de ${dataBR(f.expedicao_de)} a ${dataBR(f.expedicao_ate)}`);
    }
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
    $('f-expedicao').value = estado.filtros.expedicao;
    $('f-exp-de').value = estado.filtros.expedicao_de;
    $('f-exp-ate').value = estado.filtros.expedicao_ate;
    const intervalo = estado.filtros.expedicao === 'intervalo';
    $('campo-de').hidden = !intervalo;
    $('campo-ate').hidden = !intervalo;
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
    for (const r of document.querySelectorAll('input[name="modo"]')) r.checked = r.value === estado.modo;
    const ord = $('f-ordem');
    const chave = `${estado.ordem}:${estado.direcao}`;
    if (![...ord.options].some((o) => o.value === chave)) {
      const base = [...ord.options].find((o) => o.value.startsWith(`${estado.ordem}:`));
      ord.append(h('option', { value: chave }, `${base ? base.textContent : estado.ordem} (${estado.direcao === 'asc' ? 'crescente' : 'decrescente'})`));
    }
    ord.value = chave;
    const fp = $('filtro-produto');
    if (estado.filtros.produto) {
      fp.replaceChildren(
        `Pedidos travados por ${estado.filtros.produto.split(',').join(', ')} `,
        h('button', { type: 'button', class: 'btn btn-discreto btn-pequeno', id: 'btn-limpar-produto' }, 'Mostrar todos'),
      );
      fp.hidden = false;
    } else {
      fp.hidden = true;
    }
    $('modo-texto').textContent = MODOS[estado.modo].longo;
  }

  function mudarFiltro(chave, valor) {
    if (estado.filtros[chave] === valor) return;
    estado.filtros[chave] = valor;
    estado.pagina = 1;
    carregarPagina();
  }

  function mudarModo(modo) {
    if (!MODOS[modo] || modo === estado.modo) return;
    estado.modo = modo;
    // Results of the other mode answer another question: none of them may stay on screen.
    fecharJob();
    estado.job = null;
    estado.resultados.clear();
    for (const n of estado.linhas.keys()) renderEstoque(n);
    sincronizarCampos();
    carregarPagina();
    if (estado.visao === 'produtos') mostrarVisao('produtos');
  }

  // ---------------------------------------------------------------- the list
  /** Does showing the list need the analysis of the whole filtered book? */
  const listaPrecisaDoJob = () =>
    Boolean(estado.filtros.criticidade || estado.filtros.produto || ORDENS_ANALISE.includes(estado.ordem));

  async function carregarPagina() {
    const seq = ++estado.seqLista;
    const chave = chaveFiltros();
    const params = new URLSearchParams(filtrosBase());
    params.set('ordem', estado.ordem);
    params.set('direcao', estado.direcao);
    params.set('pagina', String(estado.pagina));
    params.set('por_pagina', String(estado.porPagina));
    escreverURL();
    sincronizarCampos();

    // The analysis of the whole filtered book gives the totals, the criticality filter and the
    // sorting by analysis figures. A job of another filter or mode is dropped at once: its counts
    // must not stay on screen under this filter's name.
    let job = estado.job;
    if (job && job.chave !== chave) {
      fecharJob();
      estado.job = null;
      job = null;
    }
    if (!job || job.estado === 'falhou' || (job.estado === 'cancelado' && listaPrecisaDoJob())) {
      iniciarJob();
      job = estado.job;
    } else {
      mostrarTotais(job);
    }

    if (listaPrecisaDoJob()) {
      if (!job || job.estado !== 'concluido') {
        // The list is loaded again when the job ends.
        estado.aguardaJobParaLista = true;
        if (chave !== estado.chaveLinhas || estado.falhaLista) limparTabela('Analisando a carteira filtrada…');
        $('resumo-carteira').textContent = 'Analisando a carteira filtrada para aplicar o filtro e a ordem (acompanhe o progresso acima)…';
        return;
      }
      params.set('job_id', job.id);
      if (estado.filtros.criticidade) params.set('criticidade', estado.filtros.criticidade);
      if (estado.filtros.produto) params.set('falta_produto', estado.filtros.produto);
    }
    estado.aguardaJobParaLista = false;

    $('tabela-wrap').setAttribute('aria-busy', 'true');
    let dados;
    try {
      dados = await api(`/api/carteira/pedidos?${params}`);
    } catch (e) {
      if (seq !== estado.seqLista) return;
      $('tabela-wrap').removeAttribute('aria-busy');
      if (e.status === 404 && listaPrecisaDoJob()) {
        // The job expired on the server: analyse again.
        estado.job = null;
        carregarPagina();
        return;
      }
      // Never leave another filter's rows under this filter's name.
      estado.falhaLista = true;
      estado.total = 0;
      limparTabela('A carteira não pôde ser carregada com estes filtros.');
      $('resumo-carteira').textContent = `Carteira não carregada: ${e.message}`;
      mostrarFalha(e.semServidor ? SEM_SERVIDOR : `Não foi possível carregar a carteira: ${e.message}`);
      mostrarProgressoVazio('Nenhum pedido analisado: a carteira não foi carregada.');
      return;
    }
    if (seq !== estado.seqLista) return; // a newer request superseded this one
    estado.falhaLista = false;
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
    corridaAtual = null;
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
    const estoque = h('div', { class: 'estoque' });
    const prazo = h('span', { class: 'prazo-caixa' });
    const tr = h(
      'tr',
      { 'data-pedido': p.num_pedido },
      h('td', { class: 'col-pedido' }, h('span', { class: 'num-pedido' }, p.num_pedido)),
      h(
        'td',
        { class: 'col-cliente', title: [p.raz_social_red, p.cnpj_cpf].filter(Boolean).join(' · ') },
        h('span', { class: 'cliente' }, p.raz_social_red || '—'),
      ),
      h('td', { class: 'col-cidade' }, cidade || '—'),
      h(
        'td',
        { class: 'col-vendedor', title: [p.vendedor, p.equipe_vendas].filter(Boolean).join(' · ') },
        h('span', null, p.vendedor || '—'),
        p.equipe_vendas ? h('small', { class: 'equipe' }, p.equipe_vendas) : null,
      ),
      h(
        'td',
        { class: 'col-data', title: p.agendamento ? `Agendamento ${dataBR(p.agendamento)}` : null },
        h('span', { class: 'data-exp' }, p.expedicao ? dataBR(p.expedicao) : '—'),
        prazo,
      ),
      h('td', { class: 'num col-valor' }, moeda(p.valor_total)),
      h('td', { class: 'num col-itens' }, inteiro(p.linhas)),
      h('td', { class: 'col-estoque' }, estoque),
    );
    estado.linhas.set(p.num_pedido, { tr, estoque, prazo });
    renderEstoque(p.num_pedido);
    return tr;
  }

  const criticidadeDe = (res) => (res && res.success && res.resumo ? res.resumo.criticidade : 'ERRO');

  /** The prazo badge (SPEC 8.2): the wire value in data-prazo, the days late in words. */
  function seloPrazo(r) {
    if (!r || !r.prazo) return null;
    let texto = PRAZO[r.prazo] || r.prazo;
    if (r.prazo === 'atrasa' && r.dias_atraso != null) texto = `Atrasa ${inteiro(r.dias_atraso)} d`;
    if (r.prazo === 'vencida') texto = 'Vencida';
    return h('span', { class: `prazo prazo-${r.prazo}`, 'data-prazo': r.prazo, title: r.data_pronto ? `Pronto em ${dataBR(r.data_pronto)}` : null }, texto);
  }

  /** Fills the status cells of an order from its result (or the waiting state). */
  function renderEstoque(num) {
    const reg = estado.linhas.get(num);
    if (!reg) return;
    const res = estado.resultados.get(num);
    const { tr, estoque, prazo } = reg;
    for (const n of NIVEIS) tr.classList.remove(`crit-${n}`);
    tr.classList.remove('sem-resposta');
    if (!res) {
      prazo.replaceChildren();
      estoque.replaceChildren(
        h('span', { class: 'aguardando' }, h('span', { class: 'relogio', 'aria-hidden': 'true' }), 'Aguardando análise...'),
      );
      return;
    }
    const crit = criticidadeDe(res);
    tr.classList.add(`crit-${crit}`);
    const selo = h('span', { class: `selo selo-${crit}`, 'data-criticidade': crit }, ROTULO[crit] || crit);
    const partes = [selo];
    const link = h(
      'button',
      { type: 'button', class: 'link-detalhes', 'data-detalhes': num, 'aria-label': `Ver detalhes do pedido ${num}` },
      'Ver detalhes',
    );
    if (crit === 'ERRO') {
      prazo.replaceChildren();
      selo.setAttribute('title', res.message || 'erro');
      partes.push(h('small', { class: 'detalhe-estoque' }, res.message || 'Não analisado'));
    } else {
      const r = res.resumo;
      prazo.replaceChildren(...[seloPrazo(r)].filter(Boolean));
      partes.push(link);
      if (crit !== 'OK') {
        partes.push(h('small', { class: 'risco' }, `${pct(r.percentual_ruptura)} do valor em risco`));
        const disp = r.data_disponibilidade_total;
        partes.push(h('small', { class: 'detalhe-estoque' }, disp ? `completo em ${dataBR(disp)}` : 'sem previsão'));
      } else {
        partes.push(h('small', { class: 'detalhe-estoque' }, 'estoque cobre'));
      }
    }
    estoque.replaceChildren(...partes);
  }

  /** Marks a row the server could not update, leaving what it showed. */
  function marcarSemResposta(num) {
    const reg = estado.linhas.get(num);
    if (!reg) return;
    reg.tr.classList.add('sem-resposta');
    reg.tr.classList.remove('reanalisando');
    if (!reg.estoque.querySelector('.marca-falha')) {
      const aguardando = reg.estoque.querySelector('.aguardando');
      if (aguardando) aguardando.remove();
      reg.estoque.append(h('small', { class: 'marca-falha', 'data-falha': 'sem-resposta' }, 'Não analisado: servidor sem resposta'));
    }
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
      estado.resultados.set(num, resumir(res));
    }
  }

  function resumir(res) {
    if (!res || !res.success || !res.resumo || res.resumido) return res;
    return {
      success: true,
      num_pedido: res.num_pedido,
      resumido: true,
      resumo: res.resumo,
    };
  }

  // Results reach the DOM through a short queue: each DOM change costs the browser a layout of
  // the whole table, so with hundreds of rows on screen badges are flushed a few times a second
  // rather than once per batch. With a page of 100 rows the flush follows within a frame or so.
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
    if (corridaAtual && corridaAtual.exec === estado.execucao) {
      for (const n of corridaAtual.semResposta) marcarSemResposta(n);
      mostrarProgresso(corridaAtual);
    }
  }

  /**
   * Analyses the orders on screen that have no result yet (`todos`: every order on screen, each
   * keeping its last result, dimmed, until the new one arrives), in batches, a few in flight.
   */
  async function analisarVisiveis({ todos = false } = {}) {
    const exec = ++estado.execucao;
    const nums = estado.pedidos.map((p) => p.num_pedido);
    const pendentes = todos ? nums : nums.filter((n) => !estado.resultados.has(n));
    for (const n of pendentes) estado.linhas.get(n)?.tr.classList.add('reanalisando');
    const lotes = [];
    for (let i = 0; i < pendentes.length; i += CONFIG.tamanhoLote) lotes.push(pendentes.slice(i, i + CONFIG.tamanhoLote));
    const inicio = performance.now();
    const corrida = { exec, nums, inicio, fim: null, semResposta: new Set(), respondidos: new Set(), interrompida: false };
    corridaAtual = corrida;
    document.body.dataset.analisePagina = 'em_andamento';
    mostrarProgresso(corrida);
    if (pendentes.length) anunciar(`Analisando ${inteiro(pendentes.length)} pedidos da página…`);
    let proximo = 0;
    const trabalhador = async () => {
      while (exec === estado.execucao && !corrida.interrompida && proximo < lotes.length) {
        const lote = lotes[proximo++];
        await analisarLote(lote, corrida);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONFIG.emVoo, lotes.length) }, trabalhador));
    if (exec !== estado.execucao) return;
    corrida.fim = performance.now();
    if (corrida.interrompida) {
      // Batches never sent are not results either.
      for (const n of pendentes) if (!corrida.respondidos.has(n)) corrida.semResposta.add(n);
    }
    flushRender();
    document.body.dataset.analisePagina = corrida.semResposta.size ? 'falhou' : 'concluida';
    anunciar($('prog-texto').textContent);
    // For scripted measurements: time from navigation start to the last badge of the page.
    performance.mark('ruptura:ultimo-selo');
  }

  async function analisarLote(lote, corrida) {
    try {
      const resposta = await api(URL_LOTE, {
        method: 'POST',
        body: { pedidos: lote, tamanho_lote: CONFIG.tamanhoLote, modo: estado.modo },
      });
      if (corrida.exec !== estado.execucao) return;
      const resultados = (resposta && resposta.resultados) || {};
      for (const num of lote) {
        corrida.respondidos.add(num);
        estado.linhas.get(num)?.tr.classList.remove('reanalisando');
        const res = resultados[num] || { success: false, num_pedido: num, message: 'Sem resultado na resposta' };
        guardar(num, res);
        agendarRender(num);
      }
    } catch (e) {
      if (corrida.exec !== estado.execucao) return;
      // A failed request is not a result: the rows keep what they showed, marked; the orders
      // are tried again on the next analysis.
      for (const num of lote) corrida.semResposta.add(num);
      if (e.semServidor || e.status >= 500) {
        corrida.interrompida = true;
        mostrarFalha(e.semServidor ? SEM_SERVIDOR : `O servidor não conseguiu analisar: ${e.message}`);
      } else {
        avisar(`Parte dos pedidos não foi analisada: ${e.message}`);
      }
      agendarRender(lote[0]);
    }
  }

  function mostrarProgressoVazio(texto) {
    $('prog-barra').value = 0;
    $('prog-texto').textContent = texto;
    $('progresso').dataset.estado = 'falhou';
    document.body.dataset.analisePagina = 'falhou';
  }

  function mostrarProgresso(corrida) {
    const total = corrida.nums.length;
    let ok = 0;
    let ruptura = 0;
    let erros = 0;
    for (const n of corrida.nums) {
      if (corrida.semResposta.has(n)) continue;
      if (estado.linhas.get(n)?.tr.classList.contains('reanalisando')) continue; // not yet this run's
      const r = estado.resultados.get(n);
      if (!r) continue;
      const c = criticidadeDe(r);
      if (c === 'OK') ok++;
      else if (c === 'ERRO') erros++;
      else ruptura++;
    }
    const feitos = ok + ruptura + erros;
    const falhas = corrida.semResposta.size;
    const porcento = total === 0 ? 100 : Math.floor((feitos / total) * 100);
    $('prog-barra').value = porcento;
    $('prog-ok').textContent = inteiro(ok);
    $('prog-ruptura').textContent = inteiro(ruptura);
    $('prog-erros').textContent = inteiro(erros);
    const decorrido = (corrida.fim || performance.now()) - corrida.inicio;
    $('prog-tempo').textContent = segundos(decorrido);
    const texto = $('prog-texto');
    const acabou = corrida.fim !== null;
    let situacao;
    if (total === 0) {
      texto.textContent = 'Nenhum pedido nesta página.';
      situacao = 'concluido';
    } else if (falhas && acabou) {
      // Never a success: say how many were analysed and how many the server did not answer.
      texto.textContent = `Análise interrompida: ${inteiro(feitos)} de ${inteiro(total)} pedidos analisados, ${inteiro(falhas)} sem resposta do servidor.`;
      situacao = 'falhou';
    } else if (feitos < total) {
      texto.textContent = `${porcento}% — ${inteiro(feitos)} de ${inteiro(total)} pedidos analisados…`;
      situacao = 'em_andamento';
    } else {
      texto.textContent = `100% — ${inteiro(total)} pedidos analisados em ${segundos(decorrido)}.`;
      situacao = 'concluido';
    }
    $('progresso').dataset.estado = situacao;
  }

  /**
   * "Reanalisar": fresh data for the orders on screen and for the filtered book. The rows keep
   * what they showed (dimmed) until their new result arrives, so a failure leaves them as they
   * were, marked.
   */
  function reanalisar() {
    esconderFalha();
    fecharJob();
    estado.job = null;
    for (const k of [...estado.resultados.keys()]) if (!estado.linhas.has(k)) estado.resultados.delete(k);
    if (estado.falhaLista || !estado.pedidos.length || listaPrecisaDoJob()) {
      // The list itself is loaded again (it may have failed, or depend on the analysis).
      estado.resultados.clear();
      carregarPagina();
      return;
    }
    iniciarJob();
    analisarVisiveis({ todos: true });
  }

  /** "Tentar de novo" after a failure: what failed is asked again, nothing else is lost. */
  function tentarDeNovo() {
    esconderFalha();
    if (estado.falhaLista || !estado.chaveLinhas) {
      carregarPagina();
      return;
    }
    if (estado.job && (estado.job.estado === 'falhou' || estado.job.estado === 'cancelado')) {
      estado.job = null;
      iniciarJob();
    }
    analisarVisiveis();
    if (estado.visao === 'produtos') mostrarVisao('produtos');
  }

  // ---------------------------------------------------------------- the filtered book: a job
  // Every filter and mode gets one analysis of the whole filtered book on the server (a job: a
  // fraction of a second for 10,000 orders). Its statistics are the totals shown, its results
  // let the server filter and sort the list by criticality, value at risk, ship dates; the
  // exports and the products view read it.
  function fecharJob() {
    const job = estado.job;
    if (!job) return;
    if (job.fonte) {
      job.fonte.close();
      job.fonte = null;
    }
    clearTimeout(job.timerReconexao);
  }

  async function iniciarJob(explicito = false) {
    const chave = chaveFiltros();
    if (estado.job && estado.job.chave === chave && ['iniciando', 'em_andamento'].includes(estado.job.estado)) return;
    fecharJob();
    const filtros = filtrosBase();
    const job = {
      id: null,
      chave,
      explicito,
      modo: estado.modo,
      filtros,
      estado: 'iniciando',
      total: 0,
      processados: 0,
      erros: 0,
      contagem: Object.fromEntries(NIVEIS.map((n) => [n, 0])),
      vistos: new Set(),
      estatisticas: null,
      inicio: performance.now(),
      fim: null,
      fonte: null,
      perdidoDesde: null,
      timerReconexao: null,
    };
    estado.job = job;
    const painel = $('job');
    painel.hidden = false;
    $('job-escopo').textContent = `${descreverFiltros(filtros)} · ${MODOS[job.modo].curto}`;
    mostrarJob(job);
    mostrarTotais(job);
    let criado;
    try {
      // The page's own job (totals, sorting, exports) is not recorded as a run: only an explicit
      // "Analisar tudo" is, so page loads never push the planner's runs out of the history.
      const registrar = job.explicito === true;
      criado = await api('/api/ruptura/jobs', { method: 'POST', body: { filtros, modo: job.modo, registrar } });
    } catch (e) {
      if (estado.job !== job) return;
      falharJob(job, e.semServidor ? SEM_SERVIDOR : e.message);
      if (e.semServidor) mostrarFalha(SEM_SERVIDOR);
      return;
    }
    if (estado.job !== job) return;
    job.id = criado.job_id;
    job.total = criado.total_pedidos;
    job.estado = 'em_andamento';
    anunciar(`Analisando a carteira filtrada: ${inteiro(job.total)} pedidos…`);
    mostrarJob(job);
    seguirEventos(job);
  }

  function falharJob(job, mensagem) {
    if (job.fonte) job.fonte.close();
    job.fonte = null;
    clearTimeout(job.timerReconexao);
    job.estado = 'falhou';
    job.mensagem = mensagem;
    job.fim = performance.now();
    mostrarJob(job);
    mostrarTotais(job);
    anunciar(`A análise da carteira falhou: ${mensagem}`);
    if (estado.aguardaJobParaLista) {
      limparTabela('A lista depende da análise da carteira, que falhou. Use “Tentar de novo”.');
      $('resumo-carteira').textContent = 'Carteira não carregada: a análise da carteira filtrada falhou.';
    }
  }

  function cancelarJob() {
    const job = estado.job;
    if (!job || !['iniciando', 'em_andamento'].includes(job.estado)) return;
    if (job.fonte) job.fonte.close();
    job.fonte = null;
    clearTimeout(job.timerReconexao);
    job.estado = 'cancelado';
    job.mensagem = 'você cancelou o acompanhamento';
    job.fim = performance.now();
    mostrarJob(job);
    mostrarTotais(job);
    anunciar('Análise da carteira cancelada.');
  }

  function seguirEventos(job) {
    // Same origin: the session cookie goes along, so no token in the URL. The stream carries
    // each order's summary; the details dialog asks for the whole result when opened.
    const fonte = new EventSource(`/api/ruptura/jobs/${encodeURIComponent(job.id)}/eventos`);
    job.fonte = fonte;
    const vivo = () => {
      job.perdidoDesde = null;
      clearTimeout(job.timerReconexao);
    };
    fonte.addEventListener('open', vivo);
    fonte.addEventListener('lote', (ev) => {
      if (estado.job !== job) return;
      vivo();
      const d = JSON.parse(ev.data);
      for (const [num, res] of Object.entries(d.resultados || {})) {
        // Counts only: the rows on screen show the page's own analysis (same mode, same data).
        if (job.vistos.has(num)) continue;
        job.vistos.add(num);
        const c = criticidadeDe(res);
        job.contagem[c] = (job.contagem[c] || 0) + 1;
      }
      job.processados = d.processados;
      job.total = d.total_pedidos;
      job.erros = d.erros;
      mostrarJob(job);
    });
    fonte.addEventListener('concluido', (ev) => {
      fonte.close();
      job.fonte = null;
      vivo();
      if (estado.job !== job) return;
      const d = JSON.parse(ev.data);
      if (d.por_criticidade) {
        for (const n of NIVEIS) job.contagem[n] = d.por_criticidade[n] || 0;
      }
      job.estatisticas = d;
      job.processados = d.processados;
      job.total = d.total_pedidos;
      job.erros = d.erros;
      job.estado = 'concluido';
      job.fim = performance.now();
      mostrarJob(job);
      mostrarTotais(job);
      anunciar($('job-texto').textContent);
      if (estado.aguardaJobParaLista) carregarPagina();
      if (estado.visao === 'produtos') carregarProdutos();
    });
    fonte.addEventListener('falhou', (ev) => {
      if (estado.job !== job) {
        fonte.close();
        return;
      }
      let msg = 'a análise falhou';
      try {
        msg = JSON.parse(ev.data).message || msg;
      } catch {
        /* keep the default */
      }
      falharJob(job, msg);
    });
    fonte.addEventListener('error', () => {
      if (estado.job !== job || job.estado !== 'em_andamento') return;
      if (fonte.readyState === EventSource.CLOSED) {
        falharJob(job, 'a conexão com o servidor foi perdida');
        return;
      }
      // The browser reconnects by itself, sending Last-Event-ID: nothing is lost, but only for
      // so long: a server that stays away ends the wait, with cancel and retry on screen.
      if (job.perdidoDesde === null) {
        job.perdidoDesde = performance.now();
        job.timerReconexao = setTimeout(() => {
          if (estado.job !== job || job.estado !== 'em_andamento') return;
          const s = Math.round(CONFIG.reconexaoMaxMs / 1000);
          falharJob(job, `o servidor não respondeu por ${s} s`);
          mostrarFalha(SEM_SERVIDOR);
        }, CONFIG.reconexaoMaxMs);
      }
      mostrarJob(job);
    });
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
    const ativo = job.estado === 'em_andamento' || job.estado === 'iniciando';
    if (job.estado === 'falhou') {
      const motivo = String(job.mensagem || '').replace(/[.\s]+$/, '');
      texto.textContent = job.total
        ? `A análise da carteira parou: ${motivo}. ${inteiro(job.processados)} de ${inteiro(job.total)} pedidos analisados.`
        : `A análise da carteira não começou: ${motivo}.`;
    } else if (job.estado === 'cancelado') {
      texto.textContent = `Análise cancelada: ${inteiro(job.processados)} de ${inteiro(job.total)} pedidos analisados.`;
    } else if (job.estado === 'concluido') {
      texto.textContent =
        `Concluída: ${inteiro(job.total)} pedidos em ${segundos(decorrido)} — ` +
        `${inteiro(job.contagem.OK)} OK, ${inteiro(rupturas)} com ruptura, ${inteiro(job.contagem.ERRO)} com erro.`;
    } else if (job.perdidoDesde !== null) {
      texto.textContent = `Conexão com o servidor interrompida; tentando reconectar (desiste em ${Math.round(CONFIG.reconexaoMaxMs / 1000)} s)…`;
    } else if (job.estado === 'em_andamento') {
      texto.textContent = `${porcento}% — ${inteiro(job.processados)} de ${inteiro(job.total)} pedidos analisados…`;
    } else {
      texto.textContent = 'Iniciando a análise da carteira filtrada…';
    }
    $('job-cancelar').hidden = !ativo;
    $('job-tentar').hidden = !(job.estado === 'falhou' || job.estado === 'cancelado');
    $('btn-analisar-tudo').disabled = ativo;
    const pronto = job.estado === 'concluido' && job.id;
    for (const [id, formato] of [['btn-xlsx', 'xlsx'], ['btn-csv', 'csv']]) {
      const a = $(id);
      if (pronto) {
        a.href = `/api/ruptura/jobs/${encodeURIComponent(job.id)}/exportar?formato=${formato}`;
        a.removeAttribute('aria-disabled');
      } else {
        a.removeAttribute('href');
        a.setAttribute('aria-disabled', 'true');
      }
    }
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

  // ---------------------------------------------------------------- totals of the filter
  /** Totals of what the filter shows (SPEC 8.3), from the job of this very filter and mode. */
  function mostrarTotais(job) {
    const caixa = $('totais');
    const dl = $('totais-valores');
    $('totais-modo').textContent = `${descreverFiltros(filtrosBase())} · ${MODOS[estado.modo].curto}`;
    if (!job || job.chave !== chaveFiltros()) {
      caixa.dataset.estado = 'vazio';
      dl.replaceChildren();
      return;
    }
    const e = job.estatisticas;
    if (job.estado !== 'concluido' || !e) {
      caixa.dataset.estado = job.estado === 'falhou' || job.estado === 'cancelado' ? 'falhou' : 'calculando';
      dl.replaceChildren(
        h('div', null, h('dt', null, 'Totais'), h('dd', null, caixa.dataset.estado === 'falhou' ? 'indisponíveis (a análise parou)' : 'calculando…')),
      );
      return;
    }
    caixa.dataset.estado = 'pronto';
    const itens = [
      ['Pedidos', inteiro(e.total_pedidos), 'total_pedidos'],
      ['Valor', e.valor_total != null ? moeda(e.valor_total) : '—', 'valor_total'],
      ['Em risco', e.valor_com_ruptura != null ? moeda(e.valor_com_ruptura) : '—', 'valor_com_ruptura'],
      ['Pode sair agora', e.valor_agora != null ? moeda(e.valor_agora) : '—', 'valor_agora'],
    ];
    const partes = itens.map(([rotulo, valor, chave]) => h('div', { 'data-total': chave }, h('dt', null, rotulo), h('dd', null, valor)));
    const crit = e.por_criticidade || {};
    partes.push(
      h(
        'div',
        { class: 'total-contagens', 'data-total': 'por_criticidade' },
        h('dt', null, 'Criticidade'),
        h(
          'dd',
          null,
          ...['CRITICA', 'ALTA', 'MEDIA', 'BAIXA', 'OK'].map((n) =>
            h('span', { class: `conta conta-${n}`, 'data-nivel': n }, `${ROTULO[n]} ${inteiro(crit[n] || 0)}`),
          ),
        ),
      ),
    );
    if (e.por_prazo) {
      partes.push(
        h(
          'div',
          { class: 'total-contagens', 'data-total': 'por_prazo' },
          h('dt', null, 'Prazo'),
          h(
            'dd',
            null,
            ...PRAZOS.map((p) => h('span', { class: `conta prazo-${p}`, 'data-prazo-total': p }, `${PRAZO[p]} ${inteiro(e.por_prazo[p] || 0)}`)),
          ),
        ),
      );
    }
    dl.replaceChildren(...partes);
  }

  // ---------------------------------------------------------------- "Produtos em falta"
  function mostrarVisao(visao) {
    estado.visao = visao;
    for (const b of document.querySelectorAll('#abas .aba')) {
      if (b.dataset.visao === visao) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    $('produtos').hidden = visao !== 'produtos';
    document.querySelector('.carteira').hidden = visao !== 'pedidos';
    escreverURL();
    if (visao === 'produtos') carregarProdutos();
  }

  let seqProdutos = 0;
  async function carregarProdutos() {
    const seq = ++seqProdutos;
    const corpo = $('linhas-produtos');
    const vazio = $('produtos-vazio');
    const job = estado.job;
    $('produtos-resumo').textContent = `${descreverFiltros(filtrosBase())} · ${MODOS[estado.modo].curto}`;
    if (!job || job.chave !== chaveFiltros() || job.estado !== 'concluido') {
      corpo.replaceChildren();
      vazio.hidden = false;
      vazio.textContent =
        job && (job.estado === 'falhou' || job.estado === 'cancelado')
          ? 'A análise da carteira filtrada parou: os produtos em falta não podem ser calculados. Use “Tentar de novo”.'
          : 'Analisando a carteira filtrada…';
      if (!job || job.chave !== chaveFiltros()) iniciarJob();
      return;
    }
    let dados;
    try {
      dados = await api(`/api/ruptura/jobs/${encodeURIComponent(job.id)}/produtos`);
    } catch (e) {
      if (seq !== seqProdutos) return;
      corpo.replaceChildren();
      vazio.hidden = false;
      vazio.textContent = 'Os produtos em falta não puderam ser carregados.';
      if (e.semServidor) mostrarFalha(SEM_SERVIDOR);
      else avisar(`Produtos em falta: ${e.message}`);
      return;
    }
    if (seq !== seqProdutos) return;
    const produtos = dados.produtos || [];
    vazio.hidden = produtos.length > 0;
    vazio.textContent = 'Nenhum produto em falta nesta carteira.';
    corpo.replaceChildren(
      ...produtos.map((p) => {
        const codigos = (p.codigos && p.codigos.length ? p.codigos : [p.cod_produto]).join(',');
        return h(
          'tr',
          { 'data-produto': p.cod_produto },
          h(
            'td',
            { class: 'col-produto' },
            h(
              'button',
              {
                type: 'button',
                class: 'link-detalhes',
                'data-codigos': codigos,
                'aria-label': `Ver os pedidos travados por ${p.cod_produto}`,
              },
              p.cod_produto,
            ),
            ' ',
            h('span', { class: 'produto' }, p.nome_produto),
            p.codigos && p.codigos.length > 1 ? h('small', null, `códigos ${p.codigos.join(', ')}`) : null,
          ),
          h('td', { class: 'num', 'data-rotulo': 'Pedidos' }, inteiro(p.pedidos)),
          h('td', { class: 'num', 'data-rotulo': 'Falta' }, qtd(p.qtd_falta)),
          h('td', { class: 'num', 'data-rotulo': 'Destrava' }, inteiro(p.pedidos_destravados)),
          h('td', { class: 'num', 'data-rotulo': 'Valor destravado', 'data-valor-destravado': p.valor_destravado }, moeda(p.valor_destravado)),
          h('td', { class: 'num', 'data-rotulo': 'Valor dos pedidos' }, moeda(p.valor_pedidos)),
          h('td', { class: 'num', 'data-rotulo': 'Estoque' }, qtd(p.estoque_atual)),
          h('td', { 'data-rotulo': 'Próxima produção' }, p.data_producao ? `${dataBR(p.data_producao)} · ${qtd(p.qtd_producao)}` : 'sem produção programada'),
        );
      }),
    );
  }

  /** A product row opens the orders it blocks: the list, filtered on the server. */
  function abrirPedidosDoProduto(codigos) {
    estado.filtros.produto = codigos;
    estado.filtros.criticidade = '';
    estado.pagina = 1;
    if (!ORDENS_ANALISE.includes(estado.ordem)) {
      estado.ordem = 'valor_com_ruptura';
      estado.direcao = 'desc';
    }
    mostrarVisao('pedidos');
    carregarPagina();
  }

  // ---------------------------------------------------------------- details dialog
  let origemFoco = null;

  async function abrirDetalhes(num, botao) {
    origemFoco = botao || null;
    let res = estado.resultados.get(num);
    if (!res || res.resumido) {
      try {
        res = await api(`/carteira/api/ruptura/analisar-pedido/${encodeURIComponent(num)}?modo=${estado.modo}`);
      } catch (e) {
        if (e.semServidor) mostrarFalha(SEM_SERVIDOR);
        else avisar(`Não foi possível carregar o pedido ${num}: ${e.message}`);
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
    const partes = [h('p', { class: 'det-modo' }, `Resposta ${MODOS[estado.modo].curto}.`), resumo];
    if (r.prazo) {
      const atraso = r.dias_atraso != null && r.dias_atraso > 0 ? ` (${inteiro(r.dias_atraso)} dia${r.dias_atraso === 1 ? '' : 's'} de atraso)` : '';
      partes.push(
        h(
          'p',
          { class: 'det-prazo' },
          seloPrazo(r),
          ` Expedição ${r.expedicao ? dataBR(r.expedicao) : 'sem data'} · pronto ${r.data_pronto ? `em ${dataBR(r.data_pronto)}` : 'sem previsão'}${atraso}.`,
        ),
      );
    }
    if (r.sugestao && r.qtd_itens_ruptura > 0) {
      // Partial shipment (SPEC 8.3): what can leave today, for how much, and the suggestion.
      partes.push(
        h(
          'div',
          { class: `det-parcial sugestao-${r.sugestao}`, 'data-sugestao': r.sugestao },
          h('strong', null, `Sugestão: ${SUGESTAO[r.sugestao] || r.sugestao}. `),
          r.valor_agora > 0
            ? `Hoje podem sair ${inteiro(r.itens_agora)} de ${inteiro(r.total_itens)} itens, ${moeda(r.valor_agora)} (${pct(r.percentual_valor_agora)} do valor do pedido).`
            : 'Nada deste pedido pode sair hoje.',
        ),
      );
    } else if (r.sugestao === 'enviar') {
      partes.push(h('div', { class: 'det-parcial sugestao-enviar', 'data-sugestao': 'enviar' }, h('strong', null, 'Sugestão: enviar tudo. '), 'O estoque cobre o pedido inteiro.'));
    }
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
      ['Sai agora', 1],
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
        h('td', { class: 'num' }, qtd(it.qtd_agora != null ? it.qtd_agora : it.qtd_disponivel)),
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

  /**
   * SVG chart of a short line's projected stock, from today to the day the line is covered (or to
   * the last known stock event), with the order's quantity and zero marked. Long projections keep
   * the same size: the days share the width, labels and markers are thinned.
   */
  function figuraProjecao(it) {
    const pontos = it.projecao || [];
    const precisa = Number(it.qtd_saldo) || 0;
    const W = 460;
    const H = 170;
    const m = { e: 56, d: 44, t: 16, b: 28 };
    const saldos = pontos.map((p) => Number(p.saldo) || 0);
    let yMin = Math.min(0, ...saldos);
    let yMax = Math.max(precisa, ...saldos, 1);
    const passo = passoBonito(yMax - yMin, 3);
    yMin = Math.floor(yMin / passo) * passo;
    yMax = Math.ceil(yMax / passo) * passo;
    if (yMax === yMin) yMax = yMin + passo;
    const n = pontos.length;
    const x = (i) => m.e + (n <= 1 ? 0 : (i * (W - m.e - m.d)) / (n - 1));
    const y = (v) => m.t + ((yMax - v) / (yMax - yMin)) * (H - m.t - m.b);
    const minimo = saldos.length ? Math.min(...saldos) : 0;
    const ultimoDia = pontos[n - 1] && pontos[n - 1].data;
    const rotulo =
      `Estoque projetado de ${it.cod_produto} de ${dataBR(pontos[0] && pontos[0].data)} a ${dataBR(ultimoDia)}: ` +
      `mínimo ${qtd(minimo)}; o pedido precisa de ${qtd(precisa)}; ` +
      (it.data_disponivel ? `disponível em ${dataBR(it.data_disponivel)}.` : 'sem previsão de cobertura.');
    const g = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'grafico-projecao', role: 'img', 'aria-label': rotulo, 'data-dias': n });

    for (let v = yMin; v <= yMax + passo / 2; v += passo) {
      g.append(
        s('line', { x1: m.e, x2: W - m.d, y1: y(v), y2: y(v), class: 'grade' }),
        s('text', { x: m.e - 8, y: y(v) + 4, class: 'eixo-rotulo', 'text-anchor': 'end' }, qtd(v)),
      );
    }
    const cadaRotulo = Math.max(1, Math.ceil(n / 8));
    pontos.forEach((p, i) => {
      if (i % cadaRotulo !== 0 && i !== n - 1) return;
      if (i !== n - 1 && n - 1 - i < cadaRotulo / 2) return; // no overlap with the last label
      g.append(
        s('text', { x: x(i), y: H - m.b + 16, class: 'eixo-rotulo', 'text-anchor': 'middle' }, i === 0 ? 'Hoje' : diaMes(p.data)),
      );
    });
    if (n > 0) {
      const caminho = pontos.map((p, i) => `${x(i)},${y(saldos[i])}`).join(' ');
      g.append(s('polygon', { points: `${x(0)},${y(0)} ${caminho} ${x(n - 1)},${y(0)}`, class: 'area-saldo' }));
    }
    g.append(
      s('line', { x1: m.e, x2: W - m.d, y1: y(0), y2: y(0), class: 'linha-zero' }),
      s('text', { x: W - m.d + 6, y: y(0) + 4, class: 'rotulo-linha rotulo-zero' }, 'Zero'),
      s('line', { x1: m.e, x2: W - m.d, y1: y(precisa), y2: y(precisa), class: 'linha-necessario' }),
    );
    // The day the line is covered, when it falls inside the chart.
    if (it.data_disponivel && n > 0) {
      const i = pontos.findIndex((p) => p.data === it.data_disponivel);
      if (i >= 0) {
        g.append(
          s('line', { x1: x(i), x2: x(i), y1: m.t, y2: H - m.b, class: 'linha-cobertura' }),
        );
      }
    }
    const rotuloPedido = s(
      'text',
      { x: W - m.d, y: y(precisa) - 6, class: 'rotulo-linha rotulo-necessario', 'text-anchor': 'end' },
      `Pedido: ${qtd(precisa)}`,
    );
    if (n > 0) {
      g.append(s('polyline', { points: pontos.map((p, i) => `${x(i)},${y(saldos[i])}`).join(' '), class: 'linha-saldo' }));
      // A marker per day while the days are few; then only where the balance changes.
      pontos.forEach((p, i) => {
        if (n > 16 && i > 0 && i < n - 1 && saldos[i] === saldos[i - 1]) return;
        const cobre = saldos[i] >= precisa;
        g.append(
          s(
            'circle',
            { cx: x(i), cy: y(saldos[i]), r: n > 16 ? 3 : 4, class: cobre ? 'ponto-cobre' : 'ponto-falta' },
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
      it.data_disponivel ? h('li', null, h('span', { class: 'amostra amostra-cobertura', 'aria-hidden': 'true' }), 'Dia em que cobre') : null,
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
    $('f-expedicao').addEventListener('change', (e) => {
      estado.filtros.expedicao = e.target.value;
      if (e.target.value === 'intervalo') {
        // Keep the current range as the start of the custom one.
        sincronizarCampos();
        $('f-exp-de').focus();
        return;
      }
      aplicarAtalhoExpedicao();
      estado.pagina = 1;
      carregarPagina();
    });
    for (const [id, chave] of [['f-exp-de', 'expedicao_de'], ['f-exp-ate', 'expedicao_ate']]) {
      $(id).addEventListener('change', (e) => {
        estado.filtros.expedicao = 'intervalo';
        mudarFiltro(chave, e.target.value);
      });
    }
    $('btn-limpar').addEventListener('click', () => {
      for (const k of Object.keys(estado.filtros)) estado.filtros[k] = '';
      estado.pagina = 1;
      carregarPagina();
      if (estado.job) desenharAtalhos(estado.job);
    });
    $('filtro-produto').addEventListener('click', (ev) => {
      if (ev.target.closest('#btn-limpar-produto')) mudarFiltro('produto', '');
    });
    $('f-por-pagina').addEventListener('change', (e) => {
      estado.porPagina = Math.min(Math.max(1, parseInt(e.target.value, 10) || CONFIG.porPaginaPadrao), CONFIG.porPaginaMax);
      estado.pagina = 1;
      carregarPagina();
    });
    $('f-ordem').addEventListener('change', (e) => {
      const [ordem, direcao] = e.target.value.split(':');
      estado.ordem = ordem;
      estado.direcao = direcao === 'desc' ? 'desc' : 'asc';
      estado.pagina = 1;
      carregarPagina();
    });
    for (const r of document.querySelectorAll('input[name="modo"]')) {
      r.addEventListener('change', (e) => {
        if (e.target.checked) mudarModo(e.target.value);
      });
    }
    $('pag-primeira').addEventListener('click', () => irPara(1));
    $('pag-anterior').addEventListener('click', () => irPara(estado.pagina - 1));
    $('pag-proxima').addEventListener('click', () => irPara(estado.pagina + 1));
    $('pag-ultima').addEventListener('click', () => irPara(Number.MAX_SAFE_INTEGER));
    $('btn-atualizar').addEventListener('click', reanalisar);
    $('btn-tentar').addEventListener('click', tentarDeNovo);
    $('job-tentar').addEventListener('click', () => {
      esconderFalha();
      estado.job = null;
      carregarPagina();
    });
    $('job-cancelar').addEventListener('click', cancelarJob);
    $('btn-analisar-tudo').addEventListener('click', () => {
      // A fresh analysis of the whole filtered book.
      fecharJob();
      estado.job = null;
      iniciarJob(true);
      $('job').querySelector('details').open = true;
    });
    $('btn-sair').addEventListener('click', sair);
    for (const id of ['btn-xlsx', 'btn-csv']) {
      $(id).addEventListener('click', (ev) => {
        if ($(id).getAttribute('aria-disabled') === 'true') {
          ev.preventDefault();
          avisar('A exportação fica disponível quando a análise da carteira filtrada termina.');
        }
      });
    }
    for (const b of document.querySelectorAll('#abas .aba')) {
      b.addEventListener('click', () => mostrarVisao(b.dataset.visao));
    }
    $('linhas-produtos').addEventListener('click', (ev) => {
      const botao = ev.target.closest('button[data-codigos]');
      if (botao) abrirPedidosDoProduto(botao.dataset.codigos);
    });

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
        const o = th.dataset.ordem;
        if (estado.ordem === o) estado.direcao = estado.direcao === 'asc' ? 'desc' : 'asc';
        else {
          estado.ordem = o;
          estado.direcao = ['valor', 'linhas', 'criticidade', 'valor_com_ruptura', 'dias_atraso', 'data_pronto'].includes(o) ? 'desc' : 'asc';
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
      let st;
      try {
        st = await fetch('/api/auth/status', { credentials: 'same-origin' }).then((r) => r.json());
      } catch {
        throw new ErroApi(SEM_SERVIDOR, 0);
      }
      if (st.token_exigido) {
        $('btn-sair').hidden = !st.autenticado;
        if (!st.autenticado) await pedirLogin();
      }
      await Promise.all([carregarFiltros().catch(() => {}), carregarPagina()]);
      if (estado.visao !== 'pedidos') mostrarVisao(estado.visao);
    } catch (e) {
      $('resumo-carteira').textContent = `Não foi possível iniciar: ${e.message}`;
      mostrarFalha(e.semServidor ? SEM_SERVIDOR : `Não foi possível iniciar: ${e.message}`);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', iniciar);
  else iniciar();
})();
