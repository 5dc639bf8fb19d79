//! The JSON of SPEC 3.1, mapped from engine results. Wire names stay Portuguese. Quantities are
//! rounded to 3 places, money and percentual_ruptura to 2, half away from zero (SPEC 2.10).

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use ruptura_engine::{
    round_half_away, Criticality, LineResult, Mode, OrderOutcome, OrderResult, TotalAvailability,
};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use utoipa::ToSchema;

fn num(d: Decimal, places: u32) -> f64 {
    let r = round_half_away(d, places);
    let (mantissa, scale) = (r.mantissa(), r.scale());
    // One IEEE division of two exactly representable numbers is correctly rounded: the nearest
    // double to the decimal, as `to_f64` gives, without its general (slower) path.
    if mantissa.unsigned_abs() < (1u128 << 53) && scale <= 22 {
        mantissa as f64 / 10f64.powi(scale as i32)
    } else {
        r.to_f64().unwrap_or(0.0)
    }
}

pub(crate) fn qty(d: Decimal) -> f64 {
    num(d, 3)
}

pub(crate) fn money(d: Decimal) -> f64 {
    num(d, 2)
}

/// `YYYY-MM-DD`, without going through chrono's format-string parser (this runs for every
/// date of every result).
fn iso(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// A date on the wire: `"YYYY-MM-DD"`, written without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ToSchema)]
#[schema(value_type = String, format = Date)]
pub struct Dia(pub NaiveDate);

impl Serialize for Dia {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use chrono::Datelike;
        let (y, m, d) = (self.0.year(), self.0.month(), self.0.day());
        if !(0..=9999).contains(&y) {
            return serializer.serialize_str(&iso(self.0));
        }
        let y = y as u32;
        let digit = |v: u32| b'0' + (v % 10) as u8;
        let buf = [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ];
        serializer.serialize_str(std::str::from_utf8(&buf).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for Dia {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Dia)
            .map_err(serde::de::Error::custom)
    }
}

/// A wire enum for the engine enum of the same name: the same variants, spelled in snake_case on
/// the wire (serde, OpenAPI) as the engine's `as_str` spells them, with conversions both ways.
/// The engine's type documents the variants.
macro_rules! mirror_engine_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl From<ruptura_engine::$name> for $name {
            fn from(v: ruptura_engine::$name) -> Self {
                match v {
                    $(ruptura_engine::$name::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for ruptura_engine::$name {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$variant => ruptura_engine::$name::$variant),+
                }
            }
        }

        impl $name {
            /// The wire name.
            pub fn as_str(self) -> &'static str {
                ruptura_engine::$name::from(self).as_str()
            }
        }
    };
}

mirror_engine_enum! {
    /// Ship-date status of an order (`prazo`, SPEC 8.2) on the wire.
    Prazo { SemExpedicao, Vencida, SemPrevisao, NoPrazo, Atrasa }
}

mirror_engine_enum! {
    /// What to do with an order now (`sugestao`, SPEC 8.3) on the wire.
    Sugestao { Enviar, Parcial, Aguardar }
}

/// A criticality label as it stands on the wire, in counts and in recorded runs: the five levels
/// of SPEC 2.7 and `ERRO` for an order not analysed. The one place these strings are spelled
/// for comparing, counting and parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rotulo {
    Ok,
    Critica,
    Alta,
    Media,
    Baixa,
    Erro,
}

impl Rotulo {
    /// Every label, in the order the page lists them.
    pub const ALL: [Rotulo; 6] = [
        Rotulo::Ok,
        Rotulo::Critica,
        Rotulo::Alta,
        Rotulo::Media,
        Rotulo::Baixa,
        Rotulo::Erro,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rotulo::Ok => "OK",
            Rotulo::Critica => "CRITICA",
            Rotulo::Alta => "ALTA",
            Rotulo::Media => "MEDIA",
            Rotulo::Baixa => "BAIXA",
            Rotulo::Erro => "ERRO",
        }
    }

    /// The label of a wire string, exact spelling; `None` for anything else.
    pub fn of(label: &str) -> Option<Rotulo> {
        Rotulo::ALL.into_iter().find(|r| r.as_str() == label)
    }

    /// Severity for sorting: `CRITICA` 4 ... `OK` 0, `ERRO` (not analysed) -1.
    pub fn gravidade(self) -> i8 {
        match self {
            Rotulo::Critica => 4,
            Rotulo::Alta => 3,
            Rotulo::Media => 2,
            Rotulo::Baixa => 1,
            Rotulo::Ok => 0,
            Rotulo::Erro => -1,
        }
    }
}

