//! The account: cash, index units and a broker loan (融资), all in `Decimal`.
//!
//! Exposure above 1 is bought on credit. How much may be borrowed follows the initial margin
//! ratio in force on the day (融资保证金比例, a date-keyed schedule in data,
//! `datasets/margin_rules.toml`): at ratio m the total debt may reach equity / m, so at 100% a
//! yuan of own money borrows a yuan, at 80% it borrows 1.25. Before the first entry of the
//! schedule (margin trading began on 2010-03-31) nothing may be borrowed. Raising the ratio
//! limits new borrowing only; existing debt stays.
//!
//! Interest accrues on the debt every calendar day at `interest_rate` / 360 (the broker
//! convention), rounded to the cent and added to the debt. After a close at which collateral
//! (cash + holdings) falls below `maintenance_ratio` x debt (维持担保比例 130%), the broker sells
//! at the next open enough units to bring the ratio back to `restore_ratio`, or everything if
//! that cannot be done; the fill is marked forced.
//!
//! **Invariant:** cash >= 0, units >= 0, debt >= 0, and equity = cash + units x price - debt.
//! **Invariant:** no arithmetic here can panic or wrap. Cash, debt and holdings are checked
//! against [`MAX_MONEY`] before every trade and at every close, which keeps every fee, sum and
//! product of a run far inside `Decimal`'s 28 digits; the few quotients that could still leave
//! them (a tiny price or lot) are computed checked. Either way the account answers
//! [`OutOfRange`] and the engine stops the run with an error naming the day.
//!
//! **The daily mark in integers.** A `Decimal` is an integer mantissa m (under 2^96) and a scale s,
//! the value m x 10^-s: a fixed-point number whose point is kept per value. Cash, units and debt
//! change only at fills and interest charges, a few hundred times in a run; the mark at every close
//! (holdings and equity, each checked against [`MAX_MONEY`]) is the day loop's main cost. [`Mark`]
//! keeps the three as `(mantissa, scale)` integers ([`crate::exact`]), rebuilt after every change,
//! and computes holdings and equity in 128-bit integers: mantissas multiplied, scales added, the
//! smaller scale raised to the larger by a power of ten before adding. That is exact, and it is
//! what `rust_decimal` computes whenever its result needs no rounding, down to the scale and the
//! sign of a zero, so the curve and every file written from it keep their bytes. Where
//! `rust_decimal` would round (a product or sum of 96 bits or more, a scale above 28: nothing under
//! [`MAX_MONEY`] while a price and the units have 8 decimals between them, as the bundled data's 4
//! and the default lot's 4 do) the mark is computed in `Decimal` as before.
//! `integer_mark_equals_decimal_arithmetic` checks both paths against each other.

use chrono::NaiveDate;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy, dec};
use serde::Deserialize;

use crate::costs::{CostModel, Side, to_cents};
use crate::exact::Exact;

/// An initial margin ratio in force from a date on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialRatio {
    /// First trading day it applies to new financing (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Day it was announced, when known (on or before `from`); `cyclebt events` measures from
    /// the last close before it.
    pub announced: Option<NaiveDate>,
    /// Own funds required per yuan borrowed (0.5 = 50%).
    pub ratio: Decimal,
    /// Where the rule is documented.
    #[serde(default)]
    pub note: String,
}

/// The initial margin ratio's history (`datasets/margin_rules.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarginSchedule {
    /// Entries in increasing date order.
    pub initial_ratio: Vec<InitialRatio>,
}

impl MarginSchedule {
    /// Parses the schedule; ratios must be in [0.01, 10] (a yuan of own money borrows at most
    /// a hundred), dates strictly increasing, and an announcement not after its rule's first
    /// day.
    pub fn parse(text: &str) -> Result<Self, String> {
        let schedule: MarginSchedule = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, entry) in schedule.initial_ratio.iter().enumerate() {
            crate::costs::check_announced(entry.announced, entry.from)?;
            if i > 0 && entry.from <= schedule.initial_ratio[i - 1].from {
                return Err(format!(
                    "ratio from {} is not after the one before it",
                    entry.from
                ));
            }
            if entry.ratio < dec!(0.01) || entry.ratio > Decimal::TEN {
                return Err(format!(
                    "ratio {} from {} is outside [0.01, 10]",
                    entry.ratio, entry.from
                ));
            }
        }
        Ok(schedule)
    }

    /// The ratio in force on `date`, or None before margin trading.
    pub fn ratio_on(&self, date: NaiveDate) -> Option<Decimal> {
        let i = self.initial_ratio.partition_point(|r| r.from <= date);
        i.checked_sub(1).map(|i| self.initial_ratio[i].ratio)
    }
}

