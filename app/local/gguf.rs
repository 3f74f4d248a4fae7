//! Bounded, read-only parser for GGUF headers: metadata and tensor table, never tensor data.
//!
//! Format reference: ggml's `docs/gguf.md` and llama.cpp's `ggml/src/gguf.cpp`. Only
//! little-endian files of versions 2 and 3 are accepted. Every count read from the file is
//! checked against the bytes that remain before anything is allocated, strings and arrays are
//! capped, and all offset arithmetic is checked, so a hostile file yields a [`GgufError`]
//! naming what was being read and at which byte, never a panic or a large allocation.

use std::collections::BTreeMap;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The four magic bytes every GGUF file starts with.
pub const GGUF_MAGIC: [u8; 4] = *b"GGUF";
/// Alignment of the tensor data section when `general.alignment` is absent.
pub const GGUF_DEFAULT_ALIGNMENT_BYTES: u64 = 32;
/// Longest metadata key or tensor name accepted, in bytes.
pub const MAX_KEY_BYTES: u64 = 64 * 1024;
/// Longest string value kept in the metadata summary, in bytes; longer ones are skipped.
pub const MAX_STRING_BYTES: u64 = 1024 * 1024;
/// Numeric arrays with at most this many elements are kept in full in the summary.
pub const MAX_KEPT_ARRAY_ELEMENTS: u64 = 4096;
/// Deepest nesting of arrays inside arrays accepted (llama.cpp itself accepts none).
pub const MAX_ARRAY_DEPTH: u32 = 3;
/// Most dimensions a tensor may have (`GGML_MAX_DIMS`).
pub const MAX_TENSOR_DIMS: u32 = 4;
/// Total budget of string bytes kept in one file's metadata summary.
const KEPT_STRING_BUDGET_BYTES: u64 = 16 * 1024 * 1024;
/// Total budget of array elements kept in one file's metadata summary.
const KEPT_ARRAY_BUDGET_ELEMENTS: u64 = 1024 * 1024;
/// Smallest possible encoded metadata key/value pair: key length, value type, one byte.
const MIN_KV_BYTES: u64 = 8 + 4 + 1;
/// Smallest possible encoded tensor info: name length, n_dims, type, offset.
const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 4 + 8;

/// What went wrong while reading a GGUF file.
#[derive(Debug, thiserror::Error)]
pub enum GgufErrorKind {
    /// The file could not be opened or its size read.
    #[error("cannot open: {0}")]
    Open(#[source] std::io::Error),
    /// An I/O error other than end-of-file.
    #[error("I/O error reading {what} at byte {offset}: {source}")]
    Io {
        /// What was being read.
        what: String,
        /// Byte offset of the read.
        offset: u64,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The first four bytes are not `GGUF`.
    #[error("not a GGUF file: magic bytes {found:02x?} at byte 0 (expected \"GGUF\")")]
    BadMagic {
        /// The bytes found.
        found: [u8; 4],
    },
    /// The version field reads as a byte-swapped 2 or 3.
    #[error("big-endian GGUF files are not supported (version field {raw:#010x} at byte 4)")]
    BigEndian {
        /// The version field as read little-endian.
        raw: u32,
    },
    /// A version other than 2 or 3.
    #[error("unsupported GGUF version {version} at byte 4 (only versions 2 and 3 are read)")]
    UnsupportedVersion {
        /// The version found.
        version: u32,
    },
    /// The file ends before a field does.
    #[error("file truncated: {what} at byte {offset} needs {needed_bytes} bytes, {available_bytes} remain")]
    Truncated {
        /// What was being read.
        what: String,
        /// Byte offset of the read.
        offset: u64,
        /// Bytes the field needs.
        needed_bytes: u64,
        /// Bytes left in the file.
        available_bytes: u64,
    },
    /// A count that the remaining file cannot possibly hold.
    #[error("{what} at byte {offset} is {count}, more than the remaining {available_bytes} bytes can hold")]
    CountTooLarge {
        /// What was counted.
        what: String,
        /// Byte offset of the count.
        offset: u64,
        /// The count found.
        count: u64,
        /// Bytes left in the file.
        available_bytes: u64,
    },
    /// A key or tensor name over [`MAX_KEY_BYTES`].
    #[error("{what} at byte {offset} is {len_bytes} bytes long, over the {max_bytes}-byte limit")]
    StringTooLong {
        /// What was being read.
        what: String,
        /// Byte offset of the length field.
        offset: u64,
        /// The length found.
        len_bytes: u64,
        /// The limit.
        max_bytes: u64,
    },
    /// A key or tensor name that is not UTF-8.
    #[error("{what} at byte {offset} is not valid UTF-8")]
    BadUtf8 {
        /// What was being read.
        what: String,
        /// Byte offset of the string bytes.
        offset: u64,
    },
    /// A metadata value type outside 0..=12.
    #[error("unknown metadata value type {type_id} for {what} at byte {offset}")]
    UnknownValueType {
        /// The type id found.
        type_id: u32,
        /// The key it belongs to.
        what: String,
        /// Byte offset of the type field.
        offset: u64,
    },
    /// Arrays nested deeper than [`MAX_ARRAY_DEPTH`].
    #[error("arrays nested deeper than {max_depth} levels in {what} at byte {offset}")]
    NestingTooDeep {
        /// The key being read.
        what: String,
        /// Byte offset of the inner array.
        offset: u64,
        /// The limit.
        max_depth: u32,
    },
    /// `general.alignment` is zero, not a power of two, or not an integer.
    #[error("invalid general.alignment {value} (must be a power of two)")]
    BadAlignment {
        /// The value found, as text.
        value: String,
    },
    /// A tensor with more than [`MAX_TENSOR_DIMS`] dimensions.
    #[error(
        "tensor '{tensor}' at byte {offset} has {n_dims} dimensions (at most {MAX_TENSOR_DIMS})"
    )]
    TooManyDims {
        /// Tensor name.
        tensor: String,
        /// Byte offset of the n_dims field.
        offset: u64,
        /// The count found.
        n_dims: u32,
    },
    /// The product of a tensor's dimensions overflows, or its byte size does.
    #[error("tensor '{tensor}' at byte {offset}: dimensions {dims:?} overflow")]
    DimsOverflow {
        /// Tensor name.
        tensor: String,
        /// Byte offset of the dims.
        offset: u64,
        /// The dims found.
        dims: Vec<u64>,
    },
    /// A ggml tensor type this parser has no block size for.
    #[error("tensor '{tensor}' at byte {offset} has unknown ggml type {type_id}")]
    UnknownTensorType {
        /// Tensor name.
        tensor: String,
        /// Byte offset of the type field.
        offset: u64,
        /// The type id found.
        type_id: u32,
    },
    /// A tensor whose row length is not a whole number of quantisation blocks.
    #[error("tensor '{tensor}': first dimension {ne0} is not a multiple of the {type_name} block size {block_elements}")]
    NotBlockMultiple {
        /// Tensor name.
        tensor: String,
        /// First dimension.
        ne0: u64,
        /// ggml type name.
        type_name: &'static str,
        /// Elements per block.
        block_elements: u64,
    },
    /// A tensor offset that is not aligned or whose data lies past the end of the file.
    #[error("tensor '{tensor}': data at bytes {start}..{end} {problem} (file is {file_len_bytes} bytes)")]
    TensorOutOfBounds {
        /// Tensor name.
        tensor: String,
        /// Absolute start of the data.
        start: u64,
        /// Absolute end of the data (saturating).
        end: u64,
        /// Size of the file.
        file_len_bytes: u64,
        /// What is wrong.
        problem: &'static str,
    },
}

