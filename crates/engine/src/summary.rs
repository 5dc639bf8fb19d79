//! The summary of one order from its checked lines (SPEC 2.6, 2.7, 8.2, 8.3): counts, values,
//! percentages, criticality, when it can ship and what to do with it.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::analysis::{LineResult, Summary, TotalAvailability};
use crate::decision::{Prazo, Sugestao};
use crate::params::{round_half_away, Params};

/// The order's summary; `None` when a sum overflows.
pub(crate) fn summarize(
    lines: &[LineResult],
    expedicao: Option<NaiveDate>,
    params: &Params,
) -> Option<Summary> {
    let total_itens = lines.len();
    let qtd_itens_ruptura = lines.iter().filter(|l| l.is_short()).count();
    let qtd_itens_disponiveis = total_itens - qtd_itens_ruptura;
    let valor_total_pedido = sum_values(lines.iter())?;
    let valor_com_ruptura = sum_values(lines.iter().filter(|l| l.is_short()))?;
    let valor_disponivel = valor_total_pedido.checked_sub(valor_com_ruptura)?;
    let percentual_ruptura = percent_of(valor_com_ruptura, valor_total_pedido)?;
    let percentual_disponibilidade =
        round_half_away(Decimal::ONE_HUNDRED.checked_sub(percentual_ruptura)?, 0);
    let percentual_itens_disponiveis = if total_itens == 0 {
        Decimal::ZERO
    } else {
        round_half_away(
            Decimal::from(qtd_itens_disponiveis * 100) / Decimal::from(total_itens),
            0,
        )
    };
    let criticidade = params
        .criticality
        .classify(qtd_itens_ruptura, percentual_ruptura);
    let disponibilidade_total = total_availability(lines, qtd_itens_ruptura);
    let data_pronto = ready_date(disponibilidade_total, params);
    let (prazo, dias_atraso) = deadline(expedicao, data_pronto, params.today);
    let valor_agora = lines.iter().try_fold(Decimal::ZERO, |acc, l| {
        acc.checked_add(l.disponivel.checked_mul(l.preco.unwrap_or(Decimal::ZERO))?)
    })?;
    let percentual_valor_agora = percent_of(valor_agora, valor_total_pedido)?;
    let itens_agora = lines
        .iter()
        .filter(|l| l.disponivel > Decimal::ZERO)
        .count();
    let sugestao = suggestion(
        qtd_itens_ruptura,
        valor_agora,
        percentual_valor_agora,
        params,
    );
    Some(Summary {
        total_itens,
        qtd_itens_ruptura,
        qtd_itens_disponiveis,
        valor_total_pedido,
        valor_com_ruptura,
        valor_disponivel,
        percentual_ruptura,
        percentual_disponibilidade,
        percentual_itens_disponiveis,
        criticidade,
        disponibilidade_total,
        expedicao,
        data_pronto,
        prazo,
        dias_atraso,
        valor_agora,
        percentual_valor_agora,
        itens_agora,
        sugestao,
    })
}

/// The sum of the lines' values; `None` when it overflows.
fn sum_values<'l>(mut lines: impl Iterator<Item = &'l LineResult>) -> Option<Decimal> {
    lines.try_fold(Decimal::ZERO, |acc, l| acc.checked_add(l.valor))
}

/// part / whole x 100, exact: 0 when the whole is 0 (or the quotient does not fit), `None` when
/// part x 100 overflows.
fn percent_of(part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole.is_zero() {
        return Some(Decimal::ZERO);
    }
    Some(
        part.checked_mul(Decimal::ONE_HUNDRED)?
            .checked_div(whole)
            .unwrap_or(Decimal::ZERO),
    )
}

/// When the whole order can ship: now with no short line, else the latest availability date of
/// the short lines (no forecast when one has none).
fn total_availability(lines: &[LineResult], short_lines: usize) -> TotalAvailability {
    if short_lines == 0 {
        return TotalAvailability::Now;
    }
    let dates: Option<Vec<NaiveDate>> = lines
        .iter()
        .filter(|l| l.is_short())
        .map(|l| l.data_disponivel)
        .collect();
    match dates.and_then(|d| d.into_iter().max()) {
        Some(d) => TotalAvailability::On(d),
        None => TotalAvailability::NoForecast,
    }
}

/// When the whole order is ready: today + lead time when no line is short, else its total
/// availability date (`None`: no forecast).
fn ready_date(availability: TotalAvailability, params: &Params) -> Option<NaiveDate> {
    match availability {
        TotalAvailability::Now => params
            .today
            .checked_add_days(Days::new(u64::from(params.lead_time_days))),
        TotalAvailability::On(d) => Some(d),
        TotalAvailability::NoForecast => None,
    }
}

/// The order's deadline status and its delay in days (SPEC 8.2).
fn deadline(
    expedicao: Option<NaiveDate>,
    data_pronto: Option<NaiveDate>,
    today: NaiveDate,
) -> (Prazo, Option<i64>) {
    let prazo = match (expedicao, data_pronto) {
        (None, _) => Prazo::SemExpedicao,
        (Some(e), _) if e < today => Prazo::Vencida,
        (Some(_), None) => Prazo::SemPrevisao,
        (Some(e), Some(p)) if p <= e => Prazo::NoPrazo,
        (Some(_), Some(_)) => Prazo::Atrasa,
    };
    let dias_atraso = match (expedicao, data_pronto) {
        (Some(e), Some(p)) => Some((p - e).num_days().max(0)),
        _ => None,
    };
    (prazo, dias_atraso)
}

/// Ship, ship what is there, or wait (SPEC 8.3).
fn suggestion(
    short_lines: usize,
    valor_agora: Decimal,
    percentual_valor_agora: Decimal,
    params: &Params,
) -> Sugestao {
    if short_lines == 0 {
        Sugestao::Enviar
    } else if valor_agora > Decimal::ZERO
        // The minimums compare with the figures as shown (2 places).
        && round_half_away(valor_agora, 2) >= params.partial_min_value
        && round_half_away(percentual_valor_agora, 2) >= params.partial_min_pct
    {
        Sugestao::Parcial
    } else {
        Sugestao::Aguardar
    }
}
