//! One table over the cubesat recordings in `../shared/recordings`: each row names a
//! recording folder, the satellite to decode it as, and what a correct decoder gets
//! out of it (the manifest's `expected`):
//! - `Bytes`: every line of `expected/frames.hex` is among the decoded frames, byte-exact;
//! - `AtLeast(n)`: at least n frames whose check (CRC / RS) passed — the ground
//!   station's own count for the raw I/Q recordings;
//! - `AnyCheck`: at least one frame whose check passed (recordings with no stated result);
//! - `Decoded(f)`: the reference emitted undecoded line bytes (e.g. a fixed count after
//!   the sync word, channel noise included); every line of `expected/frames.hex`, passed
//!   through `f` (the framing's own decoding of such bytes), is among the decoded frames.
//!
//! The README's satellite table is the same list.

mod common;

use downlink_dsp::framing::mobitex::{self, MobitexVariant};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug)]
enum Want {
    Bytes,
    AtLeast(usize),
    AnyCheck,
    Decoded(fn(&[u8]) -> Option<Vec<u8>>),
}
use Want::*;

/// jradio's D-STAR ONE rawData is the 963 bytes after the sync word: the frame's 183
/// (header and 6 blocks, 5 bit errors in the last) and 780 of channel noise after it.
fn dstar_one_frame(raw: &[u8]) -> Option<Vec<u8>> {
    mobitex::decode(MobitexVariant::Cmx909b { blocks: Some(6) }, raw).map(|f| f.data)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// (recording folder, `--satellite` query, expectation)
const TABLE: &[(&str, &str, Want)] = &[
    ("cubesat-1kuns_pf", "43466", Bytes),
    ("cubesat-aausat-4", "41460", Bytes),
    ("cubesat-ao27-grsat", "22825", AnyCheck),
    ("cubesat-astrocast_9k6", "43798", Bytes),
    ("cubesat-ao73", "39444", Bytes),
    // No stated result (gr-satellites' recording): 24 RS-valid frames, every image chunk
    // from offset 0x0080 to 0x4006 in order; the count guards the burst resync.
    ("cubesat-by701-grsat", "41909", AtLeast(24)),
    ("cubesat-delfic3", "32789", Bytes),
    ("cubesat-iq-chomptt", "43855", AtLeast(1)),
    ("cubesat-iq-delfic3", "32789", AtLeast(1)),
    ("cubesat-iq-itasat1", "43786", AtLeast(1)),
    ("cubesat-iq-jy1sat", "43803", AtLeast(1)),
    ("cubesat-iq-meznsat", "46489", AtLeast(1)),
    ("cubesat-entrysat", "44429", Bytes),
    ("cubesat-pwsat2", "43814", Bytes),
    ("cubesat-smog_p_short", "44832", Bytes),
    ("cubesat-at03", "PEGASUS", Bytes),
    ("cubesat-ca03_9k6", "CA03", Bytes),
    ("cubesat-diy1", "47963", Bytes),
    ("cubesat-dstar_one", "43881", Decoded(dstar_one_frame)),
    ("cubesat-dora", "DORA", Bytes),
    ("cubesat-eseo", "43792", Bytes),
    ("cubesat-fox1dWithImage", "Fox-1D", Bytes),
    ("cubesat-geoscan", "53385", Bytes),
    ("cubesat-gomx_1", "39430", Bytes),
    ("cubesat-iq-aausat", "41460", AtLeast(1)),
    ("cubesat-iq-delphini1", "44030", AtLeast(2)),
    // The file holds the same 2 s twice (its halves are byte-identical; r2cloud's
    // metadata spans 2 s): the one beacon comes out twice, identical.
    ("cubesat-iq-dstar1", "43881", AtLeast(1)),
    ("cubesat-iq-fox1c", "43770", AtLeast(2)),
    ("cubesat-iq-pegasus", "42784", AtLeast(1)),
    ("cubesat-iq-rhw", "43743", AtLeast(2)),
    ("cubesat-iq-strand1", "39090", AtLeast(1)),
    ("cubesat-iq-swampsat2", "45115", AtLeast(1)),
    ("cubesat-iq-tubin", "48900", AtLeast(1)),
    ("cubesat-ks_1q-grsat", "41847", AnyCheck),
    ("cubesat-lucky_7", "lucky-7", Bytes),
    ("cubesat-mrc100", "56993", Bytes),
    ("cubesat-nusat", "41557", AtLeast(1)),
    ("cubesat-ops_sat", "44878", Bytes),
    ("cubesat-orbicraft-z", "47960", Bytes),
    ("cubesat-quetzal1-grsat", "45598", AnyCheck),
    ("cubesat-rhw", "RHW", Bytes),
    ("cubesat-sat_3cat_1", "43728", Bytes),
    ("cubesat-silversat", "SilverSat", Bytes),
    ("cubesat-slowFox1a", "Fox-1A", Bytes),
    ("cubesat-snet_a", "43188", Bytes),
    ("cubesat-trisat", "TRISAT", Bytes),
    ("cubesat-us01-grsat", "us01", AnyCheck),
];

/// The recording in a folder: its WAV, or its raw I/Q (`.raw.gz`, metadata beside it).
fn recording(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".wav") || n.ends_with(".raw.gz")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no recording in {}", dir.display()))
}

fn expected_frames(dir: &Path) -> Vec<String> {
    let p = dir.join("expected/frames.hex");
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.to_lowercase())
        .collect()
}

/// Runs `downlink decode --satellite` and returns the JSON Lines frames.
fn decode(file: &Path, sat: &str) -> Vec<serde_json::Value> {
    let (out, frames) = common::decode_satellite(file, sat, &[]);
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        common::stderr(&out)
    );
    frames.unwrap_or_default()
}

#[test]
fn every_row_decodes_what_the_reference_decoders_got() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let mut failures = Vec::new();
    for &(dir, sat, want) in TABLE {
        let folder = root.join(dir);
        let frames = decode(&recording(&folder), sat);
        let passed: Vec<String> = frames
            .iter()
            .filter(|f| f["check_passed"] == true)
            .map(|f| f["frame"].as_str().unwrap().to_lowercase())
            .collect();
        eprintln!("{dir}: {} frames, {} checked", frames.len(), passed.len());
        let ok = match want {
            Bytes => expected_frames(&folder).iter().all(|e| passed.contains(e)),
            AtLeast(n) => passed.len() >= n,
            AnyCheck => !passed.is_empty(),
            Decoded(f) => expected_frames(&folder)
                .iter()
                .all(|e| f(&unhex(e)).is_some_and(|d| passed.contains(&hex(&d)))),
        };
        if !ok {
            failures.push(format!("{dir} ({want:?}): got {passed:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The table names real folders, once each, every folder with reference bytes is held
/// to them, and every `cubesat-*` recording has its row.
#[test]
fn the_table_is_consistent_with_the_recordings() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    for &(dir, _, want) in TABLE {
        assert!(seen.insert(dir), "{dir} twice");
        let folder = root.join(dir);
        assert!(folder.is_dir(), "{dir}: no such recording");
        let has_bytes = folder.join("expected/frames.hex").is_file();
        assert_eq!(
            matches!(want, Bytes | Decoded(_)),
            has_bytes,
            "{dir}: a recording with reference bytes is held to them, and only such"
        );
    }
    let missing: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("cubesat-") && !seen.contains(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "cubesat recordings without a row in TABLE: {missing:?}"
    );
}