/// The broker's terms for a leveraged account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarginTerms {
    /// Initial margin ratio by date.
    pub schedule: MarginSchedule,
    /// Annual interest on the debt (0.06 = 6%), charged per calendar day on a 360-day year.
    pub interest_rate: Decimal,
    /// Collateral over debt under which a forced sale follows (1.3).
    pub maintenance_ratio: Decimal,
    /// Collateral over debt a forced sale restores (1.5).
    pub restore_ratio: Decimal,
}

impl MarginTerms {
    /// No borrowing at all.
    pub fn none() -> Self {
        MarginTerms {
            schedule: MarginSchedule::default(),
            interest_rate: Decimal::ZERO,
            maintenance_ratio: Decimal::from(13) / Decimal::TEN,
            restore_ratio: Decimal::from(15) / Decimal::TEN,
        }
    }
}

/// The largest amount of money an account holds: 10^20 yuan (about a million times the yearly
/// output of the world). Cash, debt and holdings at every close and before every trade stay
/// at or under it, so that a trade of up to `MAX_EXPOSURE` times that, its fees at up to
/// 1,000 bps, and sums of such values over a hundred thousand fills all keep whole cents
/// inside `Decimal`'s 96-bit mantissa (7.9 x 10^28). Only compounding far beyond any real
/// account reaches it (a 100x-long history, say); the run then fails with the day.
pub const MAX_MONEY: Decimal = dec!(100000000000000000000);

/// Money left the range the account keeps exact: `what` would exceed [`MAX_MONEY`] or could
/// not be computed in `Decimal` at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutOfRange {
    /// What was being computed ("cash", "holdings", "the units to buy", ...).
    pub what: &'static str,
}

/// Checked `Decimal` arithmetic for the account, naming what was computed when it fails.
trait Checked: Sized {
    fn times(self, other: Decimal, what: &'static str) -> Result<Decimal, OutOfRange>;
    fn over(self, other: Decimal, what: &'static str) -> Result<Decimal, OutOfRange>;
}

impl Checked for Decimal {
    fn times(self, other: Decimal, what: &'static str) -> Result<Decimal, OutOfRange> {
        self.checked_mul(other).ok_or(OutOfRange { what })
    }

    fn over(self, other: Decimal, what: &'static str) -> Result<Decimal, OutOfRange> {
        self.checked_div(other).ok_or(OutOfRange { what })
    }
}

/// `amount` if it is at most [`MAX_MONEY`].
///
/// The same test as `amount <= MAX_MONEY` without its cost: comparing decimals of different
/// scales rescales one of them, and this runs several times a day in the day loop.
/// [`Exact::bounded`] compares the mantissa with 10^(20 + scale) instead.
fn bounded(amount: Decimal, what: &'static str) -> Result<Decimal, OutOfRange> {
    if Exact::of(amount).bounded() {
        Ok(amount)
    } else {
        Err(OutOfRange { what })
    }
}

/// Cash, units and debt as [`Exact`] integers, for the mark at every close (see the module
/// doc), with the checks of cash and debt against [`MAX_MONEY`] made once per change.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mark {
    cash: Exact,
    units: Exact,
    debt: Exact,
    cash_bounded: bool,
    debt_bounded: bool,
}

impl Mark {
    fn of(cash: Decimal, units: Decimal, debt: Decimal) -> Self {
        let (cash, units, debt) = (Exact::of(cash), Exact::of(units), Exact::of(debt));
        Mark {
            cash,
            units,
            debt,
            cash_bounded: cash.bounded(),
            debt_bounded: debt.bounded(),
        }
    }