impl From<Criticality> for Rotulo {
    fn from(c: Criticality) -> Self {
        match c {
            Criticality::Ok => Rotulo::Ok,
            Criticality::Critica => Rotulo::Critica,
            Criticality::Alta => Rotulo::Alta,
            Criticality::Media => Rotulo::Media,
            Criticality::Baixa => Rotulo::Baixa,
        }
    }
}

impl std::fmt::Display for Rotulo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a label as a person may type it (any letter case, no accents); the error is the
/// message a request gets.
impl std::str::FromStr for Rotulo {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rotulo::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let all: Vec<&str> = Rotulo::ALL.iter().map(|r| r.as_str()).collect();
                format!("criticidade desconhecida {s:?}: use {}", all.join(", "))
            })
    }
}

/// Criticality labels (SPEC 2.7), for the API description; `ERRO` marks an order not analysed
/// in counts and lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Criticidade {
    Ok,
    Baixa,
    Media,
    Alta,
    Critica,
}

/// How orders share stock (`modo`, SPEC 2.8 and 8.1), for the API description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Modo {
    /// Each order on its own against the whole stock (the default).
    Independente,
    /// Allocation in priority order among the requested orders only.
    Sequencial,
    /// Allocation in priority order over the whole active book; the requested orders' results.
    Prioridade,
}

impl From<Mode> for Modo {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Independent => Modo::Independente,
            Mode::Sequential => Modo::Sequencial,
            Mode::Priority => Modo::Prioridade,
        }
    }
}

/// One day of a short line's projected stock, for the page's chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PontoProjecao {
    pub data: Dia,
    pub saldo: f64,
}

/// A short line (`itens`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItemRuptura {
    pub cod_produto: String,
    pub nome_produto: String,
    pub qtd_saldo: f64,
    pub estoque_atual: f64,
    pub estoque_min_d7: f64,
    pub ruptura_qtd: f64,
    pub data_producao: Option<Dia>,
    pub qtd_producao: f64,
    pub data_disponivel: Option<Dia>,
    /// What of the line can ship now (its `disponivel`, SPEC 8.3).
    pub qtd_agora: f64,
    // Extras beyond SPEC 3.1:
    /// Quantity of the line that the window covers.
    pub qtd_disponivel: f64,
    pub preco_unitario: f64,
    pub valor_total: f64,
    /// Codes pooled with this one (SPEC 2.2), when there are others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grupo: Option<String>,
    /// `saldo_final` on D0..=D_H as this order saw it.
    pub projecao: Vec<PontoProjecao>,
}

/// A line that is covered (`itens_disponiveis`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItemDisponivel {
    pub cod_produto: String,
    pub nome_produto: String,
    pub qtd_saldo: f64,
    pub estoque_atual: f64,
    pub estoque_min_d7: f64,
    pub preco_unitario: f64,
    pub valor_total: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Resumo {
    pub num_pedido: String,
    pub percentual_ruptura: f64,
    pub percentual_disponibilidade: f64,
    pub percentual_itens_disponiveis: f64,
    pub qtd_itens_ruptura: usize,
    pub qtd_itens_disponiveis: usize,
    pub total_itens: usize,
    #[schema(value_type = Criticidade)]
    pub criticidade: String,
    pub valor_total_pedido: f64,
    pub valor_disponivel: f64,
    pub valor_com_ruptura: f64,
    /// `"agora"`, a date, or null (no forecast).
    pub data_disponibilidade_total: Option<String>,
    // SPEC 8.2:
    /// The earliest ship date of the order's lines.
    pub expedicao: Option<Dia>,
    /// When the whole order can ship (null: no forecast).
    pub data_pronto: Option<Dia>,
    pub prazo: Prazo,
    /// Days data_pronto falls after expedicao (0 when on time), when both are known.
    pub dias_atraso: Option<i64>,
    // SPEC 8.3:
    /// Value of what can ship now (sum of available quantity x price).
    pub valor_agora: f64,
    pub percentual_valor_agora: f64,
    /// Lines of which something can ship now.
    pub itens_agora: usize,
    pub sugestao: Sugestao,
}

