//! Tests of the GGUF parser: real-model-shaped files, every truncation, hostile headers.

use std::io::Cursor;

use proptest::prelude::*;

use super::gguf::{
    file_type_name, ggml_type, parse_gguf, read_gguf, GgufErrorKind, GgufInfo, MetaValue,
    GGML_TYPES,
};
use super::testgguf::{write_test_gguf, TestGguf, TestValue};

fn parse(bytes: &[u8]) -> Result<GgufInfo, super::gguf::GgufError> {
    parse_gguf(Cursor::new(bytes), bytes.len() as u64)
}

fn header(version: u32, tensors: u64, kvs: u64) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend_from_slice(&version.to_le_bytes());
    b.extend_from_slice(&tensors.to_le_bytes());
    b.extend_from_slice(&kvs.to_le_bytes());
    b
}

fn push_str(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(&(s.len() as u64).to_le_bytes());
    b.extend_from_slice(s.as_bytes());
}

#[test]
fn qwen3_coder_like_file_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qwen3-coder.gguf");
    write_test_gguf(&path, &TestGguf::qwen3_coder_30b_a3b()).unwrap();
    let g = read_gguf(&path).unwrap();
    assert_eq!(g.version, 3);
    assert_eq!(g.architecture.as_deref(), Some("qwen3moe"));
    assert_eq!(g.name.as_deref(), Some("Qwen3-Coder-30B-A3B-Instruct"));
    assert_eq!(g.file_type, Some(15));
    assert_eq!(g.file_type_name.as_deref(), Some("Q4_K_M"));
    assert_eq!(g.context_length_tokens, Some(262_144));
    assert_eq!(g.block_count, Some(48));
    assert_eq!(g.embedding_length, Some(2048));
    assert_eq!(g.head_count, Some(32));
    assert_eq!(g.head_count_kv, Some(4));
    assert_eq!(g.head_count_kv_per_layer, None);
    assert_eq!(g.key_length, Some(128));
    assert_eq!(g.value_length, Some(128));
    assert_eq!(g.expert_count, Some(128));
    assert_eq!(g.expert_used_count, Some(8));
    assert_eq!(g.expert_feed_forward_length, Some(768));
    assert_eq!(g.sliding_window_tokens, None);
    assert_eq!(g.vocab_size, Some(300));
    assert_eq!(
        g.metadata.get("tokenizer.ggml.tokens"),
        Some(&MetaValue::Array {
            element_type: "string",
            len: 300
        })
    );
    assert_eq!(g.tensor_count, 5);
    assert_eq!(g.alignment_bytes, 32);
    assert_eq!(g.data_offset_bytes % 32, 0);
    // Q4_K: 512 elements = 2 blocks of 144 bytes; Q6_K expert 512 elems = 2 * 210;
    // Q4_K expert 2 * 144; F32 16 * 4; Q8_0 64 elems = 2 * 34.
    let q4k = &g.tensor_types["Q4_K"];
    assert_eq!((q4k.tensor_count, q4k.elements, q4k.bytes), (2, 1024, 576));
    assert_eq!(g.tensor_types["Q6_K"].bytes, 420);
    assert_eq!(g.tensor_types["F32"].bytes, 64);
    assert_eq!(g.tensor_types["Q8_0"].bytes, 68);
    assert_eq!(g.total_tensor_bytes, 576 + 420 + 64 + 68);
    assert_eq!(g.total_elements, 512 + 16 + 512 + 512 + 64);
    assert_eq!(g.expert_tensor_bytes, 420 + 288);
    let kv_bytes_per_token =
        g.block_count.unwrap() * g.head_count_kv.unwrap() * g.key_length.unwrap() * 2 * 2;
    assert_eq!(kv_bytes_per_token, 96 * 1024, "the seed's 96 KiB per token");
    assert_eq!(g.file_len_bytes, std::fs::metadata(&path).unwrap().len());
}

