//! A catalogue of malformed inputs. Each one, fed to the CLI, must give exit code 2 and a
//! message naming the file (with line and column where there is one) and what was expected;
//! none may panic.

use std::path::Path;

use crate::util::{cyclebt, stderr};

const HEADER: &str = "date,open,close,high,low,volume,amount,turn,pctChg\n";
const GOOD_ROW: &str = "2020-01-02,10,11,12,9,100,1000,0.01,0\n";

const MANIFEST: &str = r#"
name = "bad"
[index]
file = "raw/index.csv"
format = "baostock"
"#;

struct Case {
    name: &'static str,
    index: Vec<u8>,
    manifest: &'static str,
    expected: &'static [&'static str],
}

fn index(rows: &str) -> Vec<u8> {
    format!("{HEADER}{GOOD_ROW}{rows}").into_bytes()
}

fn catalogue() -> Vec<Case> {
    vec![
        Case {
            name: "truncated row",
            index: index("2020-01-03,11,12,13\n"),
            manifest: MANIFEST,
            expected: &["index.csv:3", "truncated row: 4 fields; expected 9"],
        },
        Case {
            name: "text in a number",
            index: index("2020-01-03,11,12,13,10,lots,1000,0.01,0\n"),
            manifest: MANIFEST,
            expected: &[
                "index.csv:3: column 6 (volume)",
                "expected a finite number, found \"lots\"",
            ],
        },
        Case {
            name: "NaN price",
            index: index("2020-01-03,11,NaN,13,10,100,1000,0.01,0\n"),
            manifest: MANIFEST,
            expected: &[
                "index.csv:3: column 3 (close)",
                "expected a positive price, found \"NaN\"",
            ],
        },
        Case {
            name: "infinite amount",
            index: index("2020-01-03,11,12,13,10,100,inf,0.01,0\n"),
            manifest: MANIFEST,
            expected: &[
                "index.csv:3: column 7 (amount)",
                "expected a finite number, found \"inf\"",
            ],
        },
        Case {
            name: "duplicate date",
            index: index("2020-01-02,11,12,13,10,100,1000,0.01,0\n"),
            manifest: MANIFEST,
            expected: &["index.csv:3", "duplicate date 2020-01-02 (also on line 2)"],
        },
        Case {
            name: "unsorted dates",
            index: index("2020-01-01,11,12,13,10,100,1000,0.01,0\n"),
            manifest: MANIFEST,
            expected: &[
                "index.csv:3",
                "date 2020-01-01 comes after 2020-01-02",
                "increasing order",
            ],
        },
        Case {
            name: "high below low",
            index: index("2020-01-03,11,12,9,13,100,1000,0.01,0\n"),
            manifest: MANIFEST,
            expected: &["index.csv:3", "high 9 is below max(open 11, close 12)"],
        },
        Case {
            name: "negative price",
            index: index("2020-01-03,-11,12,13,10,100,1000,0.01,0\n"),
            manifest: MANIFEST,
            expected: &[
                "index.csv:3: column 2 (open)",
                "expected a positive price, found -11",
            ],
        },
        Case {
            name: "negative amount",
            index: index("2020-01-03,11,12,13,10,100,-5,0.01,0\n"),
            manifest: MANIFEST,
            expected: &[
                "index.csv:3: column 7 (amount)",
                "expected zero or more, found -5",
            ],
        },
        Case {
            name: "bad date",
            index: index("2020/01/03,11,12,13,10,100,1000,0.01,0\n"),
            manifest: MANIFEST,
            expected: &[
                "index.csv:3: column 1 (date)",
                "expected a date YYYY-MM-DD, found \"2020/01/03\"",
            ],
        },
        Case {
            name: "stray double quote swallowing the rest of the file",
            index: index(
                "2020-01-03,\"10,11,12,9,100,1000,0.01,0\n2020-01-06,10,11,12,9,100,1000,0.01,0\n",
            ),
            manifest: MANIFEST,
            expected: &[
                "index.csv:3: column 2 (open)",
                "a double quote inside the field",
            ],
        },
        Case {
            name: "CRLF line ends: the line number of the file",
            index: format!("{HEADER}{GOOD_ROW}2020-01-03,10,11,12,9,100,1000,0.01,0\n2020-01-06,x,11,12,9,100,1000,0.01,0\n")
                .replace('\n', "\r\n")
                .into_bytes(),
            manifest: MANIFEST,
            expected: &["index.csv:4: column 2 (open)", "found \"x\""],
        },
        Case {
            name: "lone CR line ends",
            index: format!("{HEADER}{GOOD_ROW}2020-01-03,10,11,12,9,100,1000,0.01,0\n2020-01-06,x,11,12,9,100,1000,0.01,0\n")
                .replace('\n', "\r")
                .into_bytes(),
            manifest: MANIFEST,
            expected: &["index.csv:4: column 2 (open)", "found \"x\""],
        },
        Case {
            name: "mixed line ends and a blank line",
            index: format!("{HEADER}{GOOD_ROW}\r\n2020-01-03,10,11,12,9,100,1000,0.01,0\r2020-01-06,10,11,12,9,100,1000\n")
                .into_bytes(),
            manifest: MANIFEST,
            expected: &["index.csv:5", "truncated row: 7 fields; expected 9"],
        },
        Case {
            name: "file above the input size cap",
            index: index(""),
            manifest: "name = \"bad\"\nmax_file_mb = 0\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n",
            expected: &["index.csv", "larger than 0 bytes, the input size cap"],
        },
        Case {
            name: "duplicate column name",
            index: format!("date,open,close,high,low,volume,amount,turn,close\n{GOOD_ROW}").into_bytes(),
            manifest: MANIFEST,
            expected: &[
                "index.csv:1: column 9 (close)",
                "column name \"close\" also names column 3; expected each column once",
            ],
        },
        Case {
            name: "first date 0001-01-01",
            index: format!("{HEADER}0001-01-01,10,11,12,9,100,999,0.01,0\n{GOOD_ROW}").into_bytes(),
            manifest: MANIFEST,
            expected: &["index.csv:2", "date 0001-01-01 is outside 1990-01-01 to"],
        },
        Case {
            name: "a date in the far future",
            index: index("9999-12-31,10,11,12,9,100,1000,0.01,0\n"),
            manifest: MANIFEST,
            expected: &["index.csv:3", "date 9999-12-31 is outside 1990-01-01 to"],
        },
        Case {
            name: "a date after the manifest's date_bounds",
            index: index("2020-01-03,10,11,12,9,100,1000,0.01,0\n"),
            manifest: "name = \"bad\"\ndate_bounds = { to = \"2020-01-02\" }\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n",
            expected: &["index.csv:3", "date 2020-01-03 is outside 1990-01-01 to 2020-01-02"],
        },
        Case {
            name: "date_bounds the wrong way round",
            index: index(""),
            manifest: "name = \"bad\"\ndate_bounds = { from = \"2021-01-01\", to = \"2020-01-01\" }\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n",
            expected: &["date_bounds: from 2021-01-01 is after to 2020-01-01"],
        },
        Case {
            name: "an unknown key in date_bounds",
            index: index(""),
            manifest: "name = \"bad\"\ndate_bounds = { since = \"2021-01-01\" }\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n",
            expected: &["unknown field `since`"],
        },
        Case {
            name: "an amount of forty 9s",
            index: index(&format!("2020-01-03,10,11,12,9,100,{},0.01,0\n", "9".repeat(40))),
            manifest: MANIFEST,
            expected: &["index.csv:3", "amount 1e40 on 2020-01-03 is above 1e15"],
        },
        Case {
            name: "turnover 1e5 percent",
            index: index("2020-01-03,10,11,12,9,100,1000,100000,0\n"),
            manifest: MANIFEST,
            expected: &["index.csv:3", "turnover 1e3 on 2020-01-03 is above 1e2"],
        },
        Case {
            name: "price too small for the account's arithmetic",
            index: index(
                "2020-01-03,0.00000000000000000001,12,13,0.00000000000000000001,100,1000,0.01,0\n",
            ),
            manifest: MANIFEST,
            expected: &[
                "index.csv:3: column 2 (open)",
                "expected a price between 0.0001 and 1000000000",
            ],
        },
        Case {
            name: "absurd publication lag",
            index: index(""),
            manifest: "name = \"bad\"\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n[margin]\nlag_days = 18446744073709551615\nsources = [{ file = \"raw/index.csv\", format = \"akshare_margin\" }]\n",
            expected: &["m.toml", "lag_days is at most 250"],
        },
        Case {
            name: "missing column",
            index: b"date,open,close,high,low,volume,turn\n2020-01-02,10,11,12,9,100,0.01\n"
                .to_vec(),
            manifest: MANIFEST,
            expected: &["index.csv:1", "missing column \"amount\""],
        },
        Case {
            name: "UTF-16 file",
            index: {
                let mut bytes = vec![0xFF, 0xFE];
                for unit in format!("{HEADER}{GOOD_ROW}").encode_utf16() {
                    bytes.extend_from_slice(&unit.to_le_bytes());
                }
                bytes
            },
            manifest: MANIFEST,
            expected: &["index.csv", "UTF-16", "expected UTF-8"],
        },
        Case {
            name: "GBK bytes",
            // "日期" in GBK is C8 D5 C6 DA: not UTF-8.
            index: [
                b"\xC8\xD5\xC6\xDA,open,close,high,low,volume,amount,turn,pctChg\n".as_slice(),
                GOOD_ROW.as_bytes(),
            ]
            .concat(),
            manifest: MANIFEST,
            expected: &["index.csv:1: column 1", "not valid UTF-8", "expected UTF-8"],
        },
        Case {
            name: "empty file",
            index: Vec::new(),
            manifest: MANIFEST,
            expected: &["index.csv", "file is empty"],
        },
        Case {
            name: "header only",
            index: HEADER.as_bytes().to_vec(),
            manifest: MANIFEST,
            expected: &["index.csv:1", "no data rows"],
        },
        Case {
            name: "unknown manifest key",
            index: index(""),
            manifest: "name = \"bad\"\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\nfromat = \"x\"\n",
            expected: &["m.toml", "line 5", "unknown field `fromat`"],
        },
        Case {
            name: "unknown format",
            index: index(""),
            manifest: "name = \"bad\"\n[index]\nfile = \"raw/index.csv\"\nformat = \"yahoo\"\n",
            expected: &["m.toml", "line 4", "unknown variant `yahoo`"],
        },
        Case {
            name: "missing margin file",
            index: index(""),
            manifest: "name = \"bad\"\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n[margin]\nsources = [{ file = \"raw/nope.csv\", format = \"akshare_margin\" }]\n",
            expected: &["raw/nope.csv", "cannot read file"],
        },
        Case {
            name: "index format used for margin",
            index: index(""),
            manifest: "name = \"bad\"\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n[margin]\nsources = [{ file = \"raw/index.csv\", format = \"baostock\" }]\n",
            expected: &[
                "index.csv",
                "format baostock has no financing_balance column",
            ],
        },
    ]
}

