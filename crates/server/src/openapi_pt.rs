//! Portuguese descriptions of the API description's schemas and their properties.
//!
//! The Rust doc comments of the wire types are English (they document code); the API description
//! is read by the page's users and the old system's integrators, so its texts are Portuguese.
//! [`apply`] writes these over the generated description: a schema or property listed in
//! [`ESQUEMAS`] or [`CAMPOS_DE`] gets that text; a property with no description gets the one of
//! its name in [`CAMPOS`]. The test `every_schema_and_property_is_described_in_portuguese`
//! (`tests/openapi.rs`) fails when one is left without a description or in English.

use serde_json::Value;

/// Schema → description.
pub(crate) const ESQUEMAS: &[(&str, &str)] = &[
    ("AuthStatus", "Se o servidor pede token (para a página)."),
    (
        "Causa",
        "O que mudou num grupo de produtos entre as duas execuções, e por isso mudou o pedido.",
    ),
    (
        "Criticidade",
        "Criticidade do pedido (SPEC 2.7): `OK` (nenhuma linha em ruptura), `BAIXA`, `MEDIA`, \
         `ALTA` ou `CRITICA`. Nas contagens e listas, `ERRO` marca um pedido não analisado.",
    ),
    ("Dia", "Uma data, AAAA-MM-DD."),
    ("ErrorBody", "O corpo de toda resposta de erro."),
    (
        "Estatisticas",
        "`estatisticas` de uma análise (SPEC 3.1): contagens, tempos e, sobre os pedidos \
         encontrados, as somas de valor e as contagens por criticidade e por prazo (SPEC 8.3).",
    ),
    (
        "Execucao",
        "Uma execução registrada (análise da carteira inteira), sem os seus dados.",
    ),
    ("Health", "O estado do serviço e do que ele usa."),
    (
        "CachePrioridade",
        "Como a alocação de prioridade guardada se saiu desde que o servidor começou.",
    ),
    (
        "ItemDisponivel",
        "Uma linha do pedido coberta pelo estoque (`itens_disponiveis`).",
    ),
    ("ItemRuptura", "Uma linha do pedido em ruptura (`itens`)."),
    ("JobCreated", "A resposta à criação de um job (202)."),
    (
        "JobState",
        "Estado de um job: `em_andamento`, `concluido` ou `falhou`.",
    ),
    (
        "JobStatus",
        "O estado de um job e as suas contagens até agora.",
    ),
    (
        "ListaExecucoes",
        "`GET /api/ruptura/execucoes`: as execuções guardadas, da mais recente à mais antiga.",
    ),
    (
        "Modo",
        "Como os pedidos dividem o estoque (SPEC 2.8 e 8.1): `independente` (cada pedido sozinho \
         contra todo o estoque, o padrão), `sequencial` (alocação por prioridade entre os pedidos \
         da requisição) ou `prioridade` (alocação por prioridade sobre toda a carteira ativa; \
         resultados dos pedidos da requisição).",
    ),
    (
        "Mudanca",
        "Um pedido cuja situação mudou entre as duas execuções.",
    ),
    (
        "Mudancas",
        "`GET /api/ruptura/mudancas`: o que mudou entre duas execuções, e por quê.",
    ),
    (
        "PaginaCarteira",
        "Uma página dos pedidos em aberto da carteira, filtrada e ordenada.",
    ),
    (
        "PedidoAnalisado",
        "RESULTADO de um pedido encontrado e analisado (SPEC 3.1).",
    ),
    (
        "PedidoCarteira",
        "Um pedido em aberto da carteira, como a lista da página o mostra.",
    ),
    (
        "PedidoComErro",
        "RESULTADO de um pedido que não pôde ser analisado: não encontrado, ou um erro.",
    ),
    (
        "PontoProjecao",
        "Um dia do estoque projetado de uma linha em ruptura (para o gráfico da página).",
    ),
    (
        "Prazo",
        "Situação do pedido quanto à data de expedição (SPEC 8.2): `sem_expedicao` (nenhuma linha \
         tem expedição), `vencida` (expedição antes de hoje), `sem_previsao` (não há data em que \
         fique completo), `no_prazo` (completo até a expedição) ou `atrasa` (completo só depois \
         dela).",
    ),
    (
        "Produto",
        "Um produto (grupo de códigos) que trava pedidos: uma linha do relatório de SPEC 8.4.",
    ),
    (
        "RelatorioProdutos",
        "Os produtos que travam pedidos (SPEC 8.4), do que mais destrava ao que menos, e as \
         estatísticas da análise.",
    ),
    (
        "RespostaLote",
        "A resposta da análise em lote (`success` é sempre verdadeiro aqui: requisições \
         inválidas recebem um corpo de erro).",
    ),
    (
        "Resultado",
        "RESULTADO de um pedido: analisado (`success` verdadeiro) ou com erro (`success` falso).",
    ),
    (
        "Resumo",
        "Resumo do pedido (SPEC 2.6, 8.2 e 8.3): percentuais, valores, criticidade, prazo e \
         sugestão.",
    ),
    ("SessionRequest", "O token, para abrir uma sessão."),
    ("Situacao", "A situação de um pedido numa execução."),
    (
        "Sugestao",
        "O que fazer com o pedido agora (SPEC 8.3): `enviar` (nenhuma linha em ruptura), \
         `parcial` (enviar o que há agora) ou `aguardar` (esperar ficar completo).",
    ),
    (
        "VisualPedido",
        "Como a linha do pedido deve aparecer agora na página do sistema antigo.",
    ),
    (
        "VisualSeparacaoRequest",
        "Corpo de `atualizar-visual-separacao`, chamado depois que uma separação é criada.",
    ),
    (
        "VisualSeparacaoResposta",
        "Resposta de `atualizar-visual-separacao`, como o sistema antigo respondia.",
    ),
];