#[test]
fn gpt_oss_like_file_has_sliding_window_and_mxfp4() {
    let bytes = TestGguf::gpt_oss_20b().to_bytes().unwrap();
    let g = parse(&bytes).unwrap();
    assert_eq!(g.architecture.as_deref(), Some("gpt-oss"));
    assert_eq!(g.sliding_window_tokens, Some(128));
    assert_eq!(g.context_length_tokens, Some(131_072));
    assert_eq!(g.file_type_name.as_deref(), Some("MXFP4_MOE"));
    assert_eq!(g.head_count_kv, Some(8));
    assert_eq!(g.rope_scaling_factor, Some(32.0));
    assert_eq!(g.rope_scaling_original_context_tokens, Some(4096));
    // MXFP4: 512 elements = 16 blocks of 17 bytes.
    assert_eq!(g.tensor_types["MXFP4"].bytes, 16 * 17);
    assert_eq!(g.tensor_types["BF16"].bytes, 128);
    assert_eq!(g.vocab_size, None);
}

#[test]
fn per_layer_head_count_kv_takes_max_and_keeps_array() {
    let layers: Vec<TestValue> = [8u32, 0, 8, 4]
        .iter()
        .map(|&v| TestValue::I32(v as i32))
        .collect();
    let bytes = TestGguf::default()
        .kv("general.architecture", TestValue::Str("openelm".into()))
        .kv("openelm.attention.head_count_kv", TestValue::Array(layers))
        .kv("openelm.vocab_size", TestValue::U64(32000))
        .kv("general.alignment", TestValue::U32(64))
        .tensor("a", &[8], "F16")
        .tensor("b", &[8], "F16")
        .to_bytes()
        .unwrap();
    let g = parse(&bytes).unwrap();
    assert_eq!(g.head_count_kv, Some(8));
    assert_eq!(g.head_count_kv_per_layer, Some(vec![8, 0, 8, 4]));
    assert_eq!(g.vocab_size, Some(32000));
    assert_eq!(g.alignment_bytes, 64);
    assert_eq!(g.tensors[1].offset_bytes, 64);
}

#[test]
fn version_2_is_accepted() {
    let mut t = TestGguf::qwen3_coder_30b_a3b();
    t.version = 2;
    assert_eq!(parse(&t.to_bytes().unwrap()).unwrap().version, 2);
}

#[test]
fn truncation_at_every_offset_errors_without_panic() {
    for file in [TestGguf::qwen3_coder_30b_a3b(), TestGguf::gpt_oss_20b()] {
        let bytes = file.to_bytes().unwrap();
        assert!(parse(&bytes).is_ok());
        for cut in 0..bytes.len() {
            let r = parse(&bytes[..cut]);
            assert!(r.is_err(), "truncated at {cut} of {} parsed", bytes.len());
        }
    }
}

#[test]
fn stream_shorter_than_declared_length_errors() {
    let bytes = TestGguf::gpt_oss_20b().to_bytes().unwrap();
    let short = &bytes[..100];
    let err = parse_gguf(Cursor::new(short), bytes.len() as u64).unwrap_err();
    assert!(matches!(err.kind, GgufErrorKind::Truncated { .. }), "{err}");
}

#[test]
fn wrong_magic_is_named() {
    let err = parse(b"GGML\x03\0\0\0").unwrap_err();
    assert!(matches!(err.kind, GgufErrorKind::BadMagic { .. }));
    assert!(err.to_string().contains("not a GGUF file"), "{err}");
}

#[test]
fn version_1_and_big_endian_are_rejected() {
    let err = parse(&header(1, 0, 0)).unwrap_err();
    assert!(matches!(
        err.kind,
        GgufErrorKind::UnsupportedVersion { version: 1 }
    ));
    let mut be = b"GGUF".to_vec();
    be.extend_from_slice(&3u32.to_be_bytes());
    be.extend_from_slice(&0u64.to_be_bytes());
    be.extend_from_slice(&0u64.to_be_bytes());
    let err = parse(&be).unwrap_err();
    assert!(matches!(err.kind, GgufErrorKind::BigEndian { .. }));
    assert!(err.to_string().contains("big-endian"));
}

