//! Writer of small valid GGUF v3 files for tests (this crate's and the app's integration tests).
//!
//! Not for production use: it writes zero-filled tensor data and keeps everything in memory.

use std::io::Write;
use std::path::Path;

use super::gguf::{ggml_type_by_name, GGUF_MAGIC};

/// A metadata value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum TestValue {
    /// GGUF type 0.
    U8(u8),
    /// GGUF type 1.
    I8(i8),
    /// GGUF type 2.
    U16(u16),
    /// GGUF type 3.
    I16(i16),
    /// GGUF type 4.
    U32(u32),
    /// GGUF type 5.
    I32(i32),
    /// GGUF type 6.
    F32(f32),
    /// GGUF type 7.
    Bool(bool),
    /// GGUF type 8.
    Str(String),
    /// GGUF type 9; the element type is taken from the first element (u8 when empty).
    Array(Vec<TestValue>),
    /// GGUF type 10.
    U64(u64),
    /// GGUF type 11.
    I64(i64),
    /// GGUF type 12.
    F64(f64),
}

impl TestValue {
    fn type_id(&self) -> u32 {
        match self {
            TestValue::U8(_) => 0,
            TestValue::I8(_) => 1,
            TestValue::U16(_) => 2,
            TestValue::I16(_) => 3,
            TestValue::U32(_) => 4,
            TestValue::I32(_) => 5,
            TestValue::F32(_) => 6,
            TestValue::Bool(_) => 7,
            TestValue::Str(_) => 8,
            TestValue::Array(_) => 9,
            TestValue::U64(_) => 10,
            TestValue::I64(_) => 11,
            TestValue::F64(_) => 12,
        }
    }

