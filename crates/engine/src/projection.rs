//! The projected stock of one product group, day by day (SPEC 2.3), stored sparsely: balances
//! change only on days with an outflow or an inflow, so the projection keeps one breakpoint per
//! such day (and D0). Far-future dates cost one breakpoint, not one slot per day.

use rust_decimal::Decimal;

/// Outflows and inflows of one day, as offsets from today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayFlow {
    pub out: Decimal,
    pub inflow: Decimal,
}

/// `saldo_final` of a group from D0 on, with the window minimum and the suffix minima that
/// answer "from which day on does the balance stay at or above x?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// Current stock S (`estoque_atual`), before any flow.
    stock: Decimal,
    /// Breakpoint days (offsets from today), strictly increasing, `days[0] == 0`.
    days: Vec<u32>,
    /// `saldo_final` on `days[i]`, and on every day until `days[i + 1]`.
    balances: Vec<Decimal>,
    /// `suffix_min[i] = min(balances[i..])`: non-decreasing in `i`.
    suffix_min: Vec<Decimal>,
    /// H: the window is D0..=D_H.
    horizon_days: u32,
    /// Number of leading breakpoints inside the window D0..=D_H.
    in_window: usize,
    /// `min(balances[..in_window])`: read for every line of the group (twice), so kept with
    /// the suffix minima rather than scanned each time.
    window_min: Decimal,
    /// First production day on or after today, and that day's total.
    first_inflow: Option<(u32, Decimal)>,
}

impl Projection {
    /// Builds the projection from the current stock and the flows per day offset (in any order;
    /// the same day may appear more than once and is summed).
    pub fn new(
        stock: Decimal,
        horizon_days: u32,
        flows: impl IntoIterator<Item = (u32, DayFlow)>,
    ) -> Self {
        let mut flows: Vec<(u32, DayFlow)> = flows.into_iter().collect();
        flows.sort_unstable_by_key(|(day, _)| *day);
        let mut days = vec![0u32];
        let mut net = vec![Decimal::ZERO];
        let mut first_inflow: Option<(u32, Decimal)> = None;
        for (day, flow) in flows {
            if *days.last().unwrap_or(&0) != day {
                days.push(day);
                net.push(Decimal::ZERO);
            }
            if let Some(last) = net.last_mut() {
                *last += flow.inflow - flow.out;
            }
            if !flow.inflow.is_zero() {
                match &mut first_inflow {
                    Some((d, q)) if *d == day => *q += flow.inflow,
                    None => first_inflow = Some((day, flow.inflow)),
                    Some(_) => {}
                }
            }
        }
        let mut running = stock;
        let balances: Vec<Decimal> = net
            .iter()
            .map(|n| {
                running += *n;
                running
            })
            .collect();
        let in_window = days.iter().take_while(|d| **d <= horizon_days).count();
        let mut p = Self {
            stock,
            days,
            balances,
            suffix_min: Vec::new(),
            horizon_days,
            in_window,
            window_min: Decimal::ZERO,
            first_inflow,
        };
        p.refresh_minima();
        p
    }

    fn refresh_minima(&mut self) {
        self.suffix_min.clear();
        self.suffix_min.resize(self.balances.len(), Decimal::ZERO);
        let mut min = Decimal::MAX;
        for i in (0..self.balances.len()).rev() {
            min = min.min(self.balances[i]);
            self.suffix_min[i] = min;
        }
        self.window_min = self.balances[..self.in_window]
            .iter()
            .copied()
            .min()
            .unwrap_or(self.balances[0]);
    }

    /// Current stock S.
    pub fn stock(&self) -> Decimal {
        self.stock
    }

    /// `menor_estoque`: the minimum `saldo_final` over D0..=D_H.
    pub fn window_min(&self) -> Decimal {
        self.window_min
    }