    /// Equity at `price` checked as [`Account::equity`] checks it, or None where the integers
    /// would differ from `Decimal`'s rounding (the caller then computes in `Decimal`).
    #[inline(always)]
    fn equity(&self, price: Decimal) -> Option<Result<Exact, OutOfRange>> {
        let holdings = self.units.times(Exact::of(price))?;
        let out_of_range = |what| Some(Err(OutOfRange { what }));
        if !holdings.bounded() {
            return out_of_range("holdings");
        }
        if !self.cash_bounded {
            return out_of_range("cash");
        }
        if !self.debt_bounded {
            return out_of_range("debt");
        }
        let equity = self.cash.plus(holdings, false)?.plus(self.debt, true)?;
        Some(Ok(equity))
    }
}

/// Days in the year of the interest convention.
const INTEREST_YEAR_DAYS: i64 = 360;

/// One executed trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// Day of the fill.
    pub date: NaiveDate,
    /// Buy or sell.
    pub side: Side,
    /// Index units traded.
    pub units: Decimal,
    /// Price obtained, slippage included.
    pub price: Decimal,
    /// Traded value in yuan, to the cent: units x price, slippage included.
    pub value: Decimal,
    /// Broker commission, in yuan.
    pub commission: Decimal,
    /// Stamp duty, in yuan.
    pub stamp_duty: Decimal,
    /// What slippage cost in this trade, in yuan: the value traded at the fill price against
    /// the value at the quoted price, each to the cent.
    pub slippage: Decimal,
    /// Borrowed (buy) or repaid (sell) in this trade, in yuan.
    pub debt_change: Decimal,
    /// A broker's forced sale after the maintenance ratio was breached.
    pub forced: bool,
}

impl Fill {
    /// Commission plus stamp duty, in yuan.
    pub fn fees(&self) -> Decimal {
        self.commission + self.stamp_duty
    }
}

/// A position from entry (units 0 -> positive) to exit (back to 0), over all the fills in
/// between (a sizing rule may add to it or trim it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// First fill.
    pub entry: NaiveDate,
    /// The fill that brought units back to 0; None while the position is open.
    pub exit: Option<NaiveDate>,
    /// Units bought over the trade.
    pub units_bought: Decimal,
    /// Units sold over the trade.
    pub units_sold: Decimal,
    /// Value of the buys at their fill prices, in yuan (each fill's value to the cent).
    pub bought: Decimal,
    /// Value of the sales at their fill prices, in yuan.
    pub sold: Decimal,
    /// Units x fill price summed over the buys, unrounded (for the average entry price).
    pub bought_at: Decimal,
    /// Units x fill price summed over the sales, unrounded.
    pub sold_at: Decimal,
    /// Commission and stamp duty over the trade, in yuan.
    pub fees: Decimal,
    /// Slippage over the trade, in yuan (already inside `bought` and `sold`).
    pub slippage: Decimal,
    /// Interest charged on the debt while the position was open, in yuan.
    pub interest: Decimal,
    /// The closing fill was the broker's forced sale.
    pub forced_exit: bool,
}

impl Trade {
    fn open(entry: NaiveDate) -> Self {
        Trade {
            entry,
            exit: None,
            units_bought: Decimal::ZERO,
            units_sold: Decimal::ZERO,
            bought: Decimal::ZERO,
            sold: Decimal::ZERO,
            bought_at: Decimal::ZERO,
            sold_at: Decimal::ZERO,
            fees: Decimal::ZERO,
            slippage: Decimal::ZERO,
            interest: Decimal::ZERO,
            forced_exit: false,
        }
    }

    /// Sales minus buys, before fees and interest: `sold - bought`, with the units still held
    /// valued at `price` (pass the last close for an open trade).
    pub fn gross_pnl(&self, price: Decimal) -> Decimal {
        self.sold + (self.units_bought - self.units_sold) * price - self.bought
    }

    /// Net gain: gross less fees and interest.
    pub fn net_pnl(&self, price: Decimal) -> Decimal {
        self.gross_pnl(price) - self.fees - self.interest
    }