/// An error reading a GGUF file: what went wrong and, when known, in which file.
#[derive(Debug, thiserror::Error)]
#[error("{}{kind}", path_prefix(.path.as_deref()))]
pub struct GgufError {
    /// The file, when the error came from [`read_gguf`].
    pub path: Option<PathBuf>,
    /// What went wrong.
    #[source]
    pub kind: GgufErrorKind,
}

fn path_prefix(path: Option<&Path>) -> String {
    path.map(|p| format!("{}: ", p.display()))
        .unwrap_or_default()
}

impl From<GgufErrorKind> for GgufError {
    fn from(kind: GgufErrorKind) -> Self {
        GgufError { path: None, kind }
    }
}

/// One ggml tensor type: name, elements per block and bytes per block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GgmlType {
    /// The `ggml_type` enum value stored in the tensor table.
    pub id: u32,
    /// llama.cpp's name, upper case (e.g. `Q4_K`).
    pub name: &'static str,
    /// Elements per block (`blck_size`).
    pub block_elements: u64,
    /// Bytes per block (`type_size`).
    pub block_bytes: u64,
}

const fn gt(id: u32, name: &'static str, block_elements: u64, block_bytes: u64) -> GgmlType {
    GgmlType {
        id,
        name,
        block_elements,
        block_bytes,
    }
}

