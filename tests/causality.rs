//! The causality audit on real plugin libraries: a plugin whose range evaluation reads the
//! next row, and one whose instances share a global, both run unnoticed without the audit
//! and fail with the first differing day with it; honest plugins pass it unchanged.

use cyclebt_data::{Field, WindowSpan};
use cyclebt_engine::*;

use crate::plugins::{factory, plugin_dir};
use crate::util::{cyclebt, shipped_market, stderr};

fn misbehaving(mode: &str, audit: Option<CausalityAudit>) -> Box<dyn Signal> {
    factory()
        .with_audit(audit)
        .create(&SignalSpec {
            source: SignalSource::Plugin("fixture-misbehaving".into()),
            params: format!("mode = \"{mode}\"").parse().unwrap(),
            role: SignalRole::Signal,
            isolate: false,
        })
        .unwrap()
}

const SPAN: WindowSpan = WindowSpan {
    first: 4000,
    last: 4400,
};

fn values(mut signal: Box<dyn Signal>) -> Result<Vec<f64>, EngineError> {
    evaluate_signal(signal.as_mut(), &shipped_market(), SPAN)
}

#[test]
fn a_plugin_reading_ahead_through_the_range_call_is_caught_on_the_first_differing_day() {
    let market = shipped_market();
    let close = market.column(Field::Close);
    // Unaudited, it gets away with it: every value is next-day knowledge.
    let peeking = values(misbehaving("read_ahead", None)).unwrap();
    for (i, value) in peeking.iter().enumerate() {
        let day = SPAN.first + i;
        // The window's last decision day has no next row in its history.
        let rises = day + 1 < SPAN.last && close[day + 1] > close[day];
        assert_eq!(*value, if rises { 1.0 } else { -1.0 }, "day {day}");
    }
    // Audited: cut at day c, the plugin cannot see day c + 1 and answers -1 there; the whole
    // window's value differs wherever the next close rose. The first cut point (in order)
    // with a rise after it is the day reported.
    let audit = CausalityAudit::default();
    let cuts = audit.cut_points(SPAN.first, SPAN.last - 1);
    assert_eq!(cuts.len(), 3);
    let caught = *cuts
        .iter()
        .find(|&&c| close[c + 1] > close[c])
        .expect("a rise after one of the cut points");
    let error = values(misbehaving("read_ahead", Some(audit))).unwrap_err();
    let day = market.dates[caught];
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "failed on {day}: reads ahead: with the history cut at {day} its value on {day} is -1, with the history to {} it is 1",
            market.dates[SPAN.last - 1]
        )),
        "{message}"
    );
    assert!(message.contains("fixture-misbehaving"), "{message}");
}

#[test]
fn state_shared_across_instances_is_caught() {
    // Without the audit two fresh instances with the same inputs disagree (the n-th instance
    // answers 0.5 / n): two identical strategies would report different results.
    let first = values(misbehaving("shared_state", None)).unwrap();
    let second = values(misbehaving("shared_state", None)).unwrap();
    assert_ne!(first, second);
    let error = values(misbehaving("shared_state", Some(CausalityAudit::default()))).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "failed on {}: state shared across instances",
            shipped_market().dates[SPAN.first]
        )),
        "{message}"
    );
}

#[test]
fn honest_plugins_pass_the_audit_with_the_same_values() {
    let spec = |name: &str, params: &str| SignalSpec {
        source: SignalSource::Plugin(name.into()),
        params: params.parse().unwrap(),
        role: SignalRole::Signal,
        isolate: false,
    };
    for (name, params) in [
        ("sma-cross", "fast = 20\nslow = 60"),
        ("fixture-misbehaving", "mode = \"fine\""),
        ("margin-divergence", ""),
    ] {
        let plain = values(factory().create(&spec(name, params)).unwrap()).unwrap();
        let audited = factory()
            .with_audit(Some(CausalityAudit::default()))
            .create(&spec(name, params))
            .unwrap();
        assert_eq!(values(audited).unwrap(), plain, "{name}");
    }
}

#[test]
fn compare_audit_causality_fails_the_peeking_strategy_only() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = dir.path().join("peek.toml");
    std::fs::write(
        &strategy,
        "name = \"peek\"\n[[signal]]\nid = \"x\"\nplugin = \"fixture-misbehaving\"\nparams = { mode = \"read_ahead\" }\n[[entry]]\nsignal = \"x\"\nabove = 0\n",
    )
    .unwrap();
    let run = |audit: bool| {
        let mut args = vec![
            "compare",
            strategy.to_str().unwrap(),
            "--plugin-dir",
            plugin_dir().to_str().unwrap(),
            "--window",
            "bull3",
        ];
        if audit {
            args.push("--audit-causality");
        }
        cyclebt(&args)
    };
    let unaudited = run(false);
    assert_eq!(unaudited.status.code(), Some(0), "{}", stderr(&unaudited));
    let audited = run(true);
    let message = stderr(&audited);
    assert_eq!(audited.status.code(), Some(2), "{message}");
    assert!(
        message.contains("strategy peek failed") && message.contains("reads ahead"),
        "{message}"
    );
}
