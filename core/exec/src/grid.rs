//! Parameter grids: a strategy file's `[sweep]` table, with `--param` overrides, expanded into
//! one strategy file per combination.
//!
//! ```toml
//! [sweep]
//! "trend.fast" = [5, 10, 15]                      # a signal's parameter: "<signal id>.<param>"
//! "trend.slow" = { from = 20, to = 200, step = 20 }  # inclusive range
//! "sizing.half.fraction" = [0.25, 0.5]            # "sizing.<name>.<field>"
//! "costs.slippage_bps" = [0, 5, 10]               # "costs.<field>", "execution.<field>",
//!                                                 # "leverage.<field>", "capital",
//!                                                 # "strategy_plugin.<param>"
//! ```
//!
//! Dimensions are ordered by key; combination `i` counts in mixed radix with the last
//! dimension fastest, so the order of combinations is fixed by the grid alone.

use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use toml::{Table, Value};

/// A grid that cannot be used: the message names the key and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GridError(pub String);

/// Most combinations a grid may have: a guard against a range with a tiny step.
pub const MAX_COMBINATIONS: usize = 10_000_000;

/// One swept parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// Where the value goes (`trend.fast`).
    pub key: String,
    /// Its values, in order.
    pub values: Vec<Value>,
}

/// The swept parameters, ordered by key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    /// The dimensions.
    pub dims: Vec<Dimension>,
}

impl Grid {
    /// Splits a strategy file into its text without `[sweep]` (as a table) and the grid its
    /// `[sweep]` declares (empty without one).
    pub fn from_file(text: &str) -> Result<(Table, Grid), GridError> {
        let mut table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| GridError(e.message().to_string()))?;
        let mut grid = Grid::default();
        match table.remove("sweep") {
            None => {}
            Some(Value::Table(sweep)) => {
                for (key, value) in sweep {
                    let values = values_of(&key, value)?;
                    grid.set(key, values);
                }
            }
            Some(_) => return Err(GridError("[sweep]: expected a table".into())),
        }
        Ok((table, grid))
    }

    /// Sets a dimension, replacing one with the same key.
    pub fn set(&mut self, key: String, values: Vec<Value>) {
        match self.dims.binary_search_by(|d| d.key.cmp(&key)) {
            Ok(i) => self.dims[i].values = values,
            Err(i) => self.dims.insert(i, Dimension { key, values }),
        }
    }

    /// Number of combinations (1 for an empty grid: the file as written).
    pub fn len(&self) -> usize {
        self.dims.iter().map(|d| d.values.len()).product()
    }

    /// Whether the grid has no combination (a dimension without values).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The position of each dimension's value in combination `index`.
    pub fn digits(&self, index: usize) -> Vec<usize> {
        let mut rest = index;
        let mut digits: Vec<usize> = self
            .dims
            .iter()
            .rev()
            .map(|d| {
                let digit = rest % d.values.len();
                rest /= d.values.len();
                digit
            })
            .collect();
        digits.reverse();
        digits
    }

    /// The values of combination `index`, one per dimension.
    pub fn combination(&self, index: usize) -> Vec<&Value> {
        self.dims
            .iter()
            .zip(self.digits(index))
            .map(|(d, digit)| &d.values[digit])
            .collect()
    }

    /// Checks every key names something in `base` and the grid is not too large.
    pub fn check(&self, base: &Table) -> Result<(), GridError> {
        if self.dims.iter().any(|d| d.values.is_empty()) {
            return Err(GridError("a swept parameter has no values".into()));
        }
        let size = self
            .dims
            .iter()
            .try_fold(1usize, |n, d| n.checked_mul(d.values.len()))
            .filter(|n| *n <= MAX_COMBINATIONS);
        if size.is_none() {
            return Err(GridError(format!(
                "the grid has more than {MAX_COMBINATIONS} combinations"
            )));
        }
        let mut copy = base.clone();
        for d in &self.dims {
            place(&mut copy, &d.key, d.values[0].clone())?;
        }
        Ok(())
    }

    /// The strategy file of combination `index`: `base` with each swept value in place.
    pub fn apply(&self, base: &Table, index: usize) -> Result<String, GridError> {
        let mut table = base.clone();
        for (d, value) in self.dims.iter().zip(self.combination(index)) {
            place(&mut table, &d.key, value.clone())?;
        }
        toml::to_string(&table).map_err(|e| GridError(e.to_string()))
    }
}