/// The ggml tensor types with their block geometry.
///
/// Ids from `enum ggml_type` in llama.cpp's `ggml/include/ggml.h`; block sizes and bytes per
/// block from the `block_*` structs and their `static_assert`s in `ggml/src/ggml-common.h`
/// (QK_K = 256; ggml_half = 2 bytes), as registered in `type_traits` in `ggml/src/ggml.c`.
/// Ids 4, 5, 31..=33 and 36..=38 were removed upstream and are absent here.
pub const GGML_TYPES: &[GgmlType] = &[
    gt(0, "F32", 1, 4),
    gt(1, "F16", 1, 2),
    gt(2, "Q4_0", 32, 18),    // d + qs[16]
    gt(3, "Q4_1", 32, 20),    // d, m + qs[16]
    gt(6, "Q5_0", 32, 22),    // d + qh[4] + qs[16]
    gt(7, "Q5_1", 32, 24),    // d, m + qh[4] + qs[16]
    gt(8, "Q8_0", 32, 34),    // d + qs[32]
    gt(9, "Q8_1", 32, 36),    // d, s + qs[32]
    gt(10, "Q2_K", 256, 84),  // scales[16] + qs[64] + d, dmin
    gt(11, "Q3_K", 256, 110), // hmask[32] + qs[64] + scales[12] + d
    gt(12, "Q4_K", 256, 144), // d, dmin + scales[12] + qs[128]
    gt(13, "Q5_K", 256, 176), // d, dmin + scales[12] + qh[32] + qs[128]
    gt(14, "Q6_K", 256, 210), // ql[128] + qh[64] + scales[16] + d
    gt(15, "Q8_K", 256, 292), // float d + qs[256] + bsums[16] (int16)
    gt(16, "IQ2_XXS", 256, 66),
    gt(17, "IQ2_XS", 256, 74),
    gt(18, "IQ3_XXS", 256, 98),
    gt(19, "IQ1_S", 256, 50),
    gt(20, "IQ4_NL", 32, 18),
    gt(21, "IQ3_S", 256, 110),
    gt(22, "IQ2_S", 256, 82),
    gt(23, "IQ4_XS", 256, 136),
    gt(24, "I8", 1, 1),
    gt(25, "I16", 1, 2),
    gt(26, "I32", 1, 4),
    gt(27, "I64", 1, 8),
    gt(28, "F64", 1, 8),
    gt(29, "IQ1_M", 256, 56),
    gt(30, "BF16", 1, 2),
    gt(34, "TQ1_0", 256, 54), // qs[48] + qh[4] + d
    gt(35, "TQ2_0", 256, 66), // qs[64] + d
    gt(39, "MXFP4", 32, 17),  // e (E8M0) + qs[16]
    gt(40, "NVFP4", 64, 36),  // d[4] (UE4M3) + qs[32]
    gt(41, "Q1_0", 128, 18),  // d + qs[16]
    gt(42, "Q2_0", 64, 18),   // d + qs[16]
];

/// Looks up a ggml tensor type by its enum value.
pub fn ggml_type(id: u32) -> Option<&'static GgmlType> {
    GGML_TYPES.iter().find(|t| t.id == id)
}

/// Looks up a ggml tensor type by name (case-insensitive).
pub fn ggml_type_by_name(name: &str) -> Option<&'static GgmlType> {
    GGML_TYPES
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
}

/// llama.cpp's name for a `general.file_type` value (`enum llama_ftype` in `include/llama.h`),
/// e.g. 15 -> `Q4_K_M`.
pub fn file_type_name(file_type: u32) -> Option<&'static str> {
    Some(match file_type {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        4 => "Q4_1_SOME_F16",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        39 => "NVFP4",
        40 => "Q1_0",
        _ => return None,
    })
}

/// A summarised metadata value. Large arrays and very long strings keep only their length.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum MetaValue {
    /// A boolean.
    Bool(bool),
    /// Any unsigned integer (u8, u16, u32, u64).
    Uint(u64),
    /// Any signed integer (i8, i16, i32, i64).
    Int(i64),
    /// f32 or f64.
    Float(f64),
    /// A string of at most [`MAX_STRING_BYTES`] (invalid UTF-8 replaced).
    Str(String),
    /// A string that was too long to keep.
    LongString {
        /// Its length.
        len_bytes: u64,
    },
    /// A small array of unsigned integers or booleans (0/1), kept in full.
    UintArray(Vec<u64>),
    /// A small array of signed integers, kept in full.
    IntArray(Vec<i64>),
    /// A small array of floats, kept in full.
    FloatArray(Vec<f64>),
    /// Any other array (strings, nested, large): only its element type and length.
    Array {
        /// GGUF element type name (`string`, `u32`, `array`, ...).
        element_type: &'static str,
        /// Number of elements.
        len: u64,
    },
}

impl MetaValue {
    /// The value as an unsigned integer, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            MetaValue::Uint(v) => Some(*v),
            MetaValue::Int(v) => u64::try_from(*v).ok(),
            _ => None,
        }
    }

    /// The value as a float, if it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            MetaValue::Uint(v) => Some(*v as f64),
            MetaValue::Int(v) => Some(*v as f64),
            MetaValue::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as a string slice, if it is a kept string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The values as unsigned integers, if this is a kept integer array with none negative.
    pub fn as_u64_array(&self) -> Option<Vec<u64>> {
        match self {
            MetaValue::UintArray(v) => Some(v.clone()),
            MetaValue::IntArray(v) => v.iter().map(|x| u64::try_from(*x).ok()).collect(),
            _ => None,
        }
    }

    /// Length of an array value (kept or not).
    pub fn array_len(&self) -> Option<u64> {
        match self {
            MetaValue::UintArray(v) => Some(v.len() as u64),
            MetaValue::IntArray(v) => Some(v.len() as u64),
            MetaValue::FloatArray(v) => Some(v.len() as u64),
            MetaValue::Array { len, .. } => Some(*len),
            _ => None,
        }
    }
}

/// Count, elements and bytes of all tensors of one ggml type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TensorTypeSummary {
    /// Number of tensors of this type.
    pub tensor_count: u64,
    /// Total elements (weights).
    pub elements: u64,
    /// Total bytes of tensor data, exact from the block geometry.
    pub bytes: u64,
}