fn check(dir: &Path, case: &Case) {
    std::fs::create_dir_all(dir.join("raw")).unwrap();
    std::fs::write(dir.join("raw/index.csv"), &case.index).unwrap();
    let manifest = dir.join("m.toml");
    std::fs::write(&manifest, case.manifest).unwrap();
    let output = cyclebt(&[
        "data",
        "check",
        "--data",
        dir.to_str().unwrap(),
        "--dataset",
        manifest.to_str().unwrap(),
    ]);
    let message = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}: exit code; stderr: {message}",
        case.name
    );
    assert!(
        !message.contains("panicked"),
        "{}: panicked: {message}",
        case.name
    );
    for needle in case.expected {
        assert!(
            message.contains(needle),
            "{}: expected {needle:?} in: {message}",
            case.name
        );
    }
}

#[test]
fn every_malformed_input_is_a_clear_error_with_exit_code_2() {
    let cases = catalogue();
    assert!(cases.len() >= 12);
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        check(dir.path(), case);
    }
}

#[test]
fn unknown_strategy_keys_and_bad_rules_are_errors_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let signal = "name = \"s\"\n[[signal]]\nid = \"t\"\nbuiltin = \"sma_cross\"\n";
    let with_signal = |rest: &str| format!("{signal}{rest}");
    let conditions = [
        (
            with_signal("[[entry]]\nsignal = \"t\"\nabove = 2\n"),
            "above = 2 can never hold: signal values lie in [-1, 1]",
        ),
        (
            with_signal("[[entry]]\nsignal = \"t\"\nbelow = -1\n"),
            "below = -1 can never hold",
        ),
        (
            with_signal("[[entry]]\nsignal = \"t\"\ncross_above = 1\n"),
            "cross_above = 1 can never hold",
        ),
        (
            with_signal("[[entry]]\nsignal = \"t\"\nabove = 0\ncross_above = 0\n"),
            "expected exactly one of `above`, `below`, `cross_above` or `cross_below`",
        ),
    ];
    for (text, expected) in &conditions {
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).unwrap();
        let output = cyclebt(&["compare", path.to_str().unwrap()]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}: {message}");
        assert!(message.contains("s.toml:5:1"), "{message}");
        assert!(
            message.contains(expected),
            "expected {expected:?} in: {message}"
        );
    }
    let cases: [(&str, &[&str]); 13] = [
        (
            "name = \"a,b\"\n",
            &["s.toml", "name \"a,b\" must be letters, digits"],
        ),
        (
            "name = \"buy_and_hold\"\n",
            &["s.toml", "built-in benchmark"],
        ),
        (
            "name = \"s\"\ncapital = \"1000000000000000000000000000\"\n",
            &[
                "s.toml",
                "capital = 1000000000000000000000000000 is outside the accepted range",
            ],
        ),
        (
            "name = \"s\"\n[costs]\nslippage_bps = 20000\n",
            &[
                "s.toml:2:1",
                "slippage_bps = 20000 is outside the accepted range [0, 1000]",
            ],
        ),
        (
            "name = \"s\"\n[execution]\nlot = \"0.0000000000000000000000000001\"\n",
            &[
                "s.toml",
                "[execution] lot = 0.0000000000000000000000000001 is outside",
            ],
        ),
        (
            "name = \"s\"\n[[signal]]\nid = \"t\"\nbuiltin = \"sma_cross\"\n[[exit]]\nsignal = \"t\"\nbelow = 0\n",
            &["s.toml", "[[exit]] without [[entry]]"],
        ),
        (
            "name = \"s\"\nwindos = [\"bull3\"]\n",
            &["s.toml:2:1", "unknown field `windos`"],
        ),
        (
            "name = \"s\"\n[[signal]]\nid = \"t\"\nbuiltin = \"sma_cross\"\nparams = { fast = 5, slwo = 9 }\n",
            &["s.toml:5:10", "signal \"t\"", "unknown field `slwo`"],
        ),
        (
            "name = \"s\"\n[[signal]]\nid = \"t\"\nbuiltin = \"rsi\"\n",
            &["s.toml:2:1", "unknown built-in signal \"rsi\""],
        ),
        (
            "name = \"s\"\n[[entry]]\nsignal = \"nope\"\nabove = 0\n",
            &["s.toml:2:1", "no signal with id \"nope\""],
        ),
        (
            "name = \"s\"\n[[sizing]]\nname = \"x\"\nrule = \"fixed_fraction\"\nfraction = 7\n",
            &["s.toml:2:1", "sizing \"x\": fraction = 7 must be in (0, 5]"],
        ),
        (
            "name = \"s\"\n[[sizing]]\nname = \"x\"\nrule = \"full\"\nfraction = 0.5\n",
            &["s.toml:2:1", "sizing \"x\": unknown field `fraction`"],
        ),
        (
            "name = \"s\"\n[[sizing]]\nname = \"x\"\nrule = \"fixed_fraction\"\nfraction = 2\n",
            &[
                "s.toml",
                "sizing \"x\" asks for an exposure up to 2, which needs borrowing; add a [leverage] section",
            ],
        ),
    ];
    for (text, expected) in cases {
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).unwrap();
        let output = cyclebt(&[
            "compare",
            path.to_str().unwrap(),
            "--data",
            dir.path().to_str().unwrap(),
        ]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}: {message}");
        for needle in expected {
            assert!(
                message.contains(needle),
                "expected {needle:?} in: {message}"
            );
        }
    }
}

#[test]
fn bad_command_line_values_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let data = dir.path().to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["compare", "--data", data, "--risk-free=-2"],
            "--risk-free -2: expected an annual rate",
        ),
        (
            &["compare", "--data", data, "--periods-per-year=1e-300"],
            "expected a number of periods between 1 and 10000",
        ),
        (
            &["compare", "--data", data, "--out", file.to_str().unwrap()],
            "exists and is not a folder",
        ),
        (
            &["compare", "--data", data, "--window", "bull9"],
            "unknown window or group \"bull9\"",
        ),
    ];
    for (args, expected) in cases {
        let output = cyclebt(args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(message.contains(expected), "{args:?}: {message}");
    }
    // Two strategies with one name would overwrite each other's files.
    let strategy = dir.path().join("s.toml");
    std::fs::write(&strategy, "name = \"same\"\n").unwrap();
    let path = strategy.to_str().unwrap();
    let output = cyclebt(&["compare", path, path, "--data", data]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("two strategies are named \"same\""),
        "{}",
        stderr(&output)
    );
}