/// RESULT of SPEC 3.1 for an order found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PedidoAnalisado {
    pub success: bool,
    pub num_pedido: String,
    pub pedido_ok: bool,
    pub percentual_disponibilidade: f64,
    pub data_disponibilidade_total: Option<String>,
    pub resumo: Resumo,
    pub itens: Vec<ItemRuptura>,
    pub itens_disponiveis: Vec<ItemDisponivel>,
}

/// RESULT for an order that could not be analysed: not found, or an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PedidoComErro {
    pub success: bool,
    pub num_pedido: String,
    pub message: String,
}

/// One order's RESULT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Resultado {
    Analisado(Box<PedidoAnalisado>),
    Erro(PedidoComErro),
}

pub const NOT_FOUND_MESSAGE: &str = "Pedido não encontrado";

impl Resultado {
    pub fn from_outcome(num_pedido: &str, outcome: &OrderOutcome, today: NaiveDate) -> Self {
        match outcome {
            OrderOutcome::Found(r) => {
                Resultado::Analisado(Box::new(PedidoAnalisado::from_result(r, today)))
            }
            OrderOutcome::NotFound => Resultado::erro(num_pedido, NOT_FOUND_MESSAGE),
            OrderOutcome::Failed(message) => Resultado::erro(num_pedido, message),
        }
    }

    pub fn erro(num_pedido: &str, message: &str) -> Self {
        Resultado::Erro(PedidoComErro {
            success: false,
            num_pedido: num_pedido.to_string(),
            message: message.to_string(),
        })
    }

    pub fn num_pedido(&self) -> &str {
        match self {
            Resultado::Analisado(p) => &p.num_pedido,
            Resultado::Erro(e) => &e.num_pedido,
        }
    }

    pub fn analisado(&self) -> Option<&PedidoAnalisado> {
        match self {
            Resultado::Analisado(p) => Some(p),
            Resultado::Erro(_) => None,
        }
    }

    /// The criticality label, or `ERRO` for an order not analysed.
    pub fn criticidade(&self) -> &str {
        match self {
            Resultado::Analisado(p) => &p.resumo.criticidade,
            Resultado::Erro(_) => Rotulo::Erro.as_str(),
        }
    }
}

impl PedidoAnalisado {
    pub fn from_result(r: &OrderResult, today: NaiveDate) -> Self {
        let s = &r.summary;
        let total = match s.disponibilidade_total {
            TotalAvailability::Now => Some("agora".to_string()),
            TotalAvailability::On(d) => Some(iso(d)),
            TotalAvailability::NoForecast => None,
        };
        let resumo = Resumo {
            num_pedido: r.num_pedido.clone(),
            percentual_ruptura: money(s.percentual_ruptura),
            percentual_disponibilidade: money(s.percentual_disponibilidade),
            percentual_itens_disponiveis: money(s.percentual_itens_disponiveis),
            qtd_itens_ruptura: s.qtd_itens_ruptura,
            qtd_itens_disponiveis: s.qtd_itens_disponiveis,
            total_itens: s.total_itens,
            criticidade: s.criticidade.as_str().to_string(),
            valor_total_pedido: money(s.valor_total_pedido),
            valor_disponivel: money(s.valor_disponivel),
            valor_com_ruptura: money(s.valor_com_ruptura),
            data_disponibilidade_total: total.clone(),
            expedicao: s.expedicao.map(Dia),
            data_pronto: s.data_pronto.map(Dia),
            prazo: s.prazo.into(),
            dias_atraso: s.dias_atraso,
            valor_agora: money(s.valor_agora),
            percentual_valor_agora: money(s.percentual_valor_agora),
            itens_agora: s.itens_agora,
            sugestao: s.sugestao.into(),
        };
        PedidoAnalisado {
            success: true,
            num_pedido: r.num_pedido.clone(),
            pedido_ok: r.is_ok(),
            percentual_disponibilidade: resumo.percentual_disponibilidade,
            data_disponibilidade_total: total,
            resumo,
            itens: r.short_lines().map(|l| item_ruptura(l, today)).collect(),
            itens_disponiveis: r.available_lines().map(item_disponivel).collect(),
        }
    }
}