/// One entry of the tensor table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GgufTensor {
    /// Tensor name, e.g. `blk.0.ffn_down_exps.weight`.
    pub name: String,
    /// ggml type name.
    pub ggml_type: &'static str,
    /// Dimensions, innermost first.
    pub dims: Vec<u64>,
    /// Elements.
    pub elements: u64,
    /// Exact bytes of data.
    pub bytes: u64,
    /// Offset of the data relative to the data section.
    pub offset_bytes: u64,
}

/// What a GGUF header says about a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GgufInfo {
    /// GGUF format version (2 or 3).
    pub version: u32,
    /// Size of the file.
    pub file_len_bytes: u64,
    /// Number of tensors in the table.
    pub tensor_count: u64,
    /// Number of metadata key/value pairs.
    pub metadata_count: u64,
    /// `general.architecture`, e.g. `qwen3moe`.
    pub architecture: Option<String>,
    /// `general.name`.
    pub name: Option<String>,
    /// `general.file_type` (a `llama_ftype` value).
    pub file_type: Option<u32>,
    /// llama.cpp's name for `file_type`, e.g. `Q4_K_M`.
    pub file_type_name: Option<String>,
    /// `<arch>.context_length`: the context the model was trained for.
    pub context_length_tokens: Option<u64>,
    /// `<arch>.block_count`: transformer layers.
    pub block_count: Option<u64>,
    /// `<arch>.embedding_length`.
    pub embedding_length: Option<u64>,
    /// `<arch>.feed_forward_length` (max when per-layer).
    pub feed_forward_length: Option<u64>,
    /// `<arch>.expert_feed_forward_length` (MoE).
    pub expert_feed_forward_length: Option<u64>,
    /// `<arch>.attention.head_count` (max when per-layer).
    pub head_count: Option<u64>,
    /// `<arch>.attention.head_count_kv` (max when per-layer).
    pub head_count_kv: Option<u64>,
    /// `<arch>.attention.head_count_kv` when stored per layer.
    pub head_count_kv_per_layer: Option<Vec<u64>>,
    /// `<arch>.attention.key_length`: K head dimension.
    pub key_length: Option<u64>,
    /// `<arch>.attention.value_length`: V head dimension.
    pub value_length: Option<u64>,
    /// `<arch>.attention.sliding_window`, in tokens.
    pub sliding_window_tokens: Option<u64>,
    /// `<arch>.expert_count`.
    pub expert_count: Option<u64>,
    /// `<arch>.expert_used_count`.
    pub expert_used_count: Option<u64>,
    /// Length of `tokenizer.ggml.tokens`, else `<arch>.vocab_size`.
    pub vocab_size: Option<u64>,
    /// `<arch>.rope.scaling.factor`.
    pub rope_scaling_factor: Option<f64>,
    /// `<arch>.rope.scaling.original_context_length`.
    pub rope_scaling_original_context_tokens: Option<u64>,
    /// `split.count` for a file that is one part of a split model.
    pub split_count: Option<u64>,
    /// Per ggml type name: tensors, elements and bytes.
    pub tensor_types: BTreeMap<String, TensorTypeSummary>,
    /// The tensor table.
    pub tensors: Vec<GgufTensor>,
    /// Sum of all tensor elements (the parameter count).
    pub total_elements: u64,
    /// Sum of all tensor bytes.
    pub total_tensor_bytes: u64,
    /// Bytes of MoE expert tensors (names containing `_exps`).
    pub expert_tensor_bytes: u64,
    /// `general.alignment`, default 32.
    pub alignment_bytes: u64,
    /// Absolute offset of the tensor data section.
    pub data_offset_bytes: u64,
    /// Summary of every metadata key.
    pub metadata: BTreeMap<String, MetaValue>,
}

impl GgufInfo {
    /// Looks up `<architecture>.<suffix>` in the metadata.
    pub fn arch_value(&self, suffix: &str) -> Option<&MetaValue> {
        let arch = self.architecture.as_deref()?;
        self.metadata.get(&format!("{arch}.{suffix}"))
    }
}

/// Reads the header of the GGUF file at `path`.
pub fn read_gguf(path: &Path) -> Result<GgufInfo, GgufError> {
    let with_path = |kind: GgufErrorKind| GgufError {
        path: Some(path.to_path_buf()),
        kind,
    };
    // Refuse FIFOs and devices before opening (opening a FIFO would block), open without
    // blocking, and check the open file again.
    let (file, meta) = crate::fsio::open_regular(path).map_err(|e| {
        with_path(GgufErrorKind::Open(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            e.reason(),
        )))
    })?;
    let file_len = meta.len();
    parse_gguf(file, file_len).map_err(|e| with_path(e.kind))
}