/// `Schema.property` → description, where the meaning depends on the schema or the generated
/// text is English.
pub(crate) const CAMPOS_DE: &[(&str, &str)] = &[
    (
        "AuthStatus.autenticado",
        "Verdadeiro quando esta requisição traz um token válido ou um cookie de sessão válido.",
    ),
    (
        "AuthStatus.token_exigido",
        "Verdadeiro quando o servidor tem `API_TOKEN` e exige autenticação.",
    ),
    ("Causa.cod_produto", "O código do pedido no grupo."),
    (
        "Causa.grupo",
        "A chave do grupo (o seu menor código), quando não é `cod_produto`.",
    ),
    (
        "Causa.tipo",
        "`estoque`, `compromissos`, `producao`, `pedido`, `fila` ou `data_base`.",
    ),
    (
        "Causa.antes",
        "Na execução anterior: uma quantidade (`estoque`, `pedido`, `fila`), uma lista de \
         `{\"data\", \"qtd\"}` das datas que mudaram (`compromissos`, `producao`) ou a data de \
         referência (`data_base`).",
    ),
    (
        "Causa.depois",
        "Na execução posterior, na mesma forma de `antes`.",
    ),
    ("Causa.texto", "A causa em palavras."),
    ("ErrorBody.success", "Sempre falso."),
    ("ErrorBody.message", "O que está errado, em português."),
    (
        "Estatisticas.total_pedidos",
        "Pedidos da requisição ou do job (repetidos contam uma vez).",
    ),
    (
        "Estatisticas.por_criticidade",
        "Pedidos por criticidade (`OK`, `BAIXA`, `MEDIA`, `ALTA`, `CRITICA` e `ERRO`, todas \
         como chaves).",
    ),
    (
        "Estatisticas.por_prazo",
        "Pedidos encontrados por situação de prazo (SPEC 8.2; todas como chaves).",
    ),
    (
        "Estatisticas.valor_total",
        "Soma de `valor_total_pedido` dos pedidos encontrados (exata, arredondada uma vez).",
    ),
    (
        "Estatisticas.valor_com_ruptura",
        "Soma de `valor_com_ruptura` dos pedidos encontrados (exata, arredondada uma vez).",
    ),
    (
        "Estatisticas.valor_agora",
        "Soma de `valor_agora` dos pedidos encontrados (exata, arredondada uma vez).",
    ),
    (
        "Execucao.id",
        "Identificador da execução (use-o em `mudancas`).",
    ),
    (
        "Execucao.criada_em",
        "Quando foi registrada (RFC 3339, UTC).",
    ),
    ("Execucao.data_base", "Data de referência D0 da análise."),
    (
        "Execucao.modo",
        "Modo da análise (`independente`, `sequencial` ou `prioridade`).",
    ),
    (
        "Execucao.parametros",
        "Horizonte, dias de entrega e regra de criticidade da execução.",
    ),
    (
        "Execucao.origem",
        "Quem a registrou: `analyze` (linha de comando), `job` ou `agendada`.",
    ),
    ("Execucao.total_pedidos", "Pedidos analisados."),
    (
        "Execucao.pedidos_com_ruptura",
        "Pedidos com alguma linha em ruptura.",
    ),
    (
        "Execucao.duracao_ms",
        "Duração da análise, em milissegundos.",
    ),
    (
        "Execucao.bytes",
        "Tamanho do que a execução guarda (comprimido).",
    ),
    (
        "Filtros.expedicao_de",
        "Expedição (a menor `expedicao` das linhas do pedido) neste dia ou depois, AAAA-MM-DD.",
    ),
    (
        "Filtros.expedicao_ate",
        "Expedição (a menor `expedicao` das linhas do pedido) neste dia ou antes, AAAA-MM-DD.",
    ),
    ("Health.status", "`ok` ou `degradado`."),
    (
        "Health.banco",
        "`ok`, ou por que o banco de dados não responde.",
    ),
    (
        "Health.fila",
        "`ok`, ou por que a fila de jobs (Redis, com `--queue redis`) não responde.",
    ),
    ("Health.backend", "O banco em uso: `sqlite` ou `postgres`."),
    ("Health.versao", "Versão do Ruptura."),
    (
        "Health.cache_prioridade",
        "A alocação de prioridade da carteira inteira guardada entre requisições (SPEC 8.1), sob uma impressão digital dos dados lidos; ausente quando o banco não dá impressão digital (nada é guardado).",
    ),
    (
        "CachePrioridade.acertos",
        "Requisições de prioridade respondidas com a alocação guardada (os dados não tinham mudado).",
    ),
    (
        "CachePrioridade.acertos_sem_leitura",
        "Desses, os respondidos sem ler os dados: a impressão digital era a mesma (os outros leram os dados e os acharam exatamente iguais aos da alocação).",
    ),
    (
        "CachePrioridade.falhas",
        "Requisições de prioridade que alocaram de novo (primeira requisição, dados mudados, outros parâmetros ou outra data de referência).",
    ),
    (
        "CachePrioridade.entradas",
        "Alocações guardadas agora (no máximo 2).",
    ),
    (
        "ItemDisponivel.valor_total",
        "Valor da linha: quantidade em aberto × preço.",
    ),
    (
        "ItemRuptura.valor_total",
        "Valor da linha: quantidade em aberto × preço.",
    ),
    (
        "ItemRuptura.grupo",
        "Os códigos unificados com este (SPEC 2.2), quando há outros.",
    ),
    (
        "ItemRuptura.projecao",
        "`saldo_final` de D0 a D_H, como este pedido o viu.",
    ),
    (
        "ItemRuptura.qtd_agora",
        "O que da linha pode sair agora (o seu `disponivel`, SPEC 8.3).",
    ),
    (
        "ItemRuptura.qtd_disponivel",
        "Quantidade da linha que a janela cobre.",
    ),
    (
        "JobCreated.total_lotes",
        "Lotes em que os pedidos foram divididos.",
    ),
    ("EventoLote.processados", "Pedidos analisados até agora."),
    ("JobStatus.estado", "Estado do job."),
    (
        "LoteRequest.modo",
        "`independente` (padrão: cada pedido sozinho), `sequencial` (alocação em ordem de \
         prioridade entre os pedidos pedidos) ou `prioridade` (a carteira inteira em ordem de \
         prioridade; a resposta traz os pedidos pedidos).",
    ),
    ("JobStatus.lotes_concluidos", "Lotes analisados até agora."),
    (
        "JobStatus.por_criticidade",
        "Pedidos por criticidade até agora.",
    ),
    (
        "JobStatus.por_prazo",
        "Pedidos encontrados por situação de prazo até agora (SPEC 8.2; todas como chaves).",
    ),
    (
        "JobStatus.valor_total",
        "Soma de `valor_total_pedido` dos pedidos encontrados até agora (exata, arredondada \
         uma vez).",
    ),
    (
        "JobStatus.valor_com_ruptura",
        "Soma de `valor_com_ruptura` dos pedidos encontrados até agora.",
    ),
    (
        "JobStatus.valor_agora",
        "Soma de `valor_agora` dos pedidos encontrados até agora.",
    ),
    (
        "JobStatus.mensagem",
        "Por que o job falhou, quando falhou; ou, num job da carteira inteira concluído, por que \
         não foi registrado como execução.",
    ),
    ("JobResults.resultados", "RESULTADO por número de pedido."),
    (
        "ListaExecucoes.execucoes",
        "As execuções, da mais recente à mais antiga.",
    ),
    (
        "Mudanca.tipo",
        "Tipo da mudança: `nova_ruptura`, `piorou`, `melhorou`, `resolvida`, `entrou` ou `saiu`.",
    ),
    (
        "Mudanca.antes",
        "A situação na execução anterior (nula quando o pedido entrou).",
    ),
    (
        "Mudanca.depois",
        "A situação na execução posterior (nula quando o pedido saiu).",
    ),
    (
        "Mudanca.causas",
        "O que mudou nos grupos de produtos do pedido.",
    ),
    ("Mudancas.de", "A execução anterior."),
    ("Mudancas.para", "A execução posterior."),
    (
        "Mudancas.resumo",
        "Pedidos que mudaram, por tipo de mudança (todos os tipos como chaves).",
    ),
    (
        "Mudancas.mudancas",
        "Os pedidos que mudaram, do tipo mais grave ao menos grave.",
    ),
    (
        "PaginaCarteira.total",
        "Pedidos que atendem aos filtros (todas as páginas).",
    ),
    ("PaginaCarteira.pagina", "Esta página (a primeira é 1)."),
    ("PaginaCarteira.por_pagina", "Pedidos por página."),
    ("PaginaCarteira.pedidos", "Os pedidos desta página."),
    (
        "PedidoAnalisado.success",
        "Sempre verdadeiro: o pedido foi analisado.",
    ),
    (
        "PedidoAnalisado.itens",
        "As linhas em ruptura, por `id` crescente.",
    ),
    (
        "PedidoAnalisado.itens_disponiveis",
        "As linhas cobertas pelo estoque, por `id` crescente.",
    ),
    ("PedidoAnalisado.resumo", "O resumo do pedido."),
    (
        "PedidoCarteira.valor_total",
        "Valor em aberto do pedido: soma de quantidade × preço.",
    ),
    ("PedidoCarteira.linhas", "Linhas em aberto do pedido."),
    (
        "PedidoCarteira.expedicao",
        "A menor data de expedição das linhas do pedido.",
    ),
    (
        "PedidoComErro.success",
        "Sempre falso: o pedido não foi analisado.",
    ),
    (
        "PedidoComErro.message",
        "Por quê: `Pedido não encontrado`, ou o erro.",
    ),
    ("PontoProjecao.data", "O dia."),
    (
        "PontoProjecao.saldo",
        "O saldo final projetado do grupo nesse dia, como o pedido o viu.",
    ),
    ("Produto.cod_produto", "O primeiro de `codigos`."),
    (
        "Produto.nome_produto",
        "O nome na sua primeira linha em ruptura (pedidos por num_pedido, linhas por id).",
    ),
    (
        "Produto.codigos",
        "Os códigos do grupo que aparecem nas linhas em ruptura, em ordem.",
    ),
    (
        "Produto.pedidos",
        "Pedidos com alguma linha em ruptura no grupo.",
    ),
    ("Produto.linhas", "Linhas em ruptura no grupo."),
    ("Produto.qtd_falta", "Soma de `ruptura_qtd` dessas linhas."),
    (
        "Produto.valor_linhas",
        "Soma do valor (quantidade × preço) dessas linhas.",
    ),
    (
        "Produto.valor_pedidos",
        "Soma de `valor_total_pedido` desses pedidos.",
    ),
    (
        "Produto.pedidos_destravados",
        "Pedidos cujas linhas em ruptura estão todas neste grupo: resolvê-lo sozinho os completa.",
    ),
    (
        "Produto.valor_destravado",
        "Valor total desses pedidos destravados.",
    ),
    ("Produto.estoque_atual", "O estoque atual do grupo."),
    (
        "Produto.menor_estoque",
        "O menor saldo do grupo na janela D0..D_H, antes de qualquer alocação.",
    ),
    (
        "Produto.data_producao",
        "A primeira entrada (produção) do grupo hoje ou depois (nula: nenhuma).",
    ),
    (
        "Produto.qtd_producao",
        "O total dessa entrada (0 quando não há).",
    ),
    (
        "RelatorioProdutos.produtos",
        "Os produtos, do que mais destrava ao que menos.",
    ),
    ("RespostaLote.success", "Sempre verdadeiro."),
    ("RespostaLote.resultados", "RESULTADO por número de pedido."),
    (
        "Resumo.data_disponibilidade_total",
        "`\"agora\"`, uma data (AAAA-MM-DD) ou nula (sem previsão).",
    ),
    (
        "Resumo.expedicao",
        "A menor data de expedição das linhas do pedido.",
    ),
    (
        "Resumo.data_pronto",
        "Quando o pedido inteiro pode sair (nula: sem previsão).",
    ),
    (
        "Resumo.dias_atraso",
        "Dias de `data_pronto` depois de `expedicao` (0 quando no prazo), quando as duas são \
         conhecidas.",
    ),
    (
        "Resumo.valor_agora",
        "Valor do que pode sair agora (soma de quantidade disponível × preço).",
    ),
    (
        "Resumo.itens_agora",
        "Linhas das quais algo pode sair agora.",
    ),
    ("SessionRequest.token", "O `API_TOKEN` do servidor."),
    (
        "Situacao.prazo",
        "Situação de prazo (SPEC 8.2), quando registrada.",
    ),
    (
        "VisualSeparacaoRequest.num_pedido",
        "Número do pedido (texto).",
    ),
    (
        "VisualSeparacaoResposta.pedido",
        "Como a linha do pedido deve aparecer agora.",
    ),
];

