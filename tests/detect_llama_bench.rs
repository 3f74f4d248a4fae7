//! Import tests for llama-bench output in json, jsonl, csv and markdown.

use headroom::detect::{guess_quant, parse_llama_bench};

fn fixture(p: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/llama_bench/{p}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn json_array_strix_halo() {
    let r = parse_llama_bench(&fixture("strix_halo_gpt_oss_20b.json")).unwrap();
    assert_eq!(r.len(), 4);
    let pp = &r[0];
    assert_eq!(pp.model_type, "gpt-oss 20B MXFP4 MoE");
    assert_eq!(guess_quant(&pp.model_type), Some("MXFP4"));
    assert_eq!(pp.model_size_bytes, Some(12_109_566_560));
    assert_eq!(pp.model_n_params, Some(20_914_757_184));
    assert_eq!(pp.backend, "Vulkan");
    assert_eq!(pp.n_gpu_layers, Some(99));
    assert_eq!((pp.n_prompt, pp.n_gen, pp.n_depth), (512, 0, 0));
    assert_eq!(pp.n_ubatch, Some(512));
    assert!((pp.avg_tokens_per_s - 1420.411203).abs() < 1e-6);
    assert_eq!(pp.stddev_tokens_per_s, Some(8.131466));
    assert_eq!(pp.flash_attn, Some(true));
    assert_eq!(pp.build_commit.as_deref(), Some("e60f241e"));
    assert_eq!(pp.type_k.as_deref(), Some("f16"));
    assert_eq!(
        pp.cpu_info.as_deref(),
        Some("AMD RYZEN AI MAX+ 395 w/ Radeon 8060S")
    );
    assert!(pp.gpu_info.as_deref().unwrap().contains("8060S"));
    let tg_deep = &r[3];
    assert_eq!(
        (tg_deep.n_prompt, tg_deep.n_gen, tg_deep.n_depth),
        (0, 128, 4096)
    );
}

#[test]
fn jsonl_rtx4090_with_int_flash_attn() {
    let r = parse_llama_bench(&fixture("rtx4090_qwen3moe.jsonl")).unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(guess_quant(&r[0].model_type), Some("Q4_K_M"));
    assert_eq!(r[0].flash_attn, None, "-1 means auto");
    assert_eq!(r[2].flash_attn, Some(true));
    assert_eq!(r[1].n_gen, 128);
    assert!((r[1].avg_tokens_per_s - 197.625).abs() < 1e-9);
    assert_eq!(r[0].gpu_info.as_deref(), Some("NVIDIA GeForce RTX 4090"));
    assert_eq!(r[0].backend, "CUDA");
}

#[test]
fn csv_m2_ultra() {
    let r = parse_llama_bench(&fixture("m2_ultra_llama7b.csv")).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].backend, "Metal,BLAS");
    assert_eq!(r[0].flash_attn, Some(false));
    assert_eq!(r[0].n_prompt, 512);
    assert!((r[0].avg_tokens_per_s - 1238.48).abs() < 1e-9);
    assert_eq!(r[1].stddev_tokens_per_s, Some(0.11));
    assert_eq!(r[0].model_size_bytes, Some(3_825_065_984));
    assert_eq!(r[0].build_commit.as_deref(), Some("3b4bab6a"));
    assert_eq!(guess_quant(&r[0].model_type), Some("Q4_0"));
}

#[test]
fn markdown_with_log_lines_depth_and_build_line() {
    let r = parse_llama_bench(&fixture("dgx_spark_gpt_oss_120b.md")).unwrap();
    assert_eq!(r.len(), 6);
    let pp = &r[0];
    assert_eq!(pp.model_type, "gpt-oss 120B MXFP4 MoE");
    assert_eq!((pp.n_prompt, pp.n_gen, pp.n_depth), (2048, 0, 0));
    assert_eq!(pp.n_ubatch, Some(2048), "the markdown n_ubatch column");
    assert!((pp.avg_tokens_per_s - 1689.47).abs() < 1e-9);
    assert_eq!(pp.stddev_tokens_per_s, Some(5.09));
    assert_eq!(pp.n_gpu_layers, Some(99));
    assert_eq!(pp.flash_attn, Some(true));
    assert_eq!(pp.backend, "CUDA");
    assert_eq!(pp.build_commit.as_deref(), Some("c8dedc999"));
    let size = pp.model_size_bytes.unwrap() as f64 / (1u64 << 30) as f64;
    assert!((size - 59.02).abs() < 0.01);
    assert_eq!(pp.model_n_params, Some(116_830_000_000));
    assert_eq!((r[3].n_prompt, r[3].n_gen, r[3].n_depth), (0, 32, 4096));
    assert_eq!(guess_quant(&r[4].model_type), Some("Q8_0"));
    assert_eq!(pp.gpu_info, None);
}

#[test]
fn markdown_old_style_cpu_table() {
    let r = parse_llama_bench(&fixture("old_cpu_llama7b.md")).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].backend, "CPU");
    assert_eq!(r[0].n_gpu_layers, None);
    assert_eq!((r[0].n_prompt, r[0].n_gen), (64, 0));
    assert_eq!((r[1].n_prompt, r[1].n_gen), (0, 16));
    assert_eq!(guess_quant(&r[0].model_type), Some("Q4_0"));
    assert_eq!(r[0].build_commit, None);
}

#[test]
fn csv_with_bad_number_is_an_error() {
    let text = "model_type,n_prompt,n_gen,avg_ts\n\"llama 7B Q4_0\",512,0,fast\n";
    assert!(parse_llama_bench(text).is_err());
}