/// A value as a CSV cell or a label: numbers and booleans as TOML writes them, strings bare.
pub fn label(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses a `--param KEY=VALUES` argument: `KEY=FROM:TO:STEP` (inclusive), `KEY=A,B,C` or
/// `KEY=A`; each value as TOML (a number, a boolean), else as a string.
pub fn parse_param(arg: &str) -> Result<(String, Vec<Value>), GridError> {
    let (key, spec) = arg.split_once('=').ok_or_else(|| {
        GridError(format!(
            "--param {arg}: expected KEY=FROM:TO:STEP, KEY=A,B,C or KEY=A"
        ))
    })?;
    let key = key.trim().to_string();
    let parts: Vec<Value> = if spec.contains(':') {
        spec.split(':').map(scalar).collect()
    } else {
        spec.split(',').map(scalar).collect()
    };
    let values = if spec.contains(':') {
        let [from, to, step] = <[Value; 3]>::try_from(parts)
            .map_err(|_| GridError(format!("--param {arg}: a range is FROM:TO:STEP")))?;
        range(&key, &from, &to, &step)?
    } else {
        parts
    };
    Ok((key, values))
}

fn scalar(text: &str) -> Value {
    let text = text.trim();
    format!("v = {text}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(text.to_string()))
}

/// A `[sweep]` entry's values: an array, an inclusive `{ from, to, step }` range, or one value.
fn values_of(key: &str, value: Value) -> Result<Vec<Value>, GridError> {
    match value {
        Value::Array(values) => Ok(values),
        Value::Table(mut range_table) => {
            let mut take = |name: &str| {
                range_table.remove(name).ok_or_else(|| {
                    GridError(format!(
                        "[sweep] \"{key}\": a range needs `from`, `to` and `step`"
                    ))
                })
            };
            let (from, to, step) = (take("from")?, take("to")?, take("step")?);
            if let Some(extra) = range_table.keys().next() {
                return Err(GridError(format!(
                    "[sweep] \"{key}\": unknown key `{extra}` in a range; expected from, to, step"
                )));
            }
            range(key, &from, &to, &step)
        }
        single => Ok(vec![single]),
    }
}

/// `from, from + step, ...` up to and including `to`: integers when all three are, else
/// decimals computed exactly (0.1 steps do not drift) and written as floats.
fn range(key: &str, from: &Value, to: &Value, step: &Value) -> Result<Vec<Value>, GridError> {
    let bad = |why: &str| GridError(format!("\"{key}\": {why}"));
    if let (Value::Integer(from), Value::Integer(to), Value::Integer(step)) = (from, to, step) {
        if *step <= 0 || from > to {
            return Err(bad("a range needs step > 0 and from <= to"));
        }
        if (to - from) / step >= MAX_COMBINATIONS as i64 {
            return Err(bad("the range has too many values"));
        }
        return Ok((*from..=*to)
            .step_by(*step as usize)
            .map(Value::Integer)
            .collect());
    }
    let exact = |v: &Value| match v {
        Value::Integer(i) => Ok(Decimal::from(*i)),
        Value::Float(f) => Decimal::from_str(&f.to_string())
            .map_err(|_| bad("range bounds must be finite numbers")),
        _ => Err(bad("range bounds and step must be numbers")),
    };
    let (from, to, step) = (exact(from)?, exact(to)?, exact(step)?);
    if step <= Decimal::ZERO || from > to {
        return Err(bad("a range needs step > 0 and from <= to"));
    }
    if (to - from) / step >= Decimal::from(MAX_COMBINATIONS) {
        return Err(bad("the range has too many values"));
    }
    let mut values = Vec::new();
    let mut value = from;
    while value <= to {
        values.push(Value::Float(value.to_f64().unwrap_or(f64::NAN)));
        value += step;
    }
    Ok(values)
}

/// Puts `value` where `key` says in a strategy file's table.
fn place(table: &mut Table, key: &str, value: Value) -> Result<(), GridError> {
    let unknown = |why: String| GridError(format!("swept parameter \"{key}\": {why}"));
    let parts: Vec<&str> = key.split('.').collect();
    let slot: &mut Table = match parts.as_slice() {
        ["capital"] => table,
        [section @ ("costs" | "execution" | "leverage"), _] => {
            if *section == "leverage" && !table.contains_key("leverage") {
                return Err(unknown("the strategy has no [leverage] table".into()));
            }
            sub_table(table, section).map_err(&unknown)?
        }
        ["sizing", name, _] => {
            let found = array_entry(table, "sizing", "name", name);
            found.ok_or_else(|| unknown(format!("no [[sizing]] named \"{name}\"")))?
        }
        ["strategy_plugin", _] => {
            let plugin = match table.get_mut("strategy_plugin") {
                Some(Value::Table(plugin)) => plugin,
                _ => return Err(unknown("the strategy has no [strategy_plugin]".into())),
            };
            sub_table(plugin, "params").map_err(&unknown)?
        }
        [id, _] => {
            let signal = array_entry(table, "signal", "id", id)
                .ok_or_else(|| unknown(format!("no [[signal]] with id \"{id}\"")))?;
            sub_table(signal, "params").map_err(&unknown)?
        }
        _ => {
            return Err(unknown(
                "expected <signal id>.<param>, sizing.<name>.<field>, costs.<field>, execution.<field>, leverage.<field>, strategy_plugin.<param> or capital".into(),
            ));
        }
    };
    let leaf = parts.last().expect("split gives one part at least");
    slot.insert((*leaf).to_string(), value);
    Ok(())
}

fn sub_table<'t>(table: &'t mut Table, name: &str) -> Result<&'t mut Table, String> {
    match table
        .entry(name)
        .or_insert_with(|| Value::Table(Table::new()))
    {
        Value::Table(sub) => Ok(sub),
        _ => Err(format!("`{name}` is not a table")),
    }
}

