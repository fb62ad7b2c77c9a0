//! Trading costs: broker commission with a minimum fee, slippage, and stamp duty from a
//! date-keyed schedule kept in data (`datasets/stamp_duty.toml`).
//!
//! Fees are charged in yuan rounded to the cent (half away from zero), as brokers' statements
//! show them. Transfer fees (过户费) are not modelled.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;

/// Rounds a money amount to the cent, half away from zero.
pub fn to_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

const BPS: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// Stamp duty rates in force from a date on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampDutyRate {
    /// First day the rates apply (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Day the change was announced, when known (on or before `from`); `cyclebt events`
    /// measures from the last close before it.
    pub announced: Option<NaiveDate>,
    /// Rate on the buyer, as a fraction of the traded value.
    pub buy: Decimal,
    /// Rate on the seller.
    pub sell: Decimal,
    /// Where the change is documented.
    #[serde(default)]
    pub note: String,
}

/// The stamp duty history: rates sorted by date; before the first entry no duty is charged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampDutySchedule {
    /// Entries in increasing date order.
    pub rate: Vec<StampDutyRate>,
}

impl StampDutySchedule {
    /// Parses `stamp_duty.toml`; rates must be in [0, 1), dates strictly increasing, and an
    /// announcement not after its change's first day. The error text carries line and column
    /// from the TOML parser where it has them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let schedule: StampDutySchedule = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, entry) in schedule.rate.iter().enumerate() {
            check_announced(entry.announced, entry.from)?;
            if i > 0 && entry.from <= schedule.rate[i - 1].from {
                return Err(format!(
                    "rate from {} is not after the one before it",
                    entry.from
                ));
            }
            for rate in [entry.buy, entry.sell] {
                if rate < Decimal::ZERO || rate >= Decimal::ONE {
                    return Err(format!("rate {rate} from {} is outside [0, 1)", entry.from));
                }
            }
        }
        Ok(schedule)
    }

    /// (buy, sell) rates in force on `date`.
    pub fn rates_on(&self, date: NaiveDate) -> (Decimal, Decimal) {
        let i = self.rate.partition_point(|r| r.from <= date);
        i.checked_sub(1)
            .map_or((Decimal::ZERO, Decimal::ZERO), |i| {
                (self.rate[i].buy, self.rate[i].sell)
            })
    }
}

/// A dated rule's announcement must come on or before the day it applies from.
pub(crate) fn check_announced(announced: Option<NaiveDate>, from: NaiveDate) -> Result<(), String> {
    match announced {
        Some(day) if day > from => Err(format!(
            "the rule from {from} is announced on {day}, after it applies"
        )),
        _ => Ok(()),
    }
}

/// Which side of a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Buying: pays the price plus slippage.
    Buy,
    /// Selling: receives the price minus slippage.
    Sell,
}

/// The cost model of one strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostModel {
    /// Commission in basis points of traded value.
    pub commission_bps: Decimal,
    /// Smallest commission charged on a trade, in yuan.
    pub min_commission: Decimal,
    /// Price concession in basis points: buys fill this much above the price, sells below.
    pub slippage_bps: Decimal,
    /// Stamp duty history; an empty schedule charges none.
    pub stamp_duty: StampDutySchedule,
}

impl CostModel {
    /// No costs at all.
    pub fn free() -> Self {
        CostModel {
            commission_bps: Decimal::ZERO,
            min_commission: Decimal::ZERO,
            slippage_bps: Decimal::ZERO,
            stamp_duty: StampDutySchedule::default(),
        }
    }

    /// The costs in words: "commission 2.5 bps (at least 5 yuan), slippage 5 bps, stamp duty".
    pub fn describe(&self) -> String {
        format!(
            "commission {} bps (at least {} yuan), slippage {} bps, {}",
            self.commission_bps.normalize(),
            self.min_commission.normalize(),
            self.slippage_bps.normalize(),
            if self.stamp_duty.rate.is_empty() {
                "no stamp duty"
            } else {
                "stamp duty of the day"
            }
        )
    }