/// Property name → description, for properties that have none.
pub(crate) const CAMPOS: &[(&str, &str)] = &[
    ("num_pedido", "Número do pedido."),
    ("job_id", "Identificador do job (UUID)."),
    ("success", "Verdadeiro quando a operação deu certo."),
    ("message", "Mensagem em português."),
    (
        "total_pedidos",
        "Pedidos a analisar (repetidos contam uma vez).",
    ),
    ("total_lotes", "Lotes em que os pedidos foram divididos."),
    (
        "processados",
        "Pedidos analisados até agora (encontrados ou não).",
    ),
    (
        "erros",
        "Pedidos não analisados: não encontrados ou com erro.",
    ),
    ("pedidos_ok", "Pedidos sem nenhuma linha em ruptura."),
    (
        "pedidos_com_ruptura",
        "Pedidos com alguma linha em ruptura.",
    ),
    ("tempo_total_segundos", "Duração da análise, em segundos."),
    (
        "tempo_medio_ms",
        "Tempo médio por pedido, em milissegundos.",
    ),
    ("data_base", "Data de referência D0 da análise, AAAA-MM-DD."),
    (
        "modo",
        "Como os pedidos dividem o estoque (padrão: `independente`).",
    ),
    (
        "filtros",
        "Filtros da carteira; sem eles (e sem `pedidos`), a carteira inteira.",
    ),
    ("estatisticas", "As estatísticas da análise."),
    ("resultados", "RESULTADO por número de pedido."),
    ("cod_produto", "Código do produto da linha."),
    ("nome_produto", "Nome do produto."),
    ("qtd_saldo", "Quantidade em aberto da linha."),
    (
        "estoque_atual",
        "Estoque atual do grupo do produto (soma das movimentações ativas).",
    ),
    (
        "estoque_min_d7",
        "Menor saldo projetado do grupo na janela D0..D_H (D7 com o horizonte padrão).",
    ),
    ("preco_unitario", "Preço unitário da linha."),
    (
        "ruptura_qtd",
        "Quantidade da linha que falta: quantidade em aberto menos a disponível.",
    ),
    (
        "data_producao",
        "A primeira entrada (produção) do grupo hoje ou depois (nula: nenhuma).",
    ),
    ("qtd_producao", "O total dessa entrada (0 quando não há)."),
    (
        "data_disponivel",
        "Quando a linha pode sair inteira (SPEC 2.5; nula: sem previsão).",
    ),
    (
        "pedido_ok",
        "Verdadeiro quando nenhuma linha está em ruptura.",
    ),
    (
        "percentual_disponibilidade",
        "100 menos `percentual_ruptura`, arredondado a inteiro.",
    ),
    (
        "data_disponibilidade_total",
        "`\"agora\"` (nenhuma linha em ruptura), a data em que o pedido fica completo, ou nula \
         (sem previsão).",
    ),
    (
        "percentual_ruptura",
        "Valor em ruptura ÷ valor total do pedido × 100 (0 quando o total é 0), 2 casas.",
    ),
    (
        "percentual_itens_disponiveis",
        "Linhas fora de ruptura ÷ todas as linhas × 100, arredondado a inteiro.",
    ),
    ("qtd_itens_ruptura", "Linhas em ruptura."),
    ("qtd_itens_disponiveis", "Linhas fora de ruptura."),
    ("total_itens", "Linhas do pedido."),
    ("criticidade", "Criticidade do pedido."),
    (
        "valor_total_pedido",
        "Valor do pedido: soma de quantidade × preço das suas linhas.",
    ),
    (
        "valor_disponivel",
        "Valor total do pedido menos o valor em ruptura.",
    ),
    (
        "valor_com_ruptura",
        "Soma do valor das linhas em ruptura (a linha inteira).",
    ),
    ("prazo", "Situação do pedido quanto à data de expedição."),
    (
        "percentual_valor_agora",
        "`valor_agora` ÷ valor total do pedido × 100 (0 quando o total é 0), 2 casas.",
    ),
    ("sugestao", "O que fazer com o pedido agora."),
    ("raz_social_red", "Razão social reduzida do cliente."),
    ("cnpj_cpf", "CNPJ ou CPF do cliente."),
    ("nome_cidade", "Cidade de entrega."),
    ("cod_uf", "UF de entrega."),
    ("vendedor", "Vendedor."),
    ("equipe_vendas", "Equipe de vendas."),
    ("data_pedido", "Data do pedido."),
    ("agendamento", "Data de agendamento da entrega."),
    ("data_expedicao", "Data de expedição, AAAA-MM-DD."),
];

