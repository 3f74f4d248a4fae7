//! Text for the terminal: the ranking, the catalogue listings and the estimate.

use super::*;

impl Estimate {
    pub fn text(&self) -> String {
        let mut s = format!(
            "{} ({} GB, {}) running {} {} with {} KV at {} tokens of context\n",
            self.machine,
            self.memory_gb,
            self.runtime,
            self.model,
            self.quant,
            self.kv_type,
            thousands(self.context_tokens)
        );
        let m = &self.memory;
        s += &format!(
            "  memory: weights {} + KV cache {} + overhead {} = {} of {} usable: {} ({} headroom)\n",
            gib(m.weights_bytes as f64),
            gib(m.kv_cache_bytes as f64),
            gib(m.overhead_bytes as f64),
            gib(m.total_bytes as f64),
            gib(m.usable_bytes as f64),
            if self.runtime == Runtime::Cpu && self.placement == "accelerator" {
                "all in system RAM (CPU runtime)"
            } else {
                self.placement
            },
            gib(m.headroom_bytes as f64)
        );
        if let Some(setting) = &self.needs_setting {
            s += &format!("  fits only after changing a setting: {setting}\n");
        }
        s += &format!(
            "  largest context that fits: {} tokens",
            thousands(self.max_context_tokens)
        );
        if let Some(t) = self.max_context_tokens_with_setting {
            s += &format!(" ({} with the setting changed)", thousands(t));
        }
        s += "\n";
        if let (Some(pp), Some(ps), Some(tg), Some(total)) = (
            self.prefill_tokens_per_s,
            self.prefill_secs,
            self.decode_tokens_per_s,
            self.total_secs,
        ) {
            s += &format!(
                "  prefill {} tokens at depth {}: {:.0} tok/s{}, {:.1} s{}\n  decode {} tokens: {:.1} tok/s{} (physical bound {:.1} tok/s){}\n  total {:.1} s; bottleneck: {}\n",
                thousands(self.prompt_tokens),
                thousands(self.depth_tokens),
                pp,
                range_words(self.prefill_tokens_per_s_range),
                ps,
                measured_words(self.measured_prefill.as_ref()),
                self.gen_tokens,
                tg,
                range_words(self.decode_tokens_per_s_range),
                self.decode_bound_tokens_per_s,
                measured_words(self.measured_decode.as_ref()),
                total,
                bottleneck_words(&self.bottleneck)
            );
        } else {
            s += "  does not run here: no speed to predict\n";
        }
        match self.range_basis {
            RangeBasis::Measured => {}
            RangeBasis::MachineUnmeasured => {
                s += "  likely ranges widened: no published measurement of this machine on this runtime\n";
            }
            RangeBasis::CaseUnmeasured => {
                s += "  likely ranges widened: no published measurement of this case (runtime, dense or MoE, weight type) on any machine\n";
            }
        }
        if let Some(miss) = &self.known_miss {
            s += &format!("  {}\n", crate::present::known_miss_words(miss));
        }
        if self.calibrated_from_your_runs {
            s += "  calibrated from your runs (headroom import-bench)\n";
        }
        for claim in &self.claims {
            s += &format!("  {}\n", crate::present::claim_words(claim));
        }
        s
    }
}

/// "prefill compute, decode memory bandwidth", or "memory capacity".
fn bottleneck_words(b: &EstimateBottleneck) -> String {
    match b {
        EstimateBottleneck::Capacity => "memory capacity".to_owned(),
        EstimateBottleneck::Phases { prefill, decode } => format!(
            "prefill {}, decode {}",
            crate::present::limit_words(*prefill),
            crate::present::limit_words(*decode)
        ),
    }
}

pub(crate) fn range_words(range: Option<(f64, f64)>) -> String {
    range.map_or(String::new(), |(lo, hi)| {
        format!(" ({lo:.0}-{hi:.0} likely)")
    })
}

pub(crate) fn measured_words(measured: Option<&Measured>) -> String {
    measured.map_or(String::new(), |m| {
        format!("; measured {:.1} tok/s ({})", m.tokens_per_s, m.source)
    })
}

/// The ranking as a text table.
pub fn ranking_text(ranking: &Ranking, top: usize) -> String {
    let mut s = String::new();
    for line in crate::present::verdict_lines(&ranking.verdict) {
        s += &line;
        s.push('\n');
    }
    s.push('\n');
    s += &format!(
        "{:>3}  {:<48} {:>7} {:>8} {:>6} {:>6} {:>6} {:>9} {:>8}  {}\n",
        "#",
        "machine",
        "memory",
        "price",
        "local",
        "cloud",
        "failed",
        "mean req",
        "decode",
        "bottleneck"
    );
    for (i, e) in ranking.entries.iter().take(top).enumerate() {
        let name = if e.is_current {
            format!("{} (yours)", e.machine_name)
        } else {
            e.machine_name.clone()
        };
        s += &format!(
            "{:>3}{} {:<48} {:>5.0}GB {:>8} {:>5.0}% {:>5.0}% {:>5.0}% {:>8.1}s {:>8.1}  {}\n",
            crate::present::rank_number(i, e),
            if e.pareto { "*" } else { " " },
            truncate(&name, 48),
            e.total_memory_gb,
            crate::present::usd(e.price_usd),
            e.mix.share_local * 100.0,
            e.mix.share_cloud * 100.0,
            e.mix.share_failed * 100.0,
            e.mix.mean_request_secs,
            e.mix.local_decode_tokens_per_s,
            crate::present::bottleneck_words(e.bottleneck)
        );
        for reason in &e.reasons {
            s += &format!("        {}\n", crate::present::reason_words(reason));
        }
        for setting in &e.settings {
            s += &format!(
                "        setting to change: {}\n",
                crate::present::setting_words(setting)
            );
        }
    }
    let shown = top.min(ranking.entries.len());
    s += &format!(
        "\n* = on the price/performance frontier; = in the rank column: tied with the row above within the prediction error. {shown} {} shown of {}; {} filtered out.\n",
        if shown == 1 { "option" } else { "options" },
        ranking.entries.len(),
        ranking.filtered_out
    );
    s
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}~", s.chars().take(n - 1).collect::<String>())
    }
}