    /// The price a trade at `price` actually gets.
    pub fn fill_price(&self, price: Decimal, side: Side) -> Decimal {
        let concession = price * self.slippage_bps / BPS;
        match side {
            Side::Buy => price + concession,
            Side::Sell => price - concession,
        }
    }

    /// Commission plus stamp duty, in cents, on a trade of `value` yuan on `date`.
    pub fn fees(&self, value: Decimal, side: Side, date: NaiveDate) -> Fees {
        let commission = to_cents((value * self.commission_bps / BPS).max(self.min_commission));
        let (buy, sell) = self.stamp_duty.rates_on(date);
        let rate = match side {
            Side::Buy => buy,
            Side::Sell => sell,
        };
        Fees {
            commission,
            stamp_duty: to_cents(value * rate),
        }
    }
}

/// Fees of one trade, in yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fees {
    /// Broker commission.
    pub commission: Decimal,
    /// Stamp duty.
    pub stamp_duty: Decimal,
}

impl Fees {
    /// Commission plus stamp duty.
    pub fn total(&self) -> Decimal {
        self.commission + self.stamp_duty
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_rule_announced_after_it_applies_is_refused() {
        let late = "[[rate]]\nfrom = \"2023-08-28\"\nannounced = \"2023-08-29\"\nbuy = \"0\"\nsell = \"0.0005\"\n";
        let error = StampDutySchedule::parse(late).unwrap_err();
        assert!(
            error.contains("announced on 2023-08-29, after it applies"),
            "{error}"
        );
        let margin = "[[initial_ratio]]\nfrom = \"2026-01-19\"\nannounced = \"2026-01-20\"\nratio = \"1.0\"\n";
        assert!(crate::MarginSchedule::parse(margin).is_err());
        let on_time = late.replace("2023-08-29", "2023-08-27");
        let schedule = StampDutySchedule::parse(&on_time).unwrap();
        assert_eq!(schedule.rate[0].announced, Some(day("2023-08-27")));
    }

    #[test]
    fn schedule_picks_the_rate_in_force() {
        let schedule = StampDutySchedule::parse(
            r#"
            [[rate]]
            from = "2008-04-24"
            buy = "0.001"
            sell = "0.001"
            [[rate]]
            from = "2008-09-19"
            buy = "0"
            sell = "0.001"
            "#,
        )
        .unwrap();
        assert_eq!(schedule.rates_on(day("2008-01-01")), (dec!(0), dec!(0)));
        assert_eq!(
            schedule.rates_on(day("2008-04-24")),
            (dec!(0.001), dec!(0.001))
        );
        assert_eq!(
            schedule.rates_on(day("2008-09-18")),
            (dec!(0.001), dec!(0.001))
        );
        assert_eq!(schedule.rates_on(day("2008-09-19")), (dec!(0), dec!(0.001)));
    }

    #[test]
    fn minimum_commission_and_rounding_to_the_cent() {
        let costs = CostModel {
            commission_bps: dec!(2.5),
            min_commission: dec!(5),
            slippage_bps: dec!(10),
            stamp_duty: StampDutySchedule::default(),
        };
        // 10,000 yuan at 2.5 bps is 2.50 yuan: the 5-yuan minimum applies.
        assert_eq!(
            costs
                .fees(dec!(10000), Side::Buy, day("2020-01-02"))
                .commission,
            dec!(5)
        );
        // 1,234,567.89 yuan at 2.5 bps is 308.6419725 yuan: 308.64.
        assert_eq!(
            costs
                .fees(dec!(1234567.89), Side::Buy, day("2020-01-02"))
                .commission,
            dec!(308.64)
        );
        assert_eq!(costs.fill_price(dec!(3000), Side::Buy), dec!(3003));
        assert_eq!(costs.fill_price(dec!(3000), Side::Sell), dec!(2997));
    }
}
