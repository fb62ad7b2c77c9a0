//! Plugins evaluated in a child process (`--isolate`): whatever the plugin does there (abort,
//! exit, overflow its stack, dereference null, loop forever, allocate without bound), the host
//! sees a child that ended badly or ran out of time and reports a failed evaluation naming the
//! plugin, its path and the cause; the command carries on with the other strategies.
//!
//! Each range evaluation starts one child, the `cyclebt` binary run as `cyclebt
//! plugin-worker` (which calls [`serve`]), under `sh -c 'ulimit -v ...'` for the memory limit. The request goes down its
//! stdin (the library's path, the params, the first day, then the history: date codes, every
//! field column and the named series the plugin reads, as little-endian numbers); the values
//! come back on stdout, or `day<TAB>message` on stderr with exit code 3 for an error the
//! plugin reported. The host kills a child that has not answered within the time limit.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use cyclebt_data::{Field, History, MarketData, SeriesInfo};
use cyclebt_engine::{DayError, Signal, SignalError};
use rust_decimal::Decimal;

use crate::{Plugin, load, names_labels};

/// Exit code of a worker whose plugin reported an error (or panicked, caught by the SDK).
pub const WORKER_PLUGIN_ERROR: u8 = 3;

/// The limits a plugin child runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Isolation {
    /// The executable with the `plugin-worker` command (the `cyclebt` binary).
    pub worker: PathBuf,
    /// Wall time allowed for one window's evaluation.
    pub time_limit: Duration,
    /// Address space allowed to the child, in bytes.
    pub memory_limit: u64,
}

impl Isolation {
    /// Wall time allowed by default: a minute per window.
    pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);
    /// Address space allowed by default: 4 GiB.
    pub const DEFAULT_MEMORY_LIMIT: u64 = 4 << 30;

    /// The default limits, with the running executable as the worker (the `cyclebt` binary).
    pub fn for_this_process() -> std::io::Result<Isolation> {
        Ok(Isolation {
            worker: std::env::current_exe()?,
            time_limit: Self::DEFAULT_TIME_LIMIT,
            memory_limit: Self::DEFAULT_MEMORY_LIMIT,
        })
    }
}

/// A plugin signal whose every range evaluation runs in a child process.
pub struct IsolatedSignal {
    plugin: &'static Plugin,
    params: String,
    isolation: Isolation,
    describe: String,
    /// The labels the child sent with its last values, when the plugin names any.
    labels: Option<Vec<u32>>,
}

impl IsolatedSignal {
    /// `plugin` (already loaded and checked here, for its name and needs) with `params`.
    pub fn new(plugin: &'static Plugin, params: &toml::Table, isolation: Isolation) -> Self {
        IsolatedSignal {
            plugin,
            params: params.to_string(),
            isolation,
            describe: format!(
                "{} ({}, isolated)",
                plugin.info.name,
                plugin.info.path.display()
            ),
            labels: None,
        }
    }

    fn request(&self, history: History<'_>, first: usize) -> Vec<u8> {
        let mut out = Vec::new();
        put_bytes(&mut out, self.plugin.info.path.to_string_lossy().as_bytes());
        put_bytes(&mut out, self.params.as_bytes());
        put_u64(&mut out, first as u64);
        put_u64(&mut out, history.len() as u64);
        for code in history.date_codes() {
            out.extend_from_slice(&code.to_le_bytes());
        }
        for field in Field::ALL {
            for value in history.column(field) {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        let series: Vec<(&String, &[f64])> = self
            .plugin
            .info
            .requires_series
            .iter()
            .filter_map(|name| Some((name, history.series(name)?)))
            .collect();
        put_u64(&mut out, series.len() as u64);
        for (name, values) in series {
            put_bytes(&mut out, name.as_bytes());
            for value in values {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        out
    }
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u64(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

impl Signal for IsolatedSignal {
    fn name(&self) -> &str {
        &self.plugin.info.name
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn requires(&self) -> Vec<Field> {
        self.plugin.info.requires.clone()
    }

    fn requires_series(&self) -> Vec<String> {
        self.plugin.info.requires_series.clone()
    }

    fn take_labels(&mut self) -> Option<Vec<u32>> {
        self.labels.take()
    }

    fn evaluate(&mut self, history: History<'_>) -> Result<f64, SignalError> {
        let mut values = Vec::new();
        self.evaluate_days(history, history.today(), &mut values)
            .map_err(|e| e.error)?;
        Ok(values[0])
    }

    fn evaluate_days(
        &mut self,
        history: History<'_>,
        first: usize,
        out: &mut Vec<f64>,
    ) -> Result<(), DayError> {
        let fail = |day: usize, message: String| DayError {
            day,
            error: SignalError { message },
        };
        let days = history.len().saturating_sub(first);
        let answer = run_child(&self.isolation, self.request(history, first))
            .map_err(|cause| fail(first, format!("the isolated plugin's process {cause}")))?;
        // The values, then a label a day when the plugin names labels (the child loads the
        // same library, so it sends them exactly when this side expects them).
        let named = names_labels(self.plugin);
        let expected = days * 8 + if named { days * 4 } else { 0 };
        match answer {
            Answer::Values(bytes) if bytes.len() == expected => {
                let (values, labels) = bytes.split_at(days * 8);
                out.extend(
                    values
                        .chunks_exact(8)
                        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))),
                );
                self.labels = named.then(|| {
                    labels
                        .chunks_exact(4)
                        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
                        .collect()
                });
                Ok(())
            }
            Answer::Values(bytes) => Err(fail(
                first,
                format!(
                    "the isolated plugin's process exited 0 with {} bytes of values for {days} days (did the plugin call exit?)",
                    bytes.len()
                ),
            )),
            Answer::PluginError(day, message) => Err(fail(day, message)),
        }
    }
}

/// What a child answered.
enum Answer {
    /// Its stdout, when it exited 0.
    Values(Vec<u8>),
    /// The error its plugin reported, with the day.
    PluginError(usize, String),
}

/// Runs one worker on `request`; an error says how the child ended.
fn run_child(isolation: &Isolation, request: Vec<u8>) -> Result<Answer, String> {
    let kib = (isolation.memory_limit / 1024).max(1);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" plugin-worker"))
        .arg(&isolation.worker)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || {
        // A child that dies early closes its end; the failure shows in its status.
        let _ = stdin.write_all(&request);
    });
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let mut stderr = child.stderr.take().expect("piped");
    let error_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("could not be waited for: {e}"))?
        {
            break status;
        }
        if started.elapsed() > isolation.time_limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "did not answer within {} s (a hang?) and was killed",
                isolation.time_limit.as_secs_f64()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    let values = reader.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&error_reader.join().unwrap_or_default()).into_owned();
    let last = stderr.trim().lines().last().unwrap_or("").to_string();
    match (status.code(), signal_of(&status)) {
        (Some(0), _) => Ok(Answer::Values(values)),
        (Some(code), _) if code == i32::from(WORKER_PLUGIN_ERROR) => {
            let (day, message) = last.split_once('\t').unwrap_or(("0", &last));
            Ok(Answer::PluginError(
                day.parse().unwrap_or(0),
                message.to_string(),
            ))
        }
        (Some(code), _) => Err(format!("exited with code {code} (\"{last}\")")),
        (None, Some(signal)) => Err(format!(
            "was killed by signal {signal} ({}){}",
            match signal {
                6 => "SIGABRT: an abort, a stack overflow or a failed allocation",
                11 => "SIGSEGV: an invalid memory access",
                9 => "SIGKILL",
                _ => "see signal(7)",
            },
            if last.is_empty() {
                String::new()
            } else {
                format!(": \"{last}\"")
            }
        )),
        (None, None) => Err("ended without a code or a signal".into()),
    }
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(status)
}