    /// Net gain over the value bought.
    pub fn net_return(&self, price: Decimal) -> Decimal {
        if self.bought.is_zero() {
            Decimal::ZERO
        } else {
            self.net_pnl(price) / self.bought
        }
    }

    /// Average fill price of the buys, weighted by units.
    pub fn entry_price(&self) -> Decimal {
        average(self.bought_at, self.units_bought)
    }

    /// Average fill price of the sales, weighted by units (zero before any sale).
    pub fn exit_price(&self) -> Decimal {
        average(self.sold_at, self.units_sold)
    }
}

fn average(value: Decimal, units: Decimal) -> Decimal {
    if units.is_zero() {
        Decimal::ZERO
    } else {
        value / units
    }
}

pub(crate) struct Account<'a> {
    cash: Decimal,
    units: Decimal,
    debt: Decimal,
    /// `cash`, `units` and `debt` as integers: rebuilt by every change of them
    /// ([`Account::remark`]), which is why the three are private.
    mark: Mark,
    /// [`Account::mark_f64`] of an account that holds no units, whose equity (cash minus debt)
    /// no price changes: computed on the first such day and kept until the account changes.
    /// A sweep's runs are out of the market about half their days.
    flat_mark: Option<(f64, bool)>,
    /// The last exposure asked for, by its bits, and its [`Account::exposure_exact`].
    last_exposure: Option<(u64, Decimal)>,
    pub interest: Decimal,
    costs: &'a CostModel,
    margin: &'a MarginTerms,
    lot: Decimal,
    pub fills: Vec<Fill>,
    /// Positions opened so far, the last one possibly still open.
    pub trades: Vec<Trade>,
    /// Days an order to enter bought nothing: cash (and credit) could not pay for one lot and
    /// its fees.
    pub unfilled_buys: Vec<NaiveDate>,
    /// Days a sale's fees were cut because cash plus proceeds could not pay them in full.
    pub fees_cut: Vec<NaiveDate>,
}

impl<'a> Account<'a> {
    pub fn new(
        capital: Decimal,
        costs: &'a CostModel,
        margin: &'a MarginTerms,
        lot: Decimal,
    ) -> Self {
        Account {
            cash: capital,
            units: Decimal::ZERO,
            debt: Decimal::ZERO,
            mark: Mark::of(capital, Decimal::ZERO, Decimal::ZERO),
            flat_mark: None,
            last_exposure: None,
            interest: Decimal::ZERO,
            costs,
            margin,
            lot,
            fills: Vec::new(),
            trades: Vec::new(),
            unfilled_buys: Vec::new(),
            fees_cut: Vec::new(),
        }
    }

    /// Cash at the moment.
    pub fn cash(&self) -> Decimal {
        self.cash
    }

    /// Units held at the moment.
    pub fn units(&self) -> Decimal {
        self.units
    }

    /// Debt at the moment, interest included.
    pub fn debt(&self) -> Decimal {
        self.debt
    }

    /// Whether any units are held (units are never negative).
    pub fn in_market(&self) -> bool {
        !self.mark.units.is_zero()
    }

    /// Cash plus holdings minus debt at `price`, after checking that cash, debt and holdings
    /// are within [`MAX_MONEY`]; every other computation of the account relies on that check.
    pub fn equity(&self, price: Decimal) -> Result<Decimal, OutOfRange> {
        match self.mark.equity(price) {
            Some(equity) => equity.map(Exact::decimal),
            None => self.equity_in_decimal(price),
        }
    }

    /// The mark at a close of a run that keeps no ledger: [`Account::equity`] at `price` as
    /// `f64` (`cyclebt_data::decimal_to_f64`'s bits) and whether it is zero or less. The exact
    /// value is not built: the integers go straight to the `f64`, in registers.
    #[inline(always)]
    pub fn mark_f64(&mut self, price: Decimal) -> Result<(f64, bool), OutOfRange> {
        debug_assert_eq!(self.mark, Mark::of(self.cash, self.units, self.debt));
        if let Some(flat) = self.flat_mark {
            debug_assert_eq!(
                (flat.0.to_bits(), flat.1),
                self.mark_f64_at(price)
                    .map(|(equity, ruined)| (equity.to_bits(), ruined))?
            );
            return Ok(flat);
        }
        let mark = self.mark_f64_at(price)?;
        if self.mark.units.is_zero() {
            self.flat_mark = Some(mark);
        }
        Ok(mark)
    }