    /// The earliest day D (offset from today) from which every balance stays at or above `need`,
    /// or `None` when no such day exists (SPEC 2.5).
    pub fn earliest_covering_day(&self, need: Decimal) -> Option<u32> {
        // suffix_min is non-decreasing, so the first index that covers is a partition point.
        let i = self.suffix_min.partition_point(|m| *m < need);
        self.days.get(i).copied()
    }

    /// First production day on or after today and its quantity.
    pub fn first_inflow(&self) -> Option<(u32, Decimal)> {
        self.first_inflow
    }

    /// `saldo_final` on day `day` (offset from today).
    pub fn balance_on(&self, day: u32) -> Decimal {
        let i = self.days.partition_point(|d| *d <= day);
        self.balances[i.saturating_sub(1)]
    }

    /// The last day (offset from today) on which the balance changes: after it the projection is
    /// flat (E of SPEC 2.3, or 0 with no flows).
    pub fn last_day(&self) -> u32 {
        self.days.last().copied().unwrap_or(0)
    }

    /// `saldo_final` for D0..=D_last, one value per day.
    pub fn daily(&self, last_day: u32) -> Vec<Decimal> {
        (0..=last_day).map(|d| self.balance_on(d)).collect()
    }

    /// Takes `qty` off every balance from day `from_day` on (sequential allocation). `from_day`
    /// may fall between breakpoints: a breakpoint is added there so the step stays exact.
    pub fn hold(&mut self, from_day: u32, qty: Decimal) {
        if qty.is_zero() {
            return;
        }
        let i = self.days.partition_point(|d| *d < from_day);
        if self.days.get(i) != Some(&from_day) {
            // Split the step that covers `from_day` (i >= 1 because days[0] == 0 <= from_day).
            let balance = self.balances[i - 1];
            self.days.insert(i, from_day);
            self.balances.insert(i, balance);
            if from_day <= self.horizon_days {
                self.in_window += 1;
            }
        }
        for b in &mut self.balances[i..] {
            *b -= qty;
        }
        self.refresh_minima();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn flow(out: i64, inflow: i64) -> DayFlow {
        DayFlow {
            out: q(out),
            inflow: q(inflow),
        }
    }

    #[test]
    fn balances_follow_the_recurrence() {
        // S=50, +100 on D1, -120 on D3: 50, 150, 150, 30, 30...
        let p = Projection::new(q(50), 7, [(1, flow(0, 100)), (3, flow(120, 0))]);
        assert_eq!(p.daily(4), vec![q(50), q(150), q(150), q(30), q(30)]);
        assert_eq!(p.window_min(), q(30));
        assert_eq!(p.first_inflow(), Some((1, q(100))));
    }

    #[test]
    fn window_is_inclusive_of_horizon_and_ignores_later_days() {
        let p = Projection::new(
            q(100),
            7,
            [(7, flow(40, 0)), (8, flow(50, 0)), (10, flow(0, 200))],
        );
        assert_eq!(p.window_min(), q(60));
        assert_eq!(p.earliest_covering_day(q(61)), Some(10));
        assert_eq!(p.earliest_covering_day(q(10)), Some(0));
        assert_eq!(p.earliest_covering_day(q(211)), None);
    }

    #[test]
    fn same_day_flows_are_summed() {
        let p = Projection::new(
            q(10),
            7,
            [(2, flow(5, 0)), (2, flow(0, 20)), (2, flow(1, 0))],
        );
        assert_eq!(p.balance_on(2), q(24));
        assert_eq!(p.first_inflow(), Some((2, q(20))));
    }

    #[test]
    fn hold_between_breakpoints_splits_the_step() {
        let mut p = Projection::new(q(100), 7, [(5, flow(0, 60))]);
        p.hold(3, q(30));
        assert_eq!(
            p.daily(6),
            vec![q(100), q(100), q(100), q(70), q(70), q(130), q(130)]
        );
        assert_eq!(p.window_min(), q(70));
        p.hold(0, q(70));
        assert_eq!(p.window_min(), q(0));
        assert_eq!(p.earliest_covering_day(q(60)), Some(5));
    }
}