/// Parses a GGUF header from `r`, a stream of `file_len` bytes positioned anywhere (it is
/// rewound to the start). Reads only the header and tensor table.
pub fn parse_gguf<R: Read + Seek>(r: R, file_len: u64) -> Result<GgufInfo, GgufError> {
    let mut cur = Cursor {
        r: BufReader::with_capacity(64 * 1024, r),
        pos: 0,
        len: file_len,
        kept_string_bytes: 0,
        kept_array_elements: 0,
    };
    cur.r
        .seek(SeekFrom::Start(0))
        .map_err(|e| GgufErrorKind::Io {
            what: "start of file".into(),
            offset: 0,
            source: e,
        })?;
    Ok(cur.parse()?)
}

type PResult<T> = Result<T, GgufErrorKind>;

struct Cursor<R> {
    r: BufReader<R>,
    pos: u64,
    len: u64,
    kept_string_bytes: u64,
    kept_array_elements: u64,
}

const TYPE_U8: u32 = 0;
const TYPE_I8: u32 = 1;
const TYPE_U16: u32 = 2;
const TYPE_I16: u32 = 3;
const TYPE_U32: u32 = 4;
const TYPE_I32: u32 = 5;
const TYPE_F32: u32 = 6;
const TYPE_BOOL: u32 = 7;
const TYPE_STRING: u32 = 8;
const TYPE_ARRAY: u32 = 9;
const TYPE_U64: u32 = 10;
const TYPE_I64: u32 = 11;
const TYPE_F64: u32 = 12;

/// Encoded size of a fixed-size value type; `None` for string and array.
fn fixed_size(ty: u32) -> Option<u64> {
    match ty {
        TYPE_U8 | TYPE_I8 | TYPE_BOOL => Some(1),
        TYPE_U16 | TYPE_I16 => Some(2),
        TYPE_U32 | TYPE_I32 | TYPE_F32 => Some(4),
        TYPE_U64 | TYPE_I64 | TYPE_F64 => Some(8),
        _ => None,
    }
}

fn type_name(ty: u32) -> &'static str {
    match ty {
        TYPE_U8 => "u8",
        TYPE_I8 => "i8",
        TYPE_U16 => "u16",
        TYPE_I16 => "i16",
        TYPE_U32 => "u32",
        TYPE_I32 => "i32",
        TYPE_F32 => "f32",
        TYPE_BOOL => "bool",
        TYPE_STRING => "string",
        TYPE_ARRAY => "array",
        TYPE_U64 => "u64",
        TYPE_I64 => "i64",
        TYPE_F64 => "f64",
        _ => "unknown",
    }
}

impl<R: Read + Seek> Cursor<R> {
    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn need(&self, n: u64, what: &str) -> PResult<()> {
        if n > self.remaining() {
            return Err(GgufErrorKind::Truncated {
                what: what.to_string(),
                offset: self.pos,
                needed_bytes: n,
                available_bytes: self.remaining(),
            });
        }
        Ok(())
    }