pub(crate) fn print_catalog(
    catalog: &Catalog,
    section: Section,
    json: bool,
) -> Result<(), CliError> {
    if json {
        let text = match section {
            Section::Machines => to_json(&catalog.machines)?,
            Section::Models => to_json(&catalog.models)?,
            Section::Quants => to_json(&(&catalog.quants, &catalog.kv_types))?,
            Section::Workloads => to_json(&catalog.workloads)?,
            Section::Cloud => to_json(&catalog.cloud)?,
            Section::Runtimes => to_json(&catalog.runtimes)?,
            Section::Benchmarks => to_json(&catalog.benchmarks)?,
        };
        println!("{text}");
        return Ok(());
    }
    match section {
        Section::Machines => {
            for m in &catalog.machines {
                let options: Vec<String> = m
                    .memory_options
                    .iter()
                    .map(|o| {
                        let mut text = format!("{}GB", o.per_device_gb);
                        if let Some(p) = o.price_usd {
                            text += &format!(" ${p:.0}");
                            if o.condition != PriceCondition::New {
                                text += &format!(" {}", o.condition);
                            }
                            if !o.price_date.is_empty() {
                                text += &format!(" as of {}", o.price_date);
                            }
                        }
                        text
                    })
                    .collect();
                let mut status = String::new();
                if let Some(date) = &m.discontinued {
                    status += &format!("  no longer sold new since {date}");
                }
                if !m.sold_alone {
                    status += "  not sold alone";
                }
                println!(
                    "{:<38} {}x {:>6.0} GB/s {:>7.1} TFLOPS  {:<8} [{}]{}  ({})",
                    m.id,
                    m.device_count,
                    m.bandwidth_gb_per_s.value,
                    m.fp16_tflops.value,
                    m.default_runtime,
                    options.join(", "),
                    status,
                    m.origin
                );
            }
        }
        Section::Models => {
            for m in &catalog.models {
                println!(
                    "{:<26} {:>7.1}B total {:>6.1}B active  {:>3} layers  {:>2} KV heads  {:>9} ctx  ({})",
                    m.id,
                    m.params_total_b,
                    m.params_active_b,
                    m.layers,
                    m.kv_heads,
                    thousands(m.context_native),
                    m.origin
                );
            }
        }
        Section::Quants => {
            for q in &catalog.quants {
                println!(
                    "{:<10} {:>6.3} bits/weight  ({})",
                    q.id, q.bits_per_weight.value, q.origin
                );
            }
            for k in &catalog.kv_types {
                println!(
                    "KV {:<7} {:>6.4} bytes/element  ({})",
                    k.id, k.bytes_per_element.value, k.origin
                );
            }
        }
        Section::Workloads => {
            for w in &catalog.workloads {
                println!("{:<18} {}", w.id, w.name);
                for t in &w.tasks {
                    println!(
                        "    {:>4.0}%  {:<28} prompt {:>8}  output {:>6}  {} {}  timeout {:.0} s{}",
                        t.share * 100.0,
                        t.name,
                        thousands(t.prompt_tokens),
                        thousands(t.output_tokens),
                        t.model,
                        t.quant,
                        t.timeout_secs,
                        if t.private { "  private" } else { "" }
                    );
                }
            }
        }
        Section::Cloud => {
            for c in &catalog.cloud {
                println!(
                    "{:<28} {:>9} ctx  ${:.2}/${:.2} per M in/out  ({})",
                    c.id,
                    thousands(c.context_tokens),
                    c.input_usd_per_mtok.value,
                    c.output_usd_per_mtok.value,
                    c.origin
                );
            }
        }
        Section::Runtimes => {
            for r in &catalog.runtimes {
                println!(
                    "{:<7} bandwidth {:.2}  compute {:.2}  attention {:.2}  overhead {:.0} µs/layer  ({})",
                    r.runtime,
                    r.bandwidth_efficiency.value,
                    r.compute_efficiency.value,
                    r.attention_efficiency.value,
                    r.layer_overhead_us.value,
                    r.origin
                );
            }
        }
        Section::Benchmarks => {
            for b in &catalog.benchmarks {
                println!(
                    "{:<36} {:<7} {:<22} {:<7} {}{} @ d{:<6} {:>9.2} tok/s",
                    b.machine,
                    b.runtime,
                    b.model,
                    b.quant,
                    if b.kind == TestKind::Prefill {
                        "pp"
                    } else {
                        "tg"
                    },
                    b.tokens,
                    b.depth,
                    b.tokens_per_s
                );
            }
        }
    }
    Ok(())
}