    #[inline(always)]
    fn mark_f64_at(&self, price: Decimal) -> Result<(f64, bool), OutOfRange> {
        match self.mark.equity(price) {
            Some(equity) => {
                let equity = equity?;
                Ok((equity.to_f64(), equity.is_zero() || equity.negative))
            }
            None => {
                let equity = self.equity_in_decimal(price)?;
                Ok((
                    cyclebt_data::decimal_to_f64(equity),
                    equity <= Decimal::ZERO,
                ))
            }
        }
    }

    /// Rebuilds the integers of the mark after a change of cash, units or debt.
    fn remark(&mut self) {
        self.mark = Mark::of(self.cash, self.units, self.debt);
        self.flat_mark = None;
    }

    /// The mark at a close: appends [`Account::equity`] at `price` to `curve` and says whether
    /// it is zero or less (the account wiped out).
    ///
    /// It writes into the curve instead of returning the `Decimal` because a `Decimal` built
    /// from its four 32-bit words and passed on through memory is read back as one 128-bit
    /// value, which the processor cannot forward from its store buffer: a stall costing as
    /// much as the rest of the mark, every day of every run.
    #[inline(always)]
    pub fn mark_to(&self, price: Decimal, curve: &mut Vec<Decimal>) -> Result<bool, OutOfRange> {
        // Every test's every day checks that no change of cash, units or debt missed the mark.
        debug_assert_eq!(self.mark, Mark::of(self.cash, self.units, self.debt));
        match self.mark.equity(price) {
            Some(equity) => {
                let equity = equity?;
                curve.push(equity.decimal());
                Ok(equity.is_zero() || equity.negative)
            }
            None => {
                let equity = self.equity_in_decimal(price)?;
                curve.push(equity);
                Ok(equity <= Decimal::ZERO)
            }
        }
    }

    /// [`Account::equity`] in `Decimal` arithmetic, for the rare amounts where it rounds.
    #[cold]
    #[inline(never)]
    fn equity_in_decimal(&self, price: Decimal) -> Result<Decimal, OutOfRange> {
        let holdings = bounded(self.units.times(price, "holdings")?, "holdings")?;
        Ok(bounded(self.cash, "cash")? + holdings - bounded(self.debt, "debt")?)
    }

    fn round_to_lot(&self, units: Decimal) -> Result<Decimal, OutOfRange> {
        let lots = units
            .over(self.lot, "the units to trade")?
            .round_dp_with_strategy(0, RoundingStrategy::ToZero);
        Ok(lots.times(self.lot, "the units to trade")?.normalize())
    }

    /// Charges interest on the debt for the calendar days from `previous` to `date`; returns
    /// the charge.
    #[inline]
    pub fn accrue_interest(&mut self, previous: NaiveDate, date: NaiveDate) -> Decimal {
        // Debt is never negative: zero is the common case, and the mark knows it cheaply.
        if self.mark.debt.is_zero() {
            return Decimal::ZERO;
        }
        let days = (date - previous).num_days();
        if days <= 0 {
            return Decimal::ZERO;
        }
        // Debt is within MAX_MONEY, the rate at most 1 and the gap between trading days a few
        // weeks: the product stays far inside Decimal.
        let charge = to_cents(
            self.debt * self.margin.interest_rate * Decimal::from(days)
                / Decimal::from(INTEREST_YEAR_DAYS),
        );
        self.debt += charge;
        self.remark();
        self.interest += charge;
        if let Some(trade) = self.open_trade() {
            trade.interest += charge;
        }
        charge
    }

    fn open_trade(&mut self) -> Option<&mut Trade> {
        self.trades.last_mut().filter(|t| t.exit.is_none())
    }

