//! What the window does each time a slider moves: rank the whole catalogue on a mix.

use criterion::{criterion_group, criterion_main, Criterion};
use headroom::catalog;
use headroom::engine::rank::{rank, Owned, RankOptions};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let options = RankOptions {
        have: Some(Owned {
            machine: "mac-studio-m2-ultra-60c".to_owned(),
            per_device_gb: 64.0,
        }),
        ..RankOptions::default()
    };
    for id in ["agentic-coding", "coder-plus-70b"] {
        let workload = catalog.workload(id).expect("preset").clone();
        c.bench_function(&format!("rank whole catalogue: {id}"), |b| {
            b.iter(|| {
                rank(
                    black_box(&catalog),
                    black_box(&workload),
                    black_box(&options),
                )
            })
        });
    }
    c.bench_function("load and validate the built-in catalogue", |b| {
        b.iter(catalog::built_in)
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
