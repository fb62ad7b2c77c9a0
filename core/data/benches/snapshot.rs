#![allow(missing_docs)] // criterion_group! generates undocumented items
//! How long loading a built-in dataset takes: from the bundled snapshot (what every command does
//! without --data), and from the full exports where `../shared/datasets` exists.
//!
//! Run: `cargo bench -p cyclebt-data --bench snapshot`. Results are in BENCHMARKS.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use cyclebt_data::{Manifest, Origin};

fn project() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn bench_load(c: &mut Criterion) {
    let snapshot = Origin::Snapshot(project().join("datasets/snapshot"));
    let exports = project().join("../shared/datasets");
    let mut group = c.benchmark_group("load");
    for name in ["sh000001", "sh000300"] {
        let manifest = Manifest::read(&project().join(format!("datasets/{name}.toml")))
            .expect("built-in manifest");
        group.bench_function(format!("{name} from the snapshot"), |b| {
            b.iter(|| black_box(cyclebt_data::load_from(&manifest, &snapshot).expect("loads")))
        });
        if exports.join("raw").is_dir() {
            let origin = Origin::Exports(exports.clone());
            group.bench_function(format!("{name} from the exports"), |b| {
                b.iter(|| black_box(cyclebt_data::load_from(&manifest, &origin).expect("loads")))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