    /// Whether collateral at `price` is under the maintenance ratio. Call after `equity`
    /// succeeded at this price.
    #[inline]
    pub fn maintenance_breached(&self, price: Decimal) -> bool {
        !self.mark.debt.is_zero()
            && self.cash + self.units * price < self.margin.maintenance_ratio * self.debt
    }

    /// The broker's forced sale at `price`: enough units to restore `restore_ratio`, or all.
    pub fn force_sale(&mut self, date: NaiveDate, price: Decimal) -> Result<(), OutOfRange> {
        self.equity(price)?;
        let sell_price = self.costs.fill_price(price, Side::Sell);
        let restore = self.margin.restore_ratio;
        // Selling q units at s repays q*s: (assets - q*price) >= R * (debt - q*s) gives
        // q >= (R*debt - assets) / (R*s - price), fees aside; one extra lot covers them.
        let assets = self.cash + self.units * price;
        let denominator = restore * sell_price - price;
        let mut units = self.units;
        if denominator > Decimal::ZERO {
            let needed = (restore * self.debt - assets).over(denominator, "the units to sell")?;
            units = (self.round_to_lot(needed)? + self.lot).min(self.units);
        }
        self.sell(date, price, units, true);
        if self.debt > Decimal::ZERO
            && self.cash + self.units * price < restore * self.debt
            && self.units > Decimal::ZERO
        {
            self.sell(date, price, self.units, true);
        }
        Ok(())
    }

    /// Trades at `price` on `date` towards holding `exposure` x equity.
    pub fn rebalance(
        &mut self,
        date: NaiveDate,
        price: Decimal,
        exposure: f64,
    ) -> Result<(), OutOfRange> {
        let equity = self.equity(price)?;
        if exposure <= 0.0 {
            self.sell(date, price, self.units, false);
            return Ok(());
        }
        let target = self.exposure_exact(exposure) * equity.max(Decimal::ZERO);
        let held = self.units * price;
        if target > held {
            let buy_price = self.costs.fill_price(price, Side::Buy);
            let units = self.round_to_lot((target - held).over(buy_price, "the units to buy")?)?;
            self.buy(date, price, units)?;
            if self.units.is_zero() {
                self.unfilled_buys.push(date);
            }
        } else if target < held {
            let sell_price = self.costs.fill_price(price, Side::Sell);
            let units = self
                .round_to_lot((held - target).over(sell_price, "the units to sell")?)?
                .min(self.units);
            self.sell(date, price, units, false);
        }
        Ok(())
    }

    /// `exposure` to ten decimals: its binary noise (0.6 is 0.59999999999999997...) must not
    /// cost a lot in the rounding down to lots. The conversion is most of a fill's arithmetic,
    /// and a run asks for the same few exposures again and again: the last one is kept.
    fn exposure_exact(&mut self, exposure: f64) -> Decimal {
        match self.last_exposure {
            Some((bits, exact)) if bits == exposure.to_bits() => exact,
            _ => {
                let exact = Decimal::from_f64(exposure)
                    .unwrap_or(Decimal::ZERO)
                    .round_dp(10);
                self.last_exposure = Some((exposure.to_bits(), exact));
                exact
            }
        }
    }

    /// What may still be borrowed on `date` with equity `equity`.
    fn credit_left(&self, date: NaiveDate, equity: Decimal) -> Decimal {
        match self.margin.schedule.ratio_on(date) {
            // The ratio is at least 0.01 (checked where the schedule is read): equity / ratio
            // stays within 100 x MAX_MONEY.
            Some(ratio) if equity > Decimal::ZERO => {
                (equity / ratio - self.debt).max(Decimal::ZERO)
            }
            _ => Decimal::ZERO,
        }
    }

