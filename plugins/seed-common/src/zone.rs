//! The previous bear market's cost zone (seed 002, 盈亏平衡资金): the price band where the
//! capital trapped in the last bear market traded most, and where it sells to break even when
//! the next bull market brings the index back.
//!
//! As seen on day `t`:
//! - the trough is the lowest close of the last `trough_days` days (up to `t`);
//! - the previous peak is the highest close of the `peak_days` days before the trough;
//! - the bear market is peak..=trough, and counts only if it fell at least `min_drawdown`;
//! - its amount-weighted close distribution is taken in `bins` equal-width price bins between
//!   its lowest and highest close (a volume profile);
//! - the zone starts at the heaviest bin and grows one bin at a time towards the heavier
//!   neighbour until it holds `zone_mass` of the bear market's amount (a "value area").

use serde::{Deserialize, Serialize};

use crate::sliding::{Extreme, SlidingExtreme};

/// Parameters of the cost zone.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoneParams {
    /// Look-back for the trough, in trading days (default 500, about two years).
    pub trough_days: usize,
    /// Look-back from the trough for the previous peak (default 750, about three years).
    pub peak_days: usize,
    /// Smallest fall from peak to trough that makes a bear market (default 0.20).
    pub min_drawdown: f64,
    /// Price bins of the volume profile (default 40).
    pub bins: usize,
    /// Share of the bear market's amount the zone holds (default 0.30).
    pub zone_mass: f64,
}

impl Default for ZoneParams {
    fn default() -> Self {
        ZoneParams {
            trough_days: 500,
            peak_days: 750,
            min_drawdown: 0.20,
            bins: 40,
            zone_mass: 0.30,
        }
    }
}

impl ZoneParams {
    /// Checks the parameters make sense.
    pub fn check(&self) -> Result<(), String> {
        if self.trough_days == 0 || self.peak_days == 0 || self.bins == 0 {
            return Err("trough_days, peak_days and bins must be positive".into());
        }
        if !((0.0..1.0).contains(&self.min_drawdown)
            && self.zone_mass > 0.0
            && self.zone_mass <= 1.0)
        {
            return Err("min_drawdown must be in [0, 1) and zone_mass in (0, 1]".into());
        }
        Ok(())
    }
}

/// A cost zone and the bear market it comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone {
    /// Lower edge (index points).
    pub low: f64,
    /// Upper edge.
    pub high: f64,
    /// Day of the previous peak.
    pub peak: usize,
    /// Day of the trough.
    pub trough: usize,
}

impl Zone {
    /// Whether `price` lies inside the zone.
    pub fn contains(&self, price: f64) -> bool {
        price >= self.low && price <= self.high
    }
}

/// Index of the extreme finite value of `values[range]` (first on ties), by `better`. The
/// per-day definition; [`ZoneCache`] finds the same index with [`SlidingExtreme`].
fn extreme(
    values: &[f64],
    range: std::ops::Range<usize>,
    better: impl Fn(f64, f64) -> bool,
) -> Option<usize> {
    let mut best: Option<usize> = None;
    for i in range {
        let v = values[i];
        if v.is_finite() && best.is_none_or(|b| better(v, values[b])) {
            best = Some(i);
        }
    }
    best
}

/// The peak and trough of the bear market seen on day `t`, or None when there is none.
pub fn bear_market(close: &[f64], t: usize, p: &ZoneParams) -> Option<(usize, usize)> {
    let trough = extreme(
        close,
        (t + 1).saturating_sub(p.trough_days)..t + 1,
        |a, b| a < b,
    )?;
    let peak = extreme(close, trough.saturating_sub(p.peak_days)..trough, |a, b| {
        a > b
    })?;
    (close[trough] <= close[peak] * (1.0 - p.min_drawdown)).then_some((peak, trough))
}