    fn write_payload(&self, out: &mut Vec<u8>) {
        match self {
            TestValue::U8(v) => out.push(*v),
            TestValue::I8(v) => out.extend_from_slice(&v.to_le_bytes()),
            TestValue::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
            TestValue::I16(v) => out.extend_from_slice(&v.to_le_bytes()),
            TestValue::U32(v) => out.extend_from_slice(&v.to_le_bytes()),
            TestValue::I32(v) => out.extend_from_slice(&v.to_le_bytes()),
            TestValue::F32(v) => out.extend_from_slice(&v.to_le_bytes()),
            TestValue::Bool(v) => out.push(u8::from(*v)),
            TestValue::Str(s) => write_str(out, s),
            TestValue::Array(items) => {
                let elem = items.first().map_or(0, TestValue::type_id);
                out.extend_from_slice(&elem.to_le_bytes());
                out.extend_from_slice(&(items.len() as u64).to_le_bytes());
                for item in items {
                    item.write_payload(out);
                }
            }
            TestValue::U64(v) => out.extend_from_slice(&v.to_le_bytes()),
            TestValue::I64(v) => out.extend_from_slice(&v.to_le_bytes()),
            TestValue::F64(v) => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// A tensor to write: name, dims (innermost first) and ggml type name (e.g. `Q4_K`).
#[derive(Debug, Clone, PartialEq)]
pub struct TestTensor {
    /// Tensor name.
    pub name: String,
    /// Dimensions; the first must be a multiple of the type's block size.
    pub dims: Vec<u64>,
    /// ggml type name, e.g. `F32`, `Q4_K`, `MXFP4`.
    pub ggml_type: String,
}

/// A GGUF file to write.
#[derive(Debug, Clone, PartialEq)]
pub struct TestGguf {
    /// Format version written (3 by default; 2 is also valid).
    pub version: u32,
    /// Metadata in file order.
    pub metadata: Vec<(String, TestValue)>,
    /// Tensors in file order; data is zero-filled.
    pub tensors: Vec<TestTensor>,
    /// Alignment of tensor data, written as `general.alignment` when not 32; a
    /// `general.alignment` entry in `metadata` takes precedence.
    pub alignment_bytes: u64,
}

impl Default for TestGguf {
    fn default() -> Self {
        TestGguf {
            version: 3,
            metadata: Vec::new(),
            tensors: Vec::new(),
            alignment_bytes: 32,
        }
    }
}

impl TestGguf {
    /// Adds a metadata key.
    pub fn kv(mut self, key: &str, value: TestValue) -> Self {
        self.metadata.push((key.to_string(), value));
        self
    }

    /// Adds a tensor.
    pub fn tensor(mut self, name: &str, dims: &[u64], ggml_type: &str) -> Self {
        self.tensors.push(TestTensor {
            name: name.to_string(),
            dims: dims.to_vec(),
            ggml_type: ggml_type.to_string(),
        });
        self
    }

    /// A file shaped like Qwen3-Coder-30B-A3B (arch `qwen3moe`, 262,144-token context,
    /// 48 layers, 32 query heads, 4 KV heads of 128 dims, 128 experts with 8 active),
    /// file type Q4_K_M, with a few tiny tensors.
    pub fn qwen3_coder_30b_a3b() -> Self {
        let a = |k: &str| format!("qwen3moe.{k}");
        TestGguf::default()
            .kv("general.architecture", TestValue::Str("qwen3moe".into()))
            .kv(
                "general.name",
                TestValue::Str("Qwen3-Coder-30B-A3B-Instruct".into()),
            )
            .kv("general.file_type", TestValue::U32(15))
            .kv(&a("context_length"), TestValue::U32(262_144))
            .kv(&a("block_count"), TestValue::U32(48))
            .kv(&a("embedding_length"), TestValue::U32(2048))
            .kv(&a("feed_forward_length"), TestValue::U32(5472))
            .kv(&a("expert_feed_forward_length"), TestValue::U32(768))
            .kv(&a("attention.head_count"), TestValue::U32(32))
            .kv(&a("attention.head_count_kv"), TestValue::U32(4))
            .kv(&a("attention.key_length"), TestValue::U32(128))
            .kv(&a("attention.value_length"), TestValue::U32(128))
            .kv(&a("expert_count"), TestValue::U32(128))
            .kv(&a("expert_used_count"), TestValue::U32(8))
            .kv(&a("rope.freq_base"), TestValue::F32(10_000_000.0))
            .kv("tokenizer.ggml.model", TestValue::Str("gpt2".into()))
            .kv(
                "tokenizer.ggml.tokens",
                TestValue::Array(
                    (0..300)
                        .map(|i| TestValue::Str(format!("tok{i}")))
                        .collect(),
                ),
            )
            .kv("general.quantization_version", TestValue::U32(2))
            .tensor("token_embd.weight", &[256, 2], "Q4_K")
            .tensor("blk.0.attn_norm.weight", &[16], "F32")
            .tensor("blk.0.ffn_down_exps.weight", &[256, 1, 2], "Q6_K")
            .tensor("blk.0.ffn_gate_exps.weight", &[256, 1, 2], "Q4_K")
            .tensor("output.weight", &[32, 2], "Q8_0")
    }

    /// A file shaped like gpt-oss-20b (arch `gpt-oss`, 131,072-token context, sliding window
    /// 128, 8 KV heads of 64 dims, 32 experts with 4 active, MXFP4 expert tensors).
    pub fn gpt_oss_20b() -> Self {
        let a = |k: &str| format!("gpt-oss.{k}");
        TestGguf::default()
            .kv("general.architecture", TestValue::Str("gpt-oss".into()))
            .kv("general.name", TestValue::Str("Gpt Oss 20b".into()))
            .kv("general.file_type", TestValue::U32(38))
            .kv("general.alignment", TestValue::U32(32))
            .kv(&a("context_length"), TestValue::U32(131_072))
            .kv(&a("block_count"), TestValue::U32(24))
            .kv(&a("embedding_length"), TestValue::U32(2880))
            .kv(&a("feed_forward_length"), TestValue::U32(2880))
            .kv(&a("attention.head_count"), TestValue::U32(64))
            .kv(&a("attention.head_count_kv"), TestValue::U32(8))
            .kv(&a("attention.key_length"), TestValue::U32(64))
            .kv(&a("attention.value_length"), TestValue::U32(64))
            .kv(&a("attention.sliding_window"), TestValue::U32(128))
            .kv(&a("expert_count"), TestValue::U32(32))
            .kv(&a("expert_used_count"), TestValue::U32(4))
            .kv(&a("rope.scaling.factor"), TestValue::F32(32.0))
            .kv(
                &a("rope.scaling.original_context_length"),
                TestValue::U32(4096),
            )
            .kv("tokenizer.ggml.model", TestValue::Str("gpt2".into()))
            .tensor("token_embd.weight", &[64, 2], "Q8_0")
            .tensor("blk.0.ffn_down_exps.weight", &[64, 2, 4], "MXFP4")
            .tensor("blk.0.attn_sinks.weight", &[64], "F32")
            .tensor("output.weight", &[64, 1], "BF16")
    }

    /// Encodes the file. Tensor data is zero-filled; the file ends exactly where the last
    /// tensor's data ends, so cutting any byte off makes it invalid.
    /// Fails with `InvalidInput` on an unknown ggml type name.
    pub fn to_bytes(&self) -> std::io::Result<Vec<u8>> {
        let mut metadata = self.metadata.clone();
        let explicit = metadata.iter().find_map(|(k, v)| match (k.as_str(), v) {
            ("general.alignment", TestValue::U32(a)) => Some(u64::from(*a)),
            ("general.alignment", TestValue::U64(a)) => Some(*a),
            _ => None,
        });
        let align = match explicit {
            Some(a) => a,
            None => {
                if self.alignment_bytes != 32 {
                    let a = u32::try_from(self.alignment_bytes).unwrap_or(32);
                    metadata.push(("general.alignment".to_string(), TestValue::U32(a)));
                }
                self.alignment_bytes
            }
        }
        .max(1);
        let mut out = Vec::new();
        out.extend_from_slice(&GGUF_MAGIC);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        out.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
        for (key, value) in &metadata {
            write_str(&mut out, key);
            out.extend_from_slice(&value.type_id().to_le_bytes());
            value.write_payload(&mut out);
        }
        let mut offset = 0u64;
        let mut sizes = Vec::new();
        for t in &self.tensors {
            let Some(gt) = ggml_type_by_name(&t.ggml_type) else {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("unknown ggml type {}", t.ggml_type),
                ));
            };
            let elements: u64 = t.dims.iter().product();
            let bytes = elements / gt.block_elements * gt.block_bytes;
            offset = offset.div_ceil(align) * align;
            write_str(&mut out, &t.name);
            out.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            out.extend_from_slice(&gt.id.to_le_bytes());
            out.extend_from_slice(&offset.to_le_bytes());
            sizes.push((offset, bytes));
            offset += bytes;
        }
        let data_start = (out.len() as u64).div_ceil(align) * align;
        out.resize(data_start as usize, 0);
        if let Some(&(last_off, last_bytes)) = sizes.last() {
            out.resize((data_start + last_off + last_bytes) as usize, 0);
        }
        Ok(out)
    }
}

/// Writes `gguf` to `path`.
pub fn write_test_gguf(path: &Path, gguf: &TestGguf) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(&gguf.to_bytes()?)?;
    f.flush()
}