    fn io_err(&self, what: &str, needed: u64, e: std::io::Error) -> GgufErrorKind {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            GgufErrorKind::Truncated {
                what: what.to_string(),
                offset: self.pos,
                needed_bytes: needed,
                available_bytes: 0,
            }
        } else {
            GgufErrorKind::Io {
                what: what.to_string(),
                offset: self.pos,
                source: e,
            }
        }
    }

    fn array<const N: usize>(&mut self, what: &str) -> PResult<[u8; N]> {
        self.need(N as u64, what)?;
        let mut buf = [0u8; N];
        self.r
            .read_exact(&mut buf)
            .map_err(|e| self.io_err(what, N as u64, e))?;
        self.pos += N as u64;
        Ok(buf)
    }

    fn u32(&mut self, what: &str) -> PResult<u32> {
        Ok(u32::from_le_bytes(self.array::<4>(what)?))
    }

    fn u64(&mut self, what: &str) -> PResult<u64> {
        Ok(u64::from_le_bytes(self.array::<8>(what)?))
    }

    fn skip(&mut self, n: u64, what: &str) -> PResult<()> {
        self.need(n, what)?;
        let delta = i64::try_from(n).map_err(|_| GgufErrorKind::CountTooLarge {
            what: what.to_string(),
            offset: self.pos,
            count: n,
            available_bytes: self.remaining(),
        })?;
        self.r
            .seek_relative(delta)
            .map_err(|e| self.io_err(what, n, e))?;
        self.pos += n;
        Ok(())
    }

    fn bytes(&mut self, n: u64, what: &str) -> PResult<Vec<u8>> {
        self.need(n, what)?;
        // `n` is bounded by the remaining file length and by the caller's cap.
        let len = usize::try_from(n).map_err(|_| GgufErrorKind::CountTooLarge {
            what: what.to_string(),
            offset: self.pos,
            count: n,
            available_bytes: self.remaining(),
        })?;
        let mut buf = vec![0u8; len];
        self.r
            .read_exact(&mut buf)
            .map_err(|e| self.io_err(what, n, e))?;
        self.pos += n;
        Ok(buf)
    }

    /// Reads a string length and checks it against the file and `max_bytes`.
    fn string_len(&mut self, what: &str) -> PResult<u64> {
        let len = self.u64(&format!("length of {what}"))?;
        if len > self.remaining() {
            return Err(GgufErrorKind::Truncated {
                what: what.to_string(),
                offset: self.pos,
                needed_bytes: len,
                available_bytes: self.remaining(),
            });
        }
        Ok(len)
    }

    /// A key or tensor name: capped at [`MAX_KEY_BYTES`], must be UTF-8.
    fn name(&mut self, what: &str) -> PResult<String> {
        let offset = self.pos;
        let len = self.string_len(what)?;
        if len > MAX_KEY_BYTES {
            return Err(GgufErrorKind::StringTooLong {
                what: what.to_string(),
                offset,
                len_bytes: len,
                max_bytes: MAX_KEY_BYTES,
            });
        }
        let start = self.pos;
        let raw = self.bytes(len, what)?;
        String::from_utf8(raw).map_err(|_| GgufErrorKind::BadUtf8 {
            what: what.to_string(),
            offset: start,
        })
    }

    /// A string value: kept when short enough and within budget, else skipped.
    fn string_value(&mut self, what: &str) -> PResult<MetaValue> {
        let len = self.string_len(what)?;
        let budget_left = KEPT_STRING_BUDGET_BYTES.saturating_sub(self.kept_string_bytes);
        if len > MAX_STRING_BYTES || len > budget_left {
            self.skip(len, what)?;
            return Ok(MetaValue::LongString { len_bytes: len });
        }
        let raw = self.bytes(len, what)?;
        self.kept_string_bytes += len;
        Ok(MetaValue::Str(String::from_utf8_lossy(&raw).into_owned()))
    }

    fn scalar(&mut self, ty: u32, what: &str) -> PResult<MetaValue> {
        Ok(match ty {
            TYPE_U8 => MetaValue::Uint(u64::from(self.array::<1>(what)?[0])),
            TYPE_I8 => MetaValue::Int(i64::from(i8::from_le_bytes(self.array::<1>(what)?))),
            TYPE_U16 => MetaValue::Uint(u64::from(u16::from_le_bytes(self.array::<2>(what)?))),
            TYPE_I16 => MetaValue::Int(i64::from(i16::from_le_bytes(self.array::<2>(what)?))),
            TYPE_U32 => MetaValue::Uint(u64::from(self.u32(what)?)),
            TYPE_I32 => MetaValue::Int(i64::from(i32::from_le_bytes(self.array::<4>(what)?))),
            TYPE_F32 => MetaValue::Float(f64::from(f32::from_le_bytes(self.array::<4>(what)?))),
            TYPE_BOOL => MetaValue::Bool(self.array::<1>(what)?[0] != 0),
            TYPE_U64 => MetaValue::Uint(self.u64(what)?),
            TYPE_I64 => MetaValue::Int(i64::from_le_bytes(self.array::<8>(what)?)),
            TYPE_F64 => MetaValue::Float(f64::from_le_bytes(self.array::<8>(what)?)),
            _ => {
                return Err(GgufErrorKind::UnknownValueType {
                    type_id: ty,
                    what: what.to_string(),
                    offset: self.pos,
                })
            }
        })
    }

    /// Reads one value of type `ty` (whose type field was at `type_offset`).
    fn value(&mut self, ty: u32, what: &str, depth: u32, type_offset: u64) -> PResult<MetaValue> {
        match ty {
            TYPE_STRING => self.string_value(what),
            TYPE_ARRAY => self.array_value(what, depth),
            t if fixed_size(t).is_some() => self.scalar(t, what),
            _ => Err(GgufErrorKind::UnknownValueType {
                type_id: ty,
                what: what.to_string(),
                offset: type_offset,
            }),
        }
    }

    fn array_value(&mut self, what: &str, depth: u32) -> PResult<MetaValue> {
        if depth >= MAX_ARRAY_DEPTH {
            return Err(GgufErrorKind::NestingTooDeep {
                what: what.to_string(),
                offset: self.pos,
                max_depth: MAX_ARRAY_DEPTH,
            });
        }
        let type_offset = self.pos;
        let elem_ty = self.u32(&format!("array element type of {what}"))?;
        let min_elem_bytes = match elem_ty {
            TYPE_STRING => 8,
            TYPE_ARRAY => 12,
            t => fixed_size(t).ok_or_else(|| GgufErrorKind::UnknownValueType {
                type_id: elem_ty,
                what: format!("array element of {what}"),
                offset: type_offset,
            })?,
        };
        let count_offset = self.pos;
        let count = self.u64(&format!("array length of {what}"))?;
        let too_large = || GgufErrorKind::CountTooLarge {
            what: format!("array length of {what}"),
            offset: count_offset,
            count,
            available_bytes: self.remaining(),
        };
        let min_total = count.checked_mul(min_elem_bytes).ok_or_else(too_large)?;
        if min_total > self.remaining() {
            return Err(too_large());
        }
        let budget_left = KEPT_ARRAY_BUDGET_ELEMENTS.saturating_sub(self.kept_array_elements);
        match elem_ty {
            TYPE_STRING => {
                for _ in 0..count {
                    let len = self.string_len(&format!("string element of {what}"))?;
                    self.skip(len, what)?;
                }
            }
            TYPE_ARRAY => {
                for _ in 0..count {
                    self.array_value(what, depth + 1)?;
                }
            }
            t if count <= MAX_KEPT_ARRAY_ELEMENTS && count <= budget_left => {
                self.kept_array_elements += count;
                // `count` is at most MAX_KEPT_ARRAY_ELEMENTS, so these allocations are small.
                let cap = usize::try_from(count).unwrap_or(0);
                return Ok(match t {
                    TYPE_F32 | TYPE_F64 => {
                        let mut v = Vec::with_capacity(cap);
                        for _ in 0..count {
                            v.push(self.scalar(t, what)?.as_f64().unwrap_or(f64::NAN));
                        }
                        MetaValue::FloatArray(v)
                    }
                    TYPE_I8 | TYPE_I16 | TYPE_I32 | TYPE_I64 => {
                        let mut v = Vec::with_capacity(cap);
                        for _ in 0..count {
                            if let MetaValue::Int(x) = self.scalar(t, what)? {
                                v.push(x);
                            }
                        }
                        MetaValue::IntArray(v)
                    }
                    _ => {
                        let mut v = Vec::with_capacity(cap);
                        for _ in 0..count {
                            match self.scalar(t, what)? {
                                MetaValue::Uint(x) => v.push(x),
                                MetaValue::Bool(b) => v.push(u64::from(b)),
                                _ => {}
                            }
                        }
                        MetaValue::UintArray(v)
                    }
                });
            }
            _ => self.skip(min_total, what)?,
        }
        Ok(MetaValue::Array {
            element_type: type_name(elem_ty),
            len: count,
        })
    }

    fn parse(&mut self) -> PResult<GgufInfo> {
        let magic = self.array::<4>("magic")?;
        if magic != GGUF_MAGIC {
            return Err(GgufErrorKind::BadMagic { found: magic });
        }
        let version = self.u32("version")?;
        if version == 2u32.swap_bytes() || version == 3u32.swap_bytes() {
            return Err(GgufErrorKind::BigEndian { raw: version });
        }
        if version != 2 && version != 3 {
            return Err(GgufErrorKind::UnsupportedVersion { version });
        }
        let tc_offset = self.pos;
        let tensor_count = self.u64("tensor count")?;
        let kv_offset = self.pos;
        let kv_count = self.u64("metadata key/value count")?;
        let check_count = |what: &str, offset: u64, count: u64, min: u64, avail: u64| match count
            .checked_mul(min)
        {
            Some(total) if total <= avail => Ok(()),
            _ => Err(GgufErrorKind::CountTooLarge {
                what: what.to_string(),
                offset,
                count,
                available_bytes: avail,
            }),
        };
        let avail = self.remaining();
        check_count(
            "tensor count",
            tc_offset,
            tensor_count,
            MIN_TENSOR_INFO_BYTES,
            avail,
        )?;
        check_count(
            "metadata key/value count",
            kv_offset,
            kv_count,
            MIN_KV_BYTES,
            avail,
        )?;

        let mut metadata = BTreeMap::new();
        for i in 0..kv_count {
            let key = self.name(&format!("metadata key #{i}"))?;
            let type_offset = self.pos;
            let ty = self.u32(&format!("value type of '{key}'"))?;
            let value = self.value(ty, &format!("'{key}'"), 0, type_offset)?;
            metadata.entry(key).or_insert(value);
        }

        let alignment_bytes = match metadata.get("general.alignment") {
            None => GGUF_DEFAULT_ALIGNMENT_BYTES,
            Some(v) => match v.as_u64() {
                Some(a) if a > 0 && a.is_power_of_two() => a,
                _ => {
                    return Err(GgufErrorKind::BadAlignment {
                        value: format!("{v:?}"),
                    })
                }
            },
        };

        let mut info = derive_info(&metadata);
        info.version = version;
        info.file_len_bytes = self.len;
        info.tensor_count = tensor_count;
        info.metadata_count = kv_count;
        info.alignment_bytes = alignment_bytes;

        let mut tensors = Vec::new();
        for i in 0..tensor_count {
            let name = self.name(&format!("tensor name #{i}"))?;
            let dims_offset = self.pos;
            let n_dims = self.u32(&format!("dimension count of tensor '{name}'"))?;
            if n_dims > MAX_TENSOR_DIMS {
                return Err(GgufErrorKind::TooManyDims {
                    tensor: name,
                    offset: dims_offset,
                    n_dims,
                });
            }
            let mut dims = Vec::with_capacity(MAX_TENSOR_DIMS as usize);
            for d in 0..n_dims {
                dims.push(self.u64(&format!("dimension {d} of tensor '{name}'"))?);
            }
            let elements = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
            let type_offset = self.pos;
            let type_id = self.u32(&format!("type of tensor '{name}'"))?;
            let offset_bytes = self.u64(&format!("data offset of tensor '{name}'"))?;
            let Some(elements) = elements.filter(|&e| i64::try_from(e).is_ok()) else {
                return Err(GgufErrorKind::DimsOverflow {
                    tensor: name,
                    offset: dims_offset + 4,
                    dims,
                });
            };
            let Some(gt) = ggml_type(type_id) else {
                return Err(GgufErrorKind::UnknownTensorType {
                    tensor: name,
                    offset: type_offset,
                    type_id,
                });
            };
            let ne0 = dims.first().copied().unwrap_or(1);
            if ne0 % gt.block_elements != 0 {
                return Err(GgufErrorKind::NotBlockMultiple {
                    tensor: name,
                    ne0,
                    type_name: gt.name,
                    block_elements: gt.block_elements,
                });
            }
            let Some(bytes) = (elements / gt.block_elements).checked_mul(gt.block_bytes) else {
                return Err(GgufErrorKind::DimsOverflow {
                    tensor: name,
                    offset: dims_offset + 4,
                    dims,
                });
            };
            tensors.push(GgufTensor {
                name,
                ggml_type: gt.name,
                dims,
                elements,
                bytes,
                offset_bytes,
            });
        }

        let data_offset =
            align_up(self.pos, alignment_bytes).ok_or_else(|| GgufErrorKind::BadAlignment {
                value: alignment_bytes.to_string(),
            })?;
        info.data_offset_bytes = data_offset;

        for t in &tensors {
            let start = data_offset.checked_add(t.offset_bytes);
            let end = start.and_then(|s| s.checked_add(t.bytes));
            let problem = if t.offset_bytes % alignment_bytes != 0 {
                Some("is not aligned")
            } else {
                match end {
                    Some(e) if e <= self.len => None,
                    _ => Some("lies past the end of the file"),
                }
            };
            if let Some(problem) = problem {
                return Err(GgufErrorKind::TensorOutOfBounds {
                    tensor: t.name.clone(),
                    start: start.unwrap_or(u64::MAX),
                    end: end.unwrap_or(u64::MAX),
                    file_len_bytes: self.len,
                    problem,
                });
            }
            let s = info
                .tensor_types
                .entry(t.ggml_type.to_string())
                .or_default();
            s.tensor_count += 1;
            s.elements = s.elements.saturating_add(t.elements);
            s.bytes = s.bytes.saturating_add(t.bytes);
            info.total_elements = info.total_elements.saturating_add(t.elements);
            info.total_tensor_bytes = info.total_tensor_bytes.saturating_add(t.bytes);
            if t.name.contains("_exps") {
                info.expert_tensor_bytes = info.expert_tensor_bytes.saturating_add(t.bytes);
            }
        }
        info.tensors = tensors;
        info.metadata = metadata;
        Ok(info)
    }
}