fn item_ruptura(l: &LineResult, today: NaiveDate) -> ItemRuptura {
    ItemRuptura {
        cod_produto: l.cod_produto.to_string(),
        nome_produto: l.nome_produto.to_string(),
        qtd_saldo: qty(l.qtd),
        estoque_atual: qty(l.estoque_atual),
        estoque_min_d7: qty(l.menor_estoque),
        ruptura_qtd: qty(l.ruptura_qtd),
        data_producao: l.data_producao.map(Dia),
        qtd_producao: qty(l.qtd_producao),
        data_disponivel: l.data_disponivel.map(Dia),
        qtd_agora: qty(l.disponivel),
        qtd_disponivel: qty(l.disponivel),
        preco_unitario: money(l.preco.unwrap_or_default()),
        valor_total: money(l.valor),
        grupo: (l.grupo != l.cod_produto).then(|| l.grupo.to_string()),
        projecao: l
            .projecao
            .iter()
            .enumerate()
            .map(|(d, saldo)| PontoProjecao {
                data: Dia(today.checked_add_days(Days::new(d as u64)).unwrap_or(today)),
                saldo: qty(*saldo),
            })
            .collect(),
    }
}

fn item_disponivel(l: &LineResult) -> ItemDisponivel {
    ItemDisponivel {
        cod_produto: l.cod_produto.to_string(),
        nome_produto: l.nome_produto.to_string(),
        qtd_saldo: qty(l.qtd),
        estoque_atual: qty(l.estoque_atual),
        estoque_min_d7: qty(l.menor_estoque),
        preco_unitario: money(l.preco.unwrap_or_default()),
        valor_total: money(l.valor),
    }
}

/// How many orders a run has and how many of them are done, by outcome: the counts that
/// `estatisticas`, a job's status and each `lote` event carry, flattened into each (the wire
/// has the five fields side by side). `total_pedidos`: the run's orders (repeated ones count
/// once); `processados`: those finished, found or not; `erros`: those not analysed (not found,
/// or an error); `pedidos_ok` and `pedidos_com_ruptura`: the analysed ones without and with a
/// short line. The API's texts for them are in the server's `openapi_pt`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contagens {
    pub total_pedidos: usize,
    pub processados: usize,
    pub erros: usize,
    pub pedidos_ok: usize,
    pub pedidos_com_ruptura: usize,
}

impl Contagens {
    /// Counts one finished order.
    pub fn count(&mut self, r: &Resultado) {
        self.processados += 1;
        match r {
            Resultado::Analisado(p) if p.pedido_ok => self.pedidos_ok += 1,
            Resultado::Analisado(_) => self.pedidos_com_ruptura += 1,
            Resultado::Erro(_) => self.erros += 1,
        }
    }
}

/// `estatisticas` of SPEC 3.1, plus the count per criticality and the totals of SPEC 8.3.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Estatisticas {
    #[serde(flatten)]
    #[schema(inline)]
    pub contagens: Contagens,
    pub tempo_total_segundos: f64,
    pub tempo_medio_ms: f64,
    /// Orders per criticality label (`OK`, `CRITICA`, ..., `ERRO`).
    #[serde(default)]
    pub por_criticidade: BTreeMap<String, usize>,
    /// Found orders per ship-date status (every status of SPEC 8.2 as a key).
    #[serde(default)]
    #[schema(value_type = std::collections::HashMap<Prazo, usize>)]
    pub por_prazo: BTreeMap<String, usize>,
    /// Sum of valor_total_pedido over the found orders (exact, rounded once).
    #[serde(default)]
    pub valor_total: f64,
    /// Sum of valor_com_ruptura over the found orders.
    #[serde(default)]
    pub valor_com_ruptura: f64,
    /// Sum of valor_agora over the found orders.
    #[serde(default)]
    pub valor_agora: f64,
    /// The exact sums behind the three figures above.
    #[serde(skip)]
    pub valores: crate::decisions::Valores,
}

impl Estatisticas {
    pub fn new(total_pedidos: usize) -> Self {
        let por_criticidade = Rotulo::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), 0))
            .collect();
        let por_prazo = ruptura_engine::Prazo::ALL
            .iter()
            .map(|p| (p.as_str().to_string(), 0))
            .collect();
        Self {
            contagens: Contagens {
                total_pedidos,
                ..Contagens::default()
            },
            por_criticidade,
            por_prazo,
            ..Self::default()
        }
    }

    /// Adds the exact value sums of finished orders (SPEC 8.3) and refreshes the rounded
    /// figures.
    pub fn add_valores(&mut self, v: &crate::decisions::Valores) {
        self.valores.add(v);
        self.valor_total = money(self.valores.total);
        self.valor_com_ruptura = money(self.valores.com_ruptura);
        self.valor_agora = money(self.valores.agora);
    }

    /// Counts one finished order.
    pub fn count(&mut self, r: &Resultado) {
        self.contagens.count(r);
        *self
            .por_criticidade
            .entry(r.criticidade().to_string())
            .or_default() += 1;
        if let Resultado::Analisado(p) = r {
            *self
                .por_prazo
                .entry(p.resumo.prazo.as_str().to_string())
                .or_default() += 1;
        }
    }

    /// Records the elapsed time.
    pub fn finish(&mut self, elapsed: std::time::Duration) {
        self.tempo_total_segundos = (elapsed.as_secs_f64() * 1000.0).round() / 1000.0;
        let processados = self.contagens.processados;
        self.tempo_medio_ms = if processados == 0 {
            0.0
        } else {
            (elapsed.as_secs_f64() * 1000.0 / processados as f64 * 1000.0).round() / 1000.0
        };
    }
}