#[cfg(not(unix))]
fn signal_of(_: &std::process::ExitStatus) -> Option<i32> {
    None
}

/// The worker's side: reads a request from `input`, evaluates the plugin in this process and
/// writes the values to `output`. An error the plugin reports is `Err((day, message))`; a
/// malformed request is `Err((0, ...))`.
pub fn serve(input: &mut dyn Read, output: &mut dyn Write) -> Result<(), (usize, String)> {
    let bad = |what: &str| (0, format!("malformed request from the host: {what}"));
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| bad(&e.to_string()))?;
    let mut cursor = Cursor(&bytes);
    let path = PathBuf::from(cursor.string().ok_or_else(|| bad("path"))?);
    let params: toml::Table = cursor
        .string()
        .ok_or_else(|| bad("params"))?
        .parse()
        .map_err(|_| bad("params"))?;
    let first = cursor.u64().ok_or_else(|| bad("first day"))? as usize;
    let len = cursor.u64().ok_or_else(|| bad("length"))? as usize;
    let dates = (0..len)
        .map(|_| cursor.i32().and_then(date_of_code))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("dates"))?;
    let columns = (0..Field::COUNT)
        .map(|_| cursor.f64s(len))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("columns"))?;
    let zeros = vec![Decimal::ZERO; len];
    let mut market = MarketData::from_columns(
        "isolated".into(),
        dates,
        columns,
        zeros.clone(),
        zeros,
        Vec::new(),
    );
    for _ in 0..cursor.u64().ok_or_else(|| bad("series count"))? {
        let name = cursor.string().ok_or_else(|| bad("series name"))?;
        let values = cursor.f64s(len).ok_or_else(|| bad("series values"))?;
        let info = SeriesInfo {
            name,
            unit: String::new(),
            description: String::new(),
        };
        market = market.with_series(info, values);
    }
    if len == 0 || first >= len {
        return Err(bad("empty range"));
    }
    let plugin = load(&path).map_err(|e| (first, e.to_string()))?;
    let mut signal = plugin
        .instantiate(&params)
        .map_err(|e| (first, e.to_string()))?;
    let mut values = Vec::new();
    signal
        .evaluate_days(market.history(len - 1), first, &mut values)
        .map_err(|e| (e.day, e.error.message))?;
    let mut answer = Vec::with_capacity(values.len() * 12);
    for value in values {
        answer.extend_from_slice(&value.to_le_bytes());
    }
    if names_labels(plugin) {
        for label in signal.take_labels().unwrap_or_default() {
            answer.extend_from_slice(&label.to_le_bytes());
        }
    }
    output
        .write_all(&answer)
        .map_err(|e| (first, format!("cannot answer the host: {e}")))
}

fn date_of_code(code: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        code / 10_000,
        (code / 100 % 100) as u32,
        (code % 100) as u32,
    )
}

/// Reads the request's little-endian numbers and length-prefixed strings in order.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn f64s(&mut self, n: usize) -> Option<Vec<f64>> {
        let bytes = self.take(n.checked_mul(8)?)?;
        Some(
            bytes
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        )
    }

    fn string(&mut self) -> Option<String> {
        let n = usize::try_from(self.u64()?).ok()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}