fn align_up(pos: u64, alignment: u64) -> Option<u64> {
    let rem = pos % alignment;
    if rem == 0 {
        Some(pos)
    } else {
        pos.checked_add(alignment - rem)
    }
}

/// A per-layer or scalar integer: (max, per-layer values if it was an array).
fn scalar_or_max(v: Option<&MetaValue>) -> (Option<u64>, Option<Vec<u64>>) {
    match v {
        None => (None, None),
        Some(v) => match v.as_u64() {
            Some(x) => (Some(x), None),
            None => match v.as_u64_array() {
                Some(arr) => (arr.iter().copied().max(), Some(arr)),
                None => (None, None),
            },
        },
    }
}

fn derive_info(meta: &BTreeMap<String, MetaValue>) -> GgufInfo {
    let architecture = meta
        .get("general.architecture")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let arch = architecture.clone().unwrap_or_default();
    let get = |suffix: &str| meta.get(&format!("{arch}.{suffix}"));
    let num = |suffix: &str| get(suffix).and_then(MetaValue::as_u64);
    let file_type = meta
        .get("general.file_type")
        .and_then(MetaValue::as_u64)
        .and_then(|v| u32::try_from(v).ok());
    let (head_count_kv, head_count_kv_per_layer) = scalar_or_max(get("attention.head_count_kv"));
    let vocab_size = meta
        .get("tokenizer.ggml.tokens")
        .and_then(MetaValue::array_len)
        .or_else(|| num("vocab_size"));
    GgufInfo {
        name: meta
            .get("general.name")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        file_type,
        file_type_name: file_type.and_then(file_type_name).map(str::to_string),
        context_length_tokens: num("context_length"),
        block_count: num("block_count"),
        embedding_length: num("embedding_length"),
        feed_forward_length: scalar_or_max(get("feed_forward_length")).0,
        expert_feed_forward_length: num("expert_feed_forward_length"),
        head_count: scalar_or_max(get("attention.head_count")).0,
        head_count_kv,
        head_count_kv_per_layer,
        key_length: num("attention.key_length"),
        value_length: num("attention.value_length"),
        sliding_window_tokens: num("attention.sliding_window"),
        expert_count: num("expert_count"),
        expert_used_count: num("expert_used_count"),
        vocab_size,
        rope_scaling_factor: get("rope.scaling.factor").and_then(MetaValue::as_f64),
        rope_scaling_original_context_tokens: num("rope.scaling.original_context_length"),
        split_count: meta.get("split.count").and_then(MetaValue::as_u64),
        architecture,
        ..GgufInfo::default()
    }
}
