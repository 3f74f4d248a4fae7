//! Reads the user's local model setup (Ollama store and API, LM Studio and llama.cpp GGUF
//! files), read-only and bounded, to find configuration limits such as a context window
//! set below what the model supports.

pub mod gguf;
pub mod hf_config;
pub mod ollama;
pub mod scan;
#[doc(hidden)]
pub mod testgguf;

#[cfg(test)]
mod tests_gguf;
#[cfg(test)]
mod tests_ollama;
#[cfg(test)]
mod tests_scan;

/// `text` safe to print to a terminal: control characters (escape sequences, carriage
/// returns, bells) from a model name or file are shown as `\u{..}` instead of acting.
pub fn printable(text: &str) -> String {
    printable_keeping(text, &[])
}

/// [`printable`] for several lines: newlines and tabs are kept.
pub fn printable_lines(text: &str) -> String {
    printable_keeping(text, &['\n', '\t'])
}

fn printable_keeping(text: &str, keep: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && !keep.contains(&c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}
