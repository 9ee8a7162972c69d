//! downlink: sources, pipelines, products, CLI.
