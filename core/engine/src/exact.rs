//! A `Decimal`'s value as the integers it is made of, for the arithmetic the day loop does
//! every day of every run.
//!
//! A `Decimal` is a fixed-point number whose point is kept per value: an integer mantissa under
//! 2^96 and a scale of 0 to 28 decimals, the value mantissa x 10^-scale. [`Exact`] holds the same
//! integers and adds and multiplies them in 128-bit integers with `rust_decimal`'s rules, exactly,
//! answering None wherever `rust_decimal` would have to round; [`Exact::to_f64`] converts them
//! as `Decimal::to_f64` converts their `Decimal`, the same bits.

use cyclebt_data::POWERS_OF_TEN;
use rust_decimal::Decimal;

/// An amount as the integers of its `Decimal`: magnitude x 10^-scale, and the sign (which a
/// zero has too: `rust_decimal` keeps it, and writes a negative zero `-0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exact {
    pub magnitude: u128,
    pub scale: u32,
    pub negative: bool,
}

/// 2^96: a `Decimal`'s mantissa is below it.
pub(crate) const MANTISSA_LIMIT: u128 = 1 << 96;

/// The largest scale of a `Decimal`.
const MAX_SCALE: u32 = 28;

/// `MAX_MONEY` (10^20) as a magnitude at scales 0 to 8: 10^(20 + scale). From scale 9 on
/// every 96-bit magnitude is within it.
const BOUNDS: [u128; 9] = {
    let mut bounds = [0; 9];
    let mut i = 0;
    while i < bounds.len() {
        bounds[i] = POWERS_OF_TEN[20] * POWERS_OF_TEN[i];
        i += 1;
    }
    bounds
};

/// `a x b`, None on overflow; one 64-bit multiplication when both fit 64 bits (the common
/// case: a day's price and units, an amount and a power of ten up to 10^19), where the
/// general 128-bit one takes several.
#[inline(always)]
fn multiply(a: u128, b: u128) -> Option<u128> {
    match (u64::try_from(a), u64::try_from(b)) {
        (Ok(a), Ok(b)) => Some(u128::from(a) * u128::from(b)),
        _ => a.checked_mul(b),
    }
}

impl Exact {
    pub const ZERO: Exact = Exact {
        magnitude: 0,
        scale: 0,
        negative: false,
    };

    #[inline(always)]
    pub fn of(amount: Decimal) -> Self {
        Exact {
            magnitude: amount.mantissa().unsigned_abs(),
            scale: amount.scale(),
            negative: amount.is_sign_negative(),
        }
    }

    pub fn is_zero(self) -> bool {
        self.magnitude == 0
    }

    /// The `Decimal` with these integers (the magnitude is below 2^96 and the scale at most 28
    /// wherever one is built).
    #[inline(always)]
    pub fn decimal(self) -> Decimal {
        Decimal::from_parts(
            self.magnitude as u32,
            (self.magnitude >> 32) as u32,
            (self.magnitude >> 64) as u32,
            self.negative,
            self.scale,
        )
    }

    /// Whether the amount is at most `MAX_MONEY` (10^20): the test `account::bounded` makes of
    /// every amount, and the mark of its own integers.
    #[inline(always)]
    pub fn bounded(self) -> bool {
        self.negative
            || BOUNDS
                .get(self.scale as usize)
                .is_none_or(|bound| self.magnitude <= *bound)
    }

    /// `self x other` as `rust_decimal` computes it (a zero factor gives a plain zero), or None
    /// where it would round.
    #[inline(always)]
    pub fn times(self, other: Exact) -> Option<Exact> {
        if self.is_zero() || other.is_zero() {
            return Some(Exact::ZERO);
        }
        let scale = self.scale + other.scale;
        let magnitude = multiply(self.magnitude, other.magnitude)?;
        (scale <= MAX_SCALE && magnitude < MANTISSA_LIMIT).then_some(Exact {
            magnitude,
            scale,
            negative: self.negative != other.negative,
        })
    }

    /// `self + other` (or `self - other`) as `rust_decimal` computes it: a zero operand gives the
    /// other (negated when subtracted) and the smaller scale is raised to the larger. None where
    /// it would round, and where two non-zero operands cancel: `rust_decimal` takes different
    /// internal paths by mantissa size and scale gap, and the sign of an exact zero should not
    /// rest on this module's reading of each, so `Decimal` itself computes it (rare: equity
    /// exactly zero).
    #[inline(always)]
    pub fn plus(self, other: Exact, subtract: bool) -> Option<Exact> {
        if self.is_zero() {
            let negate = subtract && !other.is_zero();
            return Some(Exact {
                negative: other.negative != negate,
                ..other
            });
        }
        if other.is_zero() {
            return Some(self);
        }
        let scale = self.scale.max(other.scale);
        // Both scales are at most 28 (Decimal's), so the power is in the table; the product may
        // not fit 128 bits, hence checked.
        let raise = |x: Exact| {
            multiply(x.magnitude, POWERS_OF_TEN[(scale - x.scale) as usize])
                .filter(|m| *m < MANTISSA_LIMIT)
        };
        let (a, b) = (raise(self)?, raise(other)?);
        let (magnitude, negative) = if subtract != (self.negative != other.negative) {
            if a == b {
                return None;
            } else if a > b {
                (a - b, self.negative)
            } else {
                (b - a, !self.negative)
            }
        } else {
            (a + b, self.negative)
        };
        (magnitude < MANTISSA_LIMIT).then_some(Exact {
            magnitude,
            scale,
            negative,
        })
    }

    /// [`cyclebt_data::decimal_to_f64`] of [`Exact::decimal`], from the integers themselves:
    /// the mark of a run that keeps no ledger converts each day's equity without building the
    /// `Decimal` (which a ledger run's mark builds, and converts later: the same bits).
    #[inline(always)]
    pub fn to_f64(self) -> f64 {
        cyclebt_data::parts_to_f64(self.magnitude, self.scale, self.negative, || self.decimal())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A generator of amounts of every kind the mark meets and several it should never meet:
    /// zeros of any scale and sign, small and huge mantissas, scales 0 to 28, out of range or
    /// not.
    pub(crate) struct Amounts(pub u64);

    impl Amounts {
        pub fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        pub fn amount(&mut self) -> Decimal {
            let kind = self.next() % 8;
            let mantissa: u128 = match kind {
                0 => 0,
                1..=3 => u128::from(self.next() % 100_000_000),
                4 | 5 => u128::from(self.next()),
                _ => (u128::from(self.next()) << 32 | u128::from(self.next())) % (1 << 96),
            };
            let scale = match self.next() % 4 {
                0 => 0,
                1 => 2,
                2 => (self.next() % 9) as u32,
                _ => (self.next() % 29) as u32,
            };
            // The account's amounts are never negative (its invariant); a zero may carry a
            // sign.
            let negative = mantissa == 0 && self.next().is_multiple_of(2);
            Decimal::from_parts(
                mantissa as u32,
                (mantissa >> 32) as u32,
                (mantissa >> 64) as u32,
                negative,
                scale,
            )
        }
    }
}
