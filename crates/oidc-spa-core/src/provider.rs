//! Stage 1, configuration and discovery: the relying party's `config.json` and the provider's published metadata.

pub mod config;
pub mod discovery;