/// The cost zone of the bear market `peak..=trough`.
pub fn cost_zone(
    close: &[f64],
    amount: &[f64],
    peak: usize,
    trough: usize,
    p: &ZoneParams,
) -> Option<Zone> {
    let days = peak..trough + 1;
    let lowest = close[trough];
    let highest = close[peak];
    let width = (highest - lowest) / p.bins as f64;
    if width <= 0.0 {
        return None;
    }
    let mut profile = vec![0.0; p.bins];
    for i in days {
        let (price, traded) = (close[i], amount[i]);
        if price.is_finite() && traded.is_finite() && traded > 0.0 {
            let bin = (((price - lowest) / width) as usize).min(p.bins - 1);
            profile[bin] += traded;
        }
    }
    let total: f64 = profile.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let heaviest = extreme(&profile, 0..p.bins, |a, b| a > b)?;
    let (mut from, mut to) = (heaviest, heaviest);
    let mut held = profile[heaviest];
    while held < p.zone_mass * total && (from > 0 || to + 1 < p.bins) {
        let below = if from > 0 {
            profile[from - 1]
        } else {
            f64::NEG_INFINITY
        };
        let above = if to + 1 < p.bins {
            profile[to + 1]
        } else {
            f64::NEG_INFINITY
        };
        if above >= below {
            to += 1;
            held += above;
        } else {
            from -= 1;
            held += below;
        }
    }
    Some(Zone {
        low: lowest + from as f64 * width,
        high: lowest + (to + 1) as f64 * width,
        peak,
        trough,
    })
}

/// Cost zones of consecutive days: the bear market found with sliding windows (O(1) amortised
/// per day where [`bear_market`] rescans `trough_days + peak_days` rows; the same peak and
/// trough, ties included), and the last zone reused while the bear market is the same.
pub struct ZoneCache<'a> {
    close: &'a [f64],
    amount: &'a [f64],
    params: &'a ZoneParams,
    troughs: SlidingExtreme<'a>,
    peaks: SlidingExtreme<'a>,
    last: Option<((usize, usize), Option<Zone>)>,
}

impl<'a> ZoneCache<'a> {
    /// Zones over `close` and `amount` with parameters `params`.
    pub fn new(close: &'a [f64], amount: &'a [f64], params: &'a ZoneParams) -> Self {
        ZoneCache {
            close,
            amount,
            params,
            troughs: SlidingExtreme::finite(close, Extreme::Lowest),
            peaks: SlidingExtreme::finite(close, Extreme::Highest),
            last: None,
        }
    }

    /// `bear_market(close, t, params)`. Fastest when asked for days in increasing order (the
    /// trough, and so the peak's window, never moves back then).
    pub fn bear_market(&mut self, t: usize) -> Option<(usize, usize)> {
        let p = self.params;
        let trough = self
            .troughs
            .index((t + 1).saturating_sub(p.trough_days)..t + 1)?;
        let peak = self
            .peaks
            .index(trough.saturating_sub(p.peak_days)..trough)?;
        (self.close[trough] <= self.close[peak] * (1.0 - p.min_drawdown)).then_some((peak, trough))
    }

    /// The zone seen on day `t`.
    pub fn on(&mut self, t: usize) -> Option<Zone> {
        let bear = self.bear_market(t)?;
        match self.last {
            Some((seen, zone)) if seen == bear => zone,
            _ => {
                let zone = cost_zone(self.close, self.amount, bear.0, bear.1, self.params);
                self.last = Some((bear, zone));
                zone
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_is_where_the_bear_market_traded_most() {
        // Peak 200 on day 0, a long heavy stretch at 150-152, trough 100 on the last day.
        let mut close = vec![200.0];
        let mut amount = vec![1.0];
        for i in 0..20 {
            close.push(150.0 + (i % 3) as f64);
            amount.push(100.0);
        }
        close.extend([130.0, 110.0, 100.0]);
        amount.extend([1.0, 1.0, 1.0]);
        let p = ZoneParams {
            bins: 20,
            zone_mass: 0.5,
            ..ZoneParams::default()
        };
        let t = close.len() - 1;
        let (peak, trough) = bear_market(&close, t, &p).unwrap();
        assert_eq!((peak, trough), (0, t));
        let zone = cost_zone(&close, &amount, peak, trough, &p).unwrap();
        // Bins are 5 points wide from 100: the 150-152 stretch sits in 150..155.
        assert_eq!((zone.low, zone.high), (150.0, 155.0));
        assert!(zone.contains(151.0) && !zone.contains(160.0));
    }

    #[test]
    fn no_bear_market_without_a_big_enough_fall() {
        let close = [100.0, 95.0, 90.0];
        assert_eq!(bear_market(&close, 2, &ZoneParams::default()), None);
    }
}