fn array_entry<'t>(
    table: &'t mut Table,
    array: &str,
    field: &str,
    name: &str,
) -> Option<&'t mut Table> {
    match table.get_mut(array) {
        Some(Value::Array(entries)) => entries.iter_mut().find_map(|e| match e {
            Value::Table(t) if t.get(field).and_then(Value::as_str) == Some(name) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_inclusive_and_exact() {
        let (_, v) = parse_param("trend.fast=5:50:5").unwrap();
        assert_eq!(v.len(), 10);
        assert_eq!(v[9], Value::Integer(50));
        let (_, v) = parse_param("sizing.half.fraction=0.1:0.3:0.1").unwrap();
        assert_eq!(
            v,
            vec![Value::Float(0.1), Value::Float(0.2), Value::Float(0.3)]
        );
        let (_, v) = parse_param("x=1,2.5,next_close").unwrap();
        assert_eq!(
            v,
            vec![
                Value::Integer(1),
                Value::Float(2.5),
                Value::String("next_close".into())
            ]
        );
        assert!(parse_param("x=5:1:1").is_err());
        assert!(parse_param("x").is_err());
    }

    #[test]
    fn combinations_count_with_the_last_dimension_fastest() {
        let text = r#"
name = "s"
[[signal]]
id = "trend"
builtin = "sma_cross"
params = { fast = 20, slow = 60 }
[[sizing]]
name = "full"
rule = "full"
[sweep]
"trend.fast" = [5, 10]
"trend.slow" = { from = 20, to = 60, step = 20 }
"#;
        let (base, grid) = Grid::from_file(text).unwrap();
        assert!(!base.contains_key("sweep"));
        grid.check(&base).unwrap();
        assert_eq!(grid.len(), 6);
        let values: Vec<String> = grid.combination(4).into_iter().map(label).collect();
        assert_eq!(values, ["10", "40"]);
        let file: Table = grid.apply(&base, 4).unwrap().parse().unwrap();
        let params = &file["signal"].as_array().unwrap()[0]["params"];
        assert_eq!(params["fast"].as_integer(), Some(10));
        assert_eq!(params["slow"].as_integer(), Some(40));

        let mut wrong = grid.clone();
        wrong.set("trnd.fast".into(), vec![Value::Integer(1)]);
        let error = wrong.check(&base).unwrap_err().0;
        assert!(error.contains("no [[signal]] with id \"trnd\""), "{error}");
    }
}
