//! Fuzz target: `parse_gguf` on arbitrary bytes must return, never panic or allocate wildly.
//!
//! Calls `headroom::local::gguf::parse_gguf`: this file is meant to live in
//! /work/main/fuzz/, whose Cargo.toml depends on the `headroom` crate at path "..".
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = headroom::local::gguf::parse_gguf(std::io::Cursor::new(data), data.len() as u64);
});
