//! End to end: `downlink decode --tui` on the shipped Meteor recording, in a real
//! terminal (a detached tmux session on a private socket), driven with keys.

mod common;

use common::tmux::Tmux;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn wait_file(path: &Path, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            if s.ends_with('\n') {
                return s;
            }
        }
        assert!(start.elapsed() < limit, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn tui_shows_lock_and_frames_and_quits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let rec =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings/meteor-lrpt-synth.sigmf-meta");
    let exit_file = dir.path().join("exit");
    let out = dir.path().join("out");
    let script = format!(
        "'{}' decode --tui --realtime -p meteor-lrpt '{}' -o '{}'; echo $? > '{}'; sleep 60",
        env!("CARGO_BIN_EXE_downlink"),
        rec.display(),
        out.display(),
        exit_file.display()
    );
    let tmux = Tmux::start("downlink-test", 120, 36, &script);

    // Locked and frames decoded, with the spectrum axis in MHz.
    let locked = format!("{:<13}yes", "  carr. lock");
    let timing = format!("{:<13}yes ", "  tim. lock");
    let pane = tmux.wait_for(
        &["SYNCED", &locked, &timing, "frames +", "137.900", "MHz"],
        Duration::from_secs(30),
    );
    assert!(pane.contains("RS ok/fail"), "{pane}");
    // The image appears as its lines arrive (the synthetic pass sends three channels).
    tmux.wait_for(&["RGB 64,65,66", " lines "], Duration::from_secs(20));

    // Keys act on the screen: help overlay, pause.
    tmux.cmd(&["send-keys", "-t", "tui", "h"]);
    tmux.wait_for(&["pause / resume the waterfall"], Duration::from_secs(5));
    tmux.cmd(&["send-keys", "-t", "tui", "h", "Space"]);
    tmux.wait_for(&["PAUSED", "Waterfall (paused)"], Duration::from_secs(5));

    // Tuning a recording moves the channel within its band; it has no gain. (Later in
    // the recording, so that the frames before it make the images checked below.)
    tmux.wait_for(&["signal 4."], Duration::from_secs(20));
    tmux.cmd(&["send-keys", "-t", "tui", "f"]);
    tmux.wait_for(&["Tune to (MHz): _"], Duration::from_secs(5));
    tmux.cmd(&["send-keys", "-t", "tui", "-l", "137.91"]);
    tmux.cmd(&["send-keys", "-t", "tui", "Enter"]);
    tmux.wait_for(
        &["channel at 137.9100 MHz (+10.000 kHz from the recording's centre)"],
        Duration::from_secs(5),
    );
    tmux.cmd(&["send-keys", "-t", "tui", "Right"]);
    tmux.wait_for(&["channel at 137.9150 MHz"], Duration::from_secs(5));
    // 15 kHz off the signal, the decoder loses it: the channel really moved.
    tmux.wait_for(&["meteor-lrpt  NOSYNC"], Duration::from_secs(10));
    tmux.cmd(&["send-keys", "-t", "tui", "f"]);
    tmux.cmd(&["send-keys", "-t", "tui", "-l", "138"]);
    tmux.cmd(&["send-keys", "-t", "tui", "Enter"]);
    tmux.wait_for(&["outside the recorded band"], Duration::from_secs(5));
    tmux.cmd(&["send-keys", "-t", "tui", "Up"]);
    tmux.wait_for(&["a recording has no gain to set"], Duration::from_secs(5));
    tmux.cmd(&["send-keys", "-t", "tui", "f"]);
    tmux.cmd(&["send-keys", "-t", "tui", "-l", "137.9"]);
    tmux.cmd(&["send-keys", "-t", "tui", "Enter"]);
    tmux.wait_for(&["channel at 137.9000 MHz"], Duration::from_secs(5));

    tmux.cmd(&["send-keys", "-t", "tui", "q"]);
    let code = wait_file(&exit_file, Duration::from_secs(30));
    assert_eq!(code.trim(), "0");
    // The terminal is back: the summary is printed on the normal screen.
    let pane = tmux.wait_for(&["CADUs", "RS-valid"], Duration::from_secs(5));
    assert!(!pane.contains("Waterfall"), "{pane}");
    // Products of the part decoded before quitting are complete.
    let pngs = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .to_string_lossy()
                .ends_with("msumr-64.png")
        })
        .count();
    assert_eq!(pngs, 1);
}

#[test]
fn tui_alias_refuses_to_run_without_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let rec =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings/meteor-lrpt-synth.sigmf-meta");
    let out = Command::new(env!("CARGO_BIN_EXE_downlink"))
        .arg("tui")
        .arg(&rec)
        .arg("-o")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--tui needs a terminal"), "{stderr}");
}

/// `decode --tui --satellite` on a ground-station I/Q recording: the cubesat decoders'
/// frames appear in the frame log one line each (time, length, ok, transmitter), as many
/// as the JSON Lines product holds, and q exits cleanly.
#[test]
fn tui_logs_cubesat_frames_as_they_decode() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let rec = root.join("cubesat-iq-pegasus/pegasus.raw.gz");
    let dir = tempfile::tempdir().unwrap();
    let exit_file = dir.path().join("exit");
    let out = dir.path().join("out");
    let script = format!(
        "'{}' decode --tui --realtime -s 42784 '{}' -o '{}'; echo $? > '{}'; sleep 60",
        env!("CARGO_BIN_EXE_downlink"),
        rec.display(),
        out.display(),
        exit_file.display()
    );
    let tmux = Tmux::start("downlink-cubesat", 120, 36, &script);
    let pane = tmux.wait_for(&["FINISHED", "B ok 9k6 FSK TT-64"], Duration::from_secs(30));
    let logged = pane.matches("B ok 9k6 FSK TT-64").count();
    tmux.cmd(&["send-keys", "-t", "tui", "q"]);
    let code = wait_file(&exit_file, Duration::from_secs(30));
    assert_eq!(code.trim(), "0");
    let jsonl = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".frames.jsonl"))
        .expect("frames.jsonl");
    let frames = std::fs::read_to_string(jsonl).unwrap().lines().count();
    assert!(frames >= 2, "{frames} frames");
    assert_eq!(logged, frames, "{pane}");
}