#[test]
fn huge_counts_are_refused_before_allocating() {
    let err = parse(&header(3, u64::MAX, 0)).unwrap_err();
    assert!(
        matches!(err.kind, GgufErrorKind::CountTooLarge { offset: 8, .. }),
        "{err}"
    );
    let err = parse(&header(3, 0, 1 << 60)).unwrap_err();
    assert!(
        matches!(err.kind, GgufErrorKind::CountTooLarge { offset: 16, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("byte 16"), "{err}");
}

#[test]
fn huge_string_length_is_refused() {
    let mut b = header(3, 0, 1);
    b.extend_from_slice(&u64::MAX.to_le_bytes());
    b.extend_from_slice(&[0u8; 64]);
    let err = parse(&b).unwrap_err();
    assert!(matches!(err.kind, GgufErrorKind::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("metadata key #0"), "{err}");

    // A key longer than the key cap, even though the file holds it.
    let mut b = header(3, 0, 1);
    let long = "k".repeat(70_000);
    push_str(&mut b, &long);
    b.extend_from_slice(&0u32.to_le_bytes());
    b.push(1);
    let err = parse(&b).unwrap_err();
    assert!(
        matches!(err.kind, GgufErrorKind::StringTooLong { offset: 24, .. }),
        "{err}"
    );
}

#[test]
fn long_string_value_is_summarised_not_kept() {
    let big = "x".repeat(1024 * 1024 + 10);
    let bytes = TestGguf::default()
        .kv("tokenizer.chat_template", TestValue::Str(big))
        .tensor("t", &[4], "F32")
        .to_bytes()
        .unwrap();
    let g = parse(&bytes).unwrap();
    assert_eq!(
        g.metadata["tokenizer.chat_template"],
        MetaValue::LongString {
            len_bytes: 1024 * 1024 + 10
        }
    );
}

#[test]
fn huge_array_length_is_refused() {
    let mut b = header(3, 0, 1);
    push_str(&mut b, "a");
    b.extend_from_slice(&9u32.to_le_bytes()); // array
    b.extend_from_slice(&4u32.to_le_bytes()); // of u32
    b.extend_from_slice(&(u64::MAX / 2).to_le_bytes());
    b.extend_from_slice(&[0u8; 32]);
    let err = parse(&b).unwrap_err();
    assert!(
        matches!(err.kind, GgufErrorKind::CountTooLarge { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("array length of 'a'"), "{err}");
}

#[test]
fn deep_array_nesting_is_refused() {
    let mut b = header(3, 0, 1);
    push_str(&mut b, "nest");
    b.extend_from_slice(&9u32.to_le_bytes());
    for _ in 0..10 {
        b.extend_from_slice(&9u32.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
    }
    b.extend_from_slice(&[0u8; 64]);
    let err = parse(&b).unwrap_err();
    assert!(
        matches!(err.kind, GgufErrorKind::NestingTooDeep { .. }),
        "{err}"
    );
}

#[test]
fn shallow_nested_and_large_arrays_are_summarised() {
    let inner = TestValue::Array(vec![TestValue::U8(1), TestValue::U8(2)]);
    let big: Vec<TestValue> = (0..5000).map(TestValue::U16).collect();
    let bytes = TestGguf::default()
        .kv("nested", TestValue::Array(vec![inner.clone(), inner]))
        .kv("big", TestValue::Array(big))
        .kv("floats", TestValue::Array(vec![TestValue::F32(0.5)]))
        .kv("flag", TestValue::Bool(true))
        .kv("neg", TestValue::I8(-3))
        .tensor("t", &[4], "F32")
        .to_bytes()
        .unwrap();
    let g = parse(&bytes).unwrap();
    assert_eq!(
        g.metadata["nested"],
        MetaValue::Array {
            element_type: "array",
            len: 2
        }
    );
    assert_eq!(
        g.metadata["big"],
        MetaValue::Array {
            element_type: "u16",
            len: 5000
        }
    );
    assert_eq!(g.metadata["floats"], MetaValue::FloatArray(vec![0.5]));
    assert_eq!(g.metadata["flag"], MetaValue::Bool(true));
    assert_eq!(g.metadata["neg"], MetaValue::Int(-3));
}

#[test]
fn unknown_value_type_is_named() {
    let mut b = header(3, 0, 1);
    push_str(&mut b, "weird");
    b.extend_from_slice(&13u32.to_le_bytes());
    b.extend_from_slice(&[0u8; 16]);
    let err = parse(&b).unwrap_err();
    assert!(
        matches!(
            err.kind,
            GgufErrorKind::UnknownValueType {
                type_id: 13,
                offset: 37,
                ..
            }
        ),
        "{err}"
    );
}

fn one_tensor(dims: &[u64], ty: u32, offset: u64) -> Vec<u8> {
    let mut b = header(3, 1, 0);
    push_str(&mut b, "t");
    b.extend_from_slice(&(dims.len() as u32).to_le_bytes());
    for d in dims {
        b.extend_from_slice(&d.to_le_bytes());
    }
    b.extend_from_slice(&ty.to_le_bytes());
    b.extend_from_slice(&offset.to_le_bytes());
    b.resize(b.len() + 256, 0);
    b
}

#[test]
fn hostile_tensor_tables_are_refused() {
    let e = parse(&one_tensor(&[u64::MAX, 2], 0, 0)).unwrap_err();
    assert!(matches!(e.kind, GgufErrorKind::DimsOverflow { .. }), "{e}");
    let e = parse(&one_tensor(&[1 << 40, 1 << 30], 0, 0)).unwrap_err();
    assert!(matches!(e.kind, GgufErrorKind::DimsOverflow { .. }), "{e}");
    let e = parse(&one_tensor(&[4], 99, 0)).unwrap_err();
    assert!(
        matches!(e.kind, GgufErrorKind::UnknownTensorType { type_id: 99, .. }),
        "{e}"
    );
    let e = parse(&one_tensor(&[33], 2, 0)).unwrap_err();
    assert!(
        matches!(e.kind, GgufErrorKind::NotBlockMultiple { .. }),
        "{e}"
    );
    let e = parse(&one_tensor(&[4], 0, 3)).unwrap_err();
    assert!(
        matches!(e.kind, GgufErrorKind::TensorOutOfBounds { .. }),
        "{e}"
    );
    let e = parse(&one_tensor(&[4], 0, u64::MAX - 31)).unwrap_err();
    assert!(
        matches!(e.kind, GgufErrorKind::TensorOutOfBounds { .. }),
        "{e}"
    );
    let e = parse(&one_tensor(&[1 << 20], 0, 0)).unwrap_err();
    assert!(
        matches!(e.kind, GgufErrorKind::TensorOutOfBounds { .. }),
        "{e}"
    );
    let mut b = header(3, 1, 0);
    push_str(&mut b, "t");
    b.extend_from_slice(&5u32.to_le_bytes());
    b.resize(b.len() + 256, 0);
    let e = parse(&b).unwrap_err();
    assert!(
        matches!(e.kind, GgufErrorKind::TooManyDims { n_dims: 5, .. }),
        "{e}"
    );
    assert!(parse(&one_tensor(&[4], 0, 0)).is_ok());
}

#[test]
fn bad_alignment_is_refused() {
    for a in [0u32, 3, 48] {
        let bytes = TestGguf::default()
            .kv("general.alignment", TestValue::U32(a))
            .to_bytes()
            .unwrap();
        let e = parse(&bytes).unwrap_err();
        assert!(matches!(e.kind, GgufErrorKind::BadAlignment { .. }), "{e}");
    }
}

#[test]
fn read_gguf_error_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.gguf");
    std::fs::write(&path, b"GGUF\x03\0\0\0").unwrap();
    let e = read_gguf(&path).unwrap_err();
    assert!(e.to_string().contains("broken.gguf"), "{e}");
    assert!(e.to_string().contains("truncated"), "{e}");
    let e = read_gguf(&dir.path().join("missing.gguf")).unwrap_err();
    assert!(matches!(e.kind, GgufErrorKind::Open(_)));
    assert!(e.to_string().contains("missing.gguf"), "{e}");
}

#[test]
fn type_tables_are_consistent() {
    assert_eq!(
        ggml_type(12).map(|t| (t.block_elements, t.block_bytes)),
        Some((256, 144))
    );
    assert_eq!(ggml_type(39).map(|t| t.name), Some("MXFP4"));
    assert_eq!(ggml_type(4), None);
    let mut ids: Vec<u32> = GGML_TYPES.iter().map(|t| t.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), GGML_TYPES.len());
    assert_eq!(file_type_name(15), Some("Q4_K_M"));
    assert_eq!(file_type_name(7), Some("Q8_0"));
    assert_eq!(file_type_name(5), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn random_bytes_after_valid_header_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..512),
        tensors in 0u64..4,
        kvs in 0u64..4,
    ) {
        let mut b = header(3, tensors, kvs);
        b.extend_from_slice(&tail);
        let _ = parse(&b);
    }

    #[test]
    fn mutated_valid_file_never_panics(pos in 0usize..2000, byte in any::<u8>()) {
        let mut bytes = TestGguf::gpt_oss_20b().to_bytes().unwrap();
        let i = pos % bytes.len();
        bytes[i] = byte;
        let _ = parse(&bytes);
    }
}