    /// Buys up to `units` at `price` plus slippage, paying with cash and then credit; fewer
    /// units if cash and credit do not cover value and fees, none if they cannot pay for one
    /// lot.
    fn buy(
        &mut self,
        date: NaiveDate,
        price: Decimal,
        mut units: Decimal,
    ) -> Result<(), OutOfRange> {
        let credit = self.credit_left(date, self.equity(price)?);
        let quoted = price;
        let price = self.costs.fill_price(price, Side::Buy);
        let available = self.cash + credit;
        loop {
            if units <= Decimal::ZERO {
                return Ok(());
            }
            // At most MAX_EXPOSURE x equity, which is within MAX_MONEY: fees and sums below
            // cannot overflow.
            let value = bounded(
                to_cents(units.times(price, "the value to buy")?),
                "the value to buy",
            )?;
            let charged = self.costs.fees(value, Side::Buy, date);
            let fees = charged.total();
            if value + fees <= available {
                let borrowed = (value + fees - self.cash).max(Decimal::ZERO);
                self.cash -= value + fees - borrowed;
                self.debt += borrowed;
                self.units += units;
                let fill = Fill {
                    date,
                    side: Side::Buy,
                    units,
                    price,
                    value,
                    commission: charged.commission,
                    stamp_duty: charged.stamp_duty,
                    slippage: value - to_cents(units * quoted),
                    debt_change: borrowed,
                    forced: false,
                };
                self.record(fill);
                return Ok(());
            }
            // Shrink to what cash and credit pay for after these fees; fees only fall with the
            // value, so this ends within a few rounds. The lot step guarantees progress.
            let affordable = self.round_to_lot(
                (available - fees)
                    .max(Decimal::ZERO)
                    .over(price, "the units to buy")?,
            )?;
            units = if affordable < units {
                affordable
            } else {
                units - self.lot
            };
        }
    }

    /// Sells `units` at `price` less slippage; the proceeds repay debt first. A sale always
    /// goes through: fees that would exceed cash plus proceeds are cut to what there is (and
    /// the day noted in `fees_cut`). Called only after `equity` checked the holdings.
    fn sell(&mut self, date: NaiveDate, price: Decimal, units: Decimal, forced: bool) {
        if units <= Decimal::ZERO {
            return;
        }
        let quoted = price;
        let price = self.costs.fill_price(price, Side::Sell);
        let value = to_cents(units * price);
        // Fees beyond cash plus proceeds are cut to what there is, commission paid first.
        let charged = self.costs.fees(value, Side::Sell, date);
        let payable = self.cash + value;
        let commission = charged.commission.min(payable);
        let stamp_duty = charged.stamp_duty.min(payable - commission);
        if commission + stamp_duty < charged.total() {
            self.fees_cut.push(date);
        }
        let fees = commission + stamp_duty;
        let net = value - fees;
        let repaid = net.min(self.debt).max(Decimal::ZERO);
        self.debt -= repaid;
        self.cash += net - repaid;
        self.units -= units;
        let fill = Fill {
            date,
            side: Side::Sell,
            units,
            price,
            value,
            commission,
            stamp_duty,
            slippage: to_cents(units * quoted) - value,
            // Zero repaid is written 0, not -0.
            debt_change: Decimal::ZERO - repaid,
            forced,
        };
        self.record(fill);
    }

