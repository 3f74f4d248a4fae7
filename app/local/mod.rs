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
