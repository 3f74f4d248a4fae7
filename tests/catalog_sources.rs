//! Every built-in catalogue entry says where its numbers come from (a URL, or a note that
//! starts "estimate:" and says how), and every price says when it was seen.

use headroom::catalog;
use headroom::engine::types::{Catalog, Sourced};

fn built_in() -> Catalog {
    catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)))
}

/// A URL, or an estimate (or fitted, assumed, measured, derived figure) that says how.
fn cited(source: &str) -> bool {
    let s = source.trim();
    if s.starts_with("https://") || s.starts_with("http://") {
        return s.len() > "https://x.y".len();
    }
    ["estimate", "assumed", "fitted", "measured", "derived"]
        .iter()
        .any(|p| {
            s.to_lowercase().starts_with(p)
                // The prefix alone says nothing: the note must say how.
                && s.len() > p.len() + 10
        })
}

fn check(problems: &mut Vec<String>, what: &str, s: &Sourced) {
    if !cited(&s.source) {
        problems.push(format!(
            "{what}: source \"{}\" is neither a URL nor an explained estimate",
            s.source
        ));
    }
}

fn is_date(d: &str) -> bool {
    let parts: Vec<&str> = d.split('-').collect();
    matches!(parts.len(), 2 | 3)
        && parts[0].len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[test]
fn every_machine_number_and_price_is_sourced_and_dated() {
    let catalog = built_in();
    let mut problems = Vec::new();
    for m in &catalog.machines {
        let id = &m.id;
        if m.sources.is_empty() {
            problems.push(format!("{id}: no sources listed"));
        }
        for s in &m.sources {
            if !cited(s) {
                problems.push(format!("{id}: listed source \"{s}\" is not a URL"));
            }
        }
        check(
            &mut problems,
            &format!("{id}.bandwidth_gb_per_s"),
            &m.bandwidth_gb_per_s,
        );
        check(&mut problems, &format!("{id}.fp16"), &m.fp16_tflops);
        for (name, s) in [
            ("fp16_acc16", &m.fp16_acc16_tflops),
            ("int8", &m.int8_tops),
            ("fp8", &m.fp8_tflops),
            ("fp4", &m.fp4_tflops),
            ("achieved_share", &m.matmul_achieved_share),
            ("system_ram_bandwidth", &m.system_ram_bandwidth_gb_per_s),
            ("idle_watts", &m.idle_watts),
        ] {
            if let Some(s) = s {
                check(&mut problems, &format!("{id}.{name}"), s);
            }
        }
        check(&mut problems, &format!("{id}.power_watts"), &m.power_watts);
        check(
            &mut problems,
            &format!("{id}.default_share"),
            &m.accelerator_memory.default_share,
        );
        if m.memory_options.is_empty() {
            problems.push(format!("{id}: no memory options"));
        }
        for o in &m.memory_options {
            let what = format!("{id} {} GB", o.per_device_gb);
            match o.price_usd {
                None => problems.push(format!("{what}: no price")),
                Some(p) if p <= 0.0 => problems.push(format!("{what}: price {p}")),
                Some(_) => {}
            }
            if !is_date(&o.price_date) {
                problems.push(format!(
                    "{what}: price date \"{}\" is not a date like 2026-09",
                    o.price_date
                ));
            }
            if !cited(&o.source) {
                problems.push(format!("{what}: price source \"{}\"", o.source));
            }
        }
        if let Some(d) = &m.discontinued {
            assert!(is_date(d), "{id}: discontinued \"{d}\"");
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_model_cloud_offer_and_quant_is_sourced() {
    let catalog = built_in();
    let mut problems = Vec::new();
    for m in &catalog.models {
        if m.sources.is_empty() {
            problems.push(format!("model {}: no sources", m.id));
        }
        for s in &m.sources {
            if !cited(s) {
                problems.push(format!("model {}: source \"{s}\"", m.id));
            }
        }
        for f in &m.gguf_files {
            if !cited(&f.source) {
                problems.push(format!(
                    "model {} {}: file size source \"{}\"",
                    m.id, f.quant, f.source
                ));
            }
        }
    }
    for c in &catalog.cloud {
        if c.sources.is_empty() {
            problems.push(format!("cloud {}: no sources", c.id));
        }
        for (name, s) in [
            ("input price", &c.input_usd_per_mtok),
            ("output price", &c.output_usd_per_mtok),
            ("decode speed", &c.decode_tokens_per_s),
            ("time to first token", &c.time_to_first_token_secs),
            ("prefill speed", &c.prefill_tokens_per_s),
        ] {
            check(&mut problems, &format!("cloud {} {name}", c.id), s);
        }
        // A price without a date is a guess about today: the notes or the source say when.
        let dated = [&c.notes, &c.input_usd_per_mtok.source]
            .iter()
            .any(|t| t.contains("202"));
        if !dated {
            problems.push(format!("cloud {}: the price carries no date", c.id));
        }
    }
    for q in &catalog.quants {
        check(
            &mut problems,
            &format!("quant {}", q.id),
            &q.bits_per_weight,
        );
    }
    for k in &catalog.kv_types {
        check(
            &mut problems,
            &format!("kv type {}", k.id),
            &k.bytes_per_element,
        );
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_catalogue_covers_a_late_2026_buyer() {
    let catalog = built_in();
    assert!(
        catalog.machines.len() >= 45,
        "{} machines",
        catalog.machines.len()
    );
    assert!(
        catalog.models.len() >= 40,
        "{} models",
        catalog.models.len()
    );
    // One GPU's share of an HGX board is not for sale on its own; the whole server is.
    let per_gpu = catalog
        .machine("server-h100-sxm-80gb")
        .expect("per-GPU entry");
    assert!(!per_gpu.sold_alone);
    assert!(
        catalog
            .machine("server-8x-h100-sxm-80gb")
            .expect("whole server")
            .sold_alone
    );
    // The retired Gemini 2.5 Pro is gone.
    assert!(catalog
        .cloud
        .iter()
        .all(|c| !c.id.starts_with("gemini-2.5")));
}
