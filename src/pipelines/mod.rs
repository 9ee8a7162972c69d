//! Pipelines: what `decode --pipeline NAME` can run. Each is one linear chain from
//! samples to products.

pub mod channel;
pub mod cubesat;
pub mod meteor_lrpt;
pub mod record;
pub mod spectrum;
pub mod waterfall;

/// A pipeline name and what it makes, for `downlink pipelines` and `--help`.
pub struct PipelineInfo {
    pub name: &'static str,
    pub input: &'static str,
    pub products: &'static str,
}

pub const PIPELINES: &[PipelineInfo] = &[
    PipelineInfo {
        name: "waterfall",
        input: "any I/Q or audio recording",
        products: "PNG waterfall of the whole recording, frequency and time axes labelled",
    },
    PipelineInfo {
        name: "meteor-lrpt",
        input: "Meteor-M LRPT: I/Q, soft (.s), hard, CADU or VCDU",
        products:
            "MSU-MR channel PNGs, RGB composites, APID 70 telemetry; --dump: soft symbols and CADUs",
    },
    PipelineInfo {
        name: "channel",
        input: "any I/Q or audio recording",
        products: "one channel shifted to 0 Hz, filtered and decimated, as SigMF",
    },
];

pub fn find(name: &str) -> Option<&'static PipelineInfo> {
    PIPELINES.iter().find(|p| p.name == name)
}