/// Results keyed by order number, serialized as a JSON object in the order held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resultados(pub Vec<Resultado>);

impl Serialize for Resultados {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for r in &self.0 {
            map.serialize_entry(r.num_pedido(), r)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Resultados {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map: BTreeMap<String, Resultado> = BTreeMap::deserialize(deserializer)?;
        Ok(Resultados(map.into_values().collect()))
    }
}

/// The body of the batch API (`success` is always true there: bad requests get an error body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RespostaLote {
    pub success: bool,
    /// RESULT per order number.
    #[schema(value_type = std::collections::HashMap<String, Resultado>)]
    pub resultados: Resultados,
    pub estatisticas: Estatisticas,
}

/// What `ruptura analyze --format json` writes: exactly these two keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Relatorio {
    #[schema(value_type = std::collections::HashMap<String, Resultado>)]
    pub resultados: Resultados,
    pub estatisticas: Estatisticas,
}

#[cfg(test)]
mod tests {
    #[test]
    fn rotulo_spells_the_engine_labels_and_parses_its_own_strings() {
        for c in Criticality::ALL {
            assert_eq!(Rotulo::from(c).as_str(), c.as_str());
        }
        for r in Rotulo::ALL {
            assert_eq!(Rotulo::of(r.as_str()), Some(r));
            assert_eq!(r.as_str().to_lowercase().parse::<Rotulo>(), Ok(r));
        }
        assert_eq!(Rotulo::of("critica"), None);
        assert_eq!(
            "CRÍTICA".parse::<Rotulo>(),
            Err(
                "criticidade desconhecida \"CRÍTICA\": use OK, CRITICA, ALTA, MEDIA, BAIXA, ERRO"
                    .into()
            )
        );
        assert!(Rotulo::Critica.gravidade() > Rotulo::Baixa.gravidade());
        assert!(Rotulo::Ok.gravidade() > Rotulo::Erro.gravidade());
    }

    use super::*;

    #[test]
    fn numbers_round_half_away_and_convert_exactly() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(qty(d("80.1255")), 80.126);
        assert_eq!(money(d("905.625")), 905.63);
        assert_eq!(money(d("-905.625")), -905.63);
        assert_eq!(money(d("0.1")), 0.1);
        assert_eq!(qty(d("123456789.0005")), 123456789.001);
        for s in ["0.3", "1234.56", "99999999999.999", "0.001", "-7.5"] {
            assert_eq!(qty(d(s)), s.parse::<f64>().unwrap(), "{s}");
        }
    }

    /// The counts are flattened into `estatisticas`: the wire has them first, side by side, in
    /// the order SPEC 3.1 lists them, and reads them back.
    #[test]
    fn statistics_carry_the_counts_side_by_side() {
        let mut s = Estatisticas::new(3);
        s.contagens.processados = 2;
        s.contagens.erros = 1;
        s.contagens.pedidos_com_ruptura = 1;
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            json.starts_with(
                r#"{"total_pedidos":3,"processados":2,"erros":1,"pedidos_ok":0,"pedidos_com_ruptura":1,"tempo_total_segundos":0.0,"#
            ),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Estatisticas>(&json).unwrap(), s);
    }

    #[test]
    fn dates_serialize_as_iso() {
        let day = Dia(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap());
        assert_eq!(serde_json::to_string(&day).unwrap(), "\"2026-03-05\"");
        assert_eq!(serde_json::from_str::<Dia>("\"2026-03-05\"").unwrap(), day);
        assert!(serde_json::from_str::<Dia>("\"2026-02-30\"").is_err());
    }
}