    /// Books a fill whose cash, units and debt changes are already made.
    fn record(&mut self, fill: Fill) {
        self.remark();
        if self.open_trade().is_none() {
            self.trades.push(Trade::open(fill.date));
        }
        let closes = self.units.is_zero();
        let trade = self.open_trade().expect("a trade is open");
        match fill.side {
            Side::Buy => {
                trade.units_bought += fill.units;
                trade.bought += fill.value;
                trade.bought_at += fill.units * fill.price;
            }
            Side::Sell => {
                trade.units_sold += fill.units;
                trade.sold += fill.value;
                trade.sold_at += fill.units * fill.price;
            }
        }
        trade.fees += fill.fees();
        trade.slippage += fill.slippage;
        if closes {
            trade.exit = Some(fill.date);
            trade.forced_exit = fill.forced;
        }
        self.fills.push(fill);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::tests::Amounts;

    #[test]
    fn bounded_agrees_with_comparing_to_max_money() {
        let max = MAX_MONEY;
        let tenth = dec!(0.1);
        let mut cases = vec![
            Decimal::ZERO,
            max,
            -max,
            Decimal::MAX,
            Decimal::MIN,
            dec!(0.0000000000000000000000000001),
        ];
        // Just under, at and over the bound at every scale, and a spread of magnitudes.
        for scale in 0..=28u32 {
            let step = Decimal::new(1, scale);
            for amount in [max - step, max + step] {
                cases.push(amount);
            }
            // The bound itself written with up to 8 decimals (more would not fit 96 bits).
            let mut rescaled = max;
            rescaled.rescale(scale.min(8));
            cases.push(rescaled);
        }
        let mut amount = dec!(123456.789);
        for _ in 0..60 {
            cases.push(amount);
            cases.push(-amount);
            amount = amount.checked_mul(Decimal::TEN).unwrap_or(amount * tenth);
        }
        for amount in cases {
            assert_eq!(
                bounded(amount, "x").is_ok(),
                amount <= max,
                "{amount} (scale {})",
                amount.scale()
            );
        }
    }

    #[test]
    fn integer_mark_equals_decimal_arithmetic() {
        let costs = CostModel::free();
        let margin = MarginTerms::none();
        let mut amounts = Amounts(0x9e37_79b9_7f4a_7c15);
        let mut integer_marks = 0;
        for _ in 0..200_000 {
            let mut account = Account::new(amounts.amount(), &costs, &margin, Decimal::ONE);
            account.units = amounts.amount();
            account.debt = amounts.amount();
            account.mark = Mark::of(account.cash, account.units, account.debt);
            let price = amounts.amount();
            let by_decimal = account.equity_in_decimal(price);
            if let Some(by_integers) = account.mark.equity(price) {
                integer_marks += 1;
                // Same bits: mantissa, scale and sign, zeros included.
                assert_eq!(
                    by_integers.map(|e| e.decimal().serialize()),
                    by_decimal.map(|e| e.serialize()),
                    "cash {} units {} debt {} price {price}",
                    account.cash,
                    account.units,
                    account.debt
                );
            }
        }
        // Both paths are exercised: the huge amounts fall back to Decimal.
        assert!(
            (60_000..190_000).contains(&integer_marks),
            "{integer_marks}"
        );
        // Real amounts (up to MAX_MONEY, 8 decimals between a price and the units) never fall
        // back.
        let real = Mark::of(MAX_MONEY, dec!(1000000000000000.0000), MAX_MONEY);
        assert!(real.equity(dec!(99999.9999)).is_some());
    }

    #[test]
    fn an_equity_of_exactly_zero_has_decimal_s_sign_and_scale() {
        // Holdings equal to the debt to the last digit, at scales a random draw never pairs
        // (the random amounts above never cancel exactly); the first case takes rust_decimal's
        // wide path (a mantissa over 2^64). Decimal gives +0 at the larger scale on each; the
        // mark leaves such a zero to Decimal, and must agree.
        let (costs, margin) = (CostModel::free(), MarginTerms::none());
        for (cash, units, price, debt) in [
            (dec!(0), dec!(1.0000000000), dec!(1.0000000000), dec!(1)),
            (dec!(0), dec!(2), dec!(1.5), dec!(3.000)),
            (dec!(0.5), dec!(1), dec!(0.5), dec!(1)),
            (
                dec!(0),
                dec!(1000000000),
                dec!(200000.0000000000),
                dec!(200000000000000),
            ),
            (
                dec!(0),
                dec!(3),
                dec!(7),
                dec!(21.0000000000000000000000000),
            ),
        ] {
            let mut account = Account::new(Decimal::ONE, &costs, &margin, Decimal::ONE);
            (account.cash, account.units, account.debt) = (cash, units, debt);
            account.mark = Mark::of(cash, units, debt);
            let by_decimal = account.equity_in_decimal(price).expect("in range");
            assert!(by_decimal.is_zero());
            if let Some(by_integers) = account.mark.equity(price) {
                assert_eq!(
                    by_integers.map(|e| e.decimal().serialize()),
                    Ok(by_decimal.serialize()),
                    "cash {cash} units {units} price {price} debt {debt}"
                );
            }
        }
    }
}