/// Writes the Portuguese descriptions into `schemas` (`components.schemas` of the description).
pub(crate) fn apply(schemas: &mut Value) {
    let Some(schemas) = schemas.as_object_mut() else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if let Some(text) = lookup(ESQUEMAS, name) {
            describe(schema, text);
        }
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (prop, value) in properties.iter_mut() {
            let specific = lookup(CAMPOS_DE, &format!("{name}.{prop}"));
            let text = match specific {
                Some(text) => Some(text),
                None if !has_description(value) => lookup(CAMPOS, prop),
                None => None,
            };
            if let Some(text) = text {
                describe(value, text);
            }
        }
    }
}

fn lookup(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Whether a property already says what it is (on itself, or on the reference inside a
/// nullable `oneOf`).
fn has_description(value: &Value) -> bool {
    if value.get("description").is_some() {
        return true;
    }
    value
        .get("oneOf")
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().any(|i| i.get("description").is_some()))
}

/// Sets `text` as the description of a schema or property. A nullable reference (`oneOf` of
/// null and a `$ref`) gets it on the `oneOf`, and the English one inside is dropped.
fn describe(value: &mut Value, text: &str) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    // The keys of a map (`por_prazo`) repeat their type's English doc: the map's own text
    // says what they are.
    if let Some(keys) = object
        .get_mut("propertyNames")
        .and_then(Value::as_object_mut)
    {
        keys.remove("description");
    }
    if let Some(items) = object.get_mut("oneOf").and_then(Value::as_array_mut) {
        for item in items {
            if let Some(item) = item.as_object_mut() {
                if item.contains_key("$ref") {
                    item.remove("description");
                }
            }
        }
    }
    object.insert("description".into(), Value::String(text.to_string()));
}
