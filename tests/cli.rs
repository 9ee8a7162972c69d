//! The command line end to end, on the shipped synthetic recording and on small files
//! the tests write themselves.

mod common;

use common::*;
use downlink::io::{create_sink, Container, SampleFormat, SinkSpec};
use num_complex::Complex32;
use std::path::Path;

#[test]
fn pipelines_lists_what_decode_accepts() {
    let o = downlink(&["pipelines"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for name in ["waterfall", "channel"] {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn every_command_has_help_with_examples() {
    for cmd in ["info", "decode", "convert", "pipelines"] {
        let o = downlink(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd} --help");
        assert!(
            stdout(&o).contains("Example"),
            "{cmd} --help has no example"
        );
    }
}

#[test]
fn shipped_recording_matches_its_generator() {
    // The recording in recordings/ is made by `downlink synth scene`: regenerating it must
    // give the same bytes, so the expected results stay tied to code in this repository.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scene.sigmf-meta");
    let o = downlink(&["synth", "scene", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shipped = std::fs::read(scene_recording().with_extension("sigmf-data")).unwrap();
    let fresh = std::fs::read(dir.path().join("scene.sigmf-data")).unwrap();
    assert!(
        shipped == fresh,
        "recordings/scene-437m.sigmf-data differs from `downlink synth scene`"
    );
}

#[test]
fn info_describes_the_shipped_recording() {
    let o = downlink(&["info", "--json", scene_recording().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["recording"]["sample_rate_hz"], 240000.0);
    assert_eq!(v["recording"]["center_freq_hz"], 437e6);
    assert!((v["duration_s"].as_f64().unwrap() - 3.0).abs() < 1e-9);
    let offsets: Vec<f64> = v["spectrum"]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["center_offset_hz"].as_f64().unwrap())
        .collect();
    // The scene: FSK burst at −12 kHz, carriers at +30 kHz and −60 kHz.
    for want in [-12_000.0, 30_000.0, -60_000.0] {
        assert!(
            offsets.iter().any(|f| (f - want).abs() < 500.0),
            "no signal near {want} Hz in {offsets:?}"
        );
    }
    let human = downlink(&["info", scene_recording().to_str().unwrap()]);
    let text = stdout(&human);
    assert!(
        text.contains("437.000000 MHz") && text.contains("2026-11-26T09:41:00"),
        "{text}"
    );
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = decoder.read_info().unwrap();
    (reader.info().width, reader.info().height)
}

#[test]
fn waterfall_is_labelled_and_independent_of_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let rec = scene_recording();
    let mut pngs = Vec::new();
    for chunk in ["1000", "65536"] {
        let out = dir.path().join(chunk);
        let o = downlink(&[
            "decode",
            "--pipeline",
            "waterfall",
            "--chunk",
            chunk,
            "--rows",
            "300",
            rec.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let png = out.join("scene-437m.2026-11-26T094100Z.waterfall.png");
        let (w, h) = png_size(&png);
        // 1024 bins plus margins; 300..600 rows plus title and axis.
        assert!(w > 1024 && w < 1300, "width {w}");
        assert!(h > 300 && h < 700, "height {h}");
        assert_eq!(
            listing(&out),
            vec!["scene-437m.2026-11-26T094100Z.waterfall.png"]
        );
        pngs.push(std::fs::read(&png).unwrap());
    }
    assert!(pngs[0] == pngs[1], "waterfall depends on the chunk size");
}

#[test]
fn channel_extracts_the_fsk_burst_as_sigmf() {
    let dir = tempfile::tempdir().unwrap();
    let rec = scene_recording();
    let mut data = Vec::new();
    for chunk in ["997", "65536"] {
        let out = dir.path().join(chunk);
        let o = downlink(&[
            "decode",
            "--pipeline",
            "channel",
            "--tune",
            "436.988M",
            "--bandwidth",
            "20k",
            "--out-rate",
            "48k",
            "--chunk",
            chunk,
            rec.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let meta = out.join("scene-437m.2026-11-26T094100Z.channel.sigmf-meta");
        let (info, samples) = read_all(meta.to_str().unwrap());
        assert_eq!(info.sample_rate_hz, 48_000.0);
        assert_eq!(info.center_freq_hz, Some(436_988_000.0));
        assert_eq!(info.start_time, scene_info().start_time);
        assert_eq!(samples.len(), 3 * 48_000);
        data.push(
            std::fs::read(out.join("scene-437m.2026-11-26T094100Z.channel.sigmf-data")).unwrap(),
        );
        // The burst (on 1 s, off 0.5 s) is now at 0 Hz and far above the residual noise:
        // its power in the first half second vs the quiet gap at 1.1..1.4 s.
        let power = |a: usize, b: usize| -> f64 {
            samples[a..b]
                .iter()
                .map(|s| s.norm_sqr() as f64)
                .sum::<f64>()
                / (b - a) as f64
        };
        let ratio_db = 10.0 * (power(0, 24_000) / power(52_800, 67_200)).log10();
        assert!(ratio_db > 15.0, "burst only {ratio_db:.1} dB above the gap");
    }
    assert!(
        data[0] == data[1],
        "channel output depends on the chunk size"
    );
    let o = downlink(&[
        "info",
        "--json",
        dir.path()
            .join("65536/scene-437m.2026-11-26T094100Z.channel.sigmf-meta")
            .to_str()
            .unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let first = &v["spectrum"]["signals"][0];
    assert!(
        first["center_offset_hz"].as_f64().unwrap().abs() < 500.0,
        "{first}"
    );
}

fn scene_info() -> downlink::io::RecordingInfo {
    downlink::io::probe(scene_recording().to_str().unwrap(), &Default::default()).unwrap()
}

/// Samples on the grid of every 8-bit format, so that each conversion has an exact answer.
fn grid_samples(n: usize) -> Vec<Complex32> {
    (0..n)
        .map(|i| {
            let a = ((i * 37) % 255) as f32 - 127.0;
            let b = ((i * 91 + 11) % 255) as f32 - 127.0;
            Complex32::new(a, b) / 128.0
        })
        .collect()
}

fn lsb(fmt: SampleFormat) -> f32 {
    match fmt {
        SampleFormat::Cu8 | SampleFormat::Ru8 => 1.0 / 127.5,
        SampleFormat::Cs8 => 1.0 / 128.0,
        SampleFormat::Cs16 | SampleFormat::Ri16 => 1.0 / 32768.0,
        SampleFormat::Cf32 | SampleFormat::Rf32 => 0.0,
    }
}

#[test]
fn convert_between_every_pair_of_formats_preserves_samples() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 250_000.0;
    let containers: &[(&str, Container, SampleFormat)] = &[
        ("a.cu8", Container::Raw, SampleFormat::Cu8),
        ("a.cs8", Container::Raw, SampleFormat::Cs8),
        ("a.cs16", Container::Raw, SampleFormat::Cs16),
        ("a.cf32", Container::Raw, SampleFormat::Cf32),
        ("a.cs16.gz", Container::Gzip, SampleFormat::Cs16),
        ("a-u8.wav", Container::Wav, SampleFormat::Cu8),
        ("a-s16.wav", Container::Wav, SampleFormat::Cs16),
        ("a-f32.wav", Container::Wav, SampleFormat::Cf32),
        ("a-ci8.sigmf-meta", Container::SigMf, SampleFormat::Cs8),
        ("a-cf32.sigmf-meta", Container::SigMf, SampleFormat::Cf32),
    ];
    let input = grid_samples(5000);
    for (name, container, format) in containers {
        let mut sink = create_sink(&SinkSpec {
            path: dir.path().join(name),
            container: *container,
            format: *format,
            sample_rate_hz: rate,
            center_freq_hz: Some(137.9e6),
            start_time: None,
            annotations: Vec::new(),
            description: None,
            hw: None,
        })
        .unwrap();
        sink.write(&input).unwrap();
        sink.finish().unwrap();
    }
    for (src, _, _) in containers {
        let rate_given = downlink::io::Overrides {
            sample_rate_hz: Some(rate),
            ..Default::default()
        };
        let (src_info, original) =
            read_all_with(dir.path().join(src).to_str().unwrap(), &rate_given);
        for (dst, _, _) in containers {
            let out = dir.path().join(format!("to-{src}-{dst}"));
            let o = downlink(&[
                "convert",
                "--rate",
                "250k",
                dir.path().join(src).to_str().unwrap(),
                out.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{src} → {dst}: {}", stderr(&o));
            let (info, back) = read_all_with(out.to_str().unwrap(), &rate_given);
            assert_eq!(info.sample_rate_hz, rate, "{src} → {dst}");
            assert_eq!(back.len(), original.len(), "{src} → {dst}");
            // The output's format is whatever the extension (or the input) chose.
            let tolerance = lsb(info.format) / 2.0 + 1e-6;
            let worst = original
                .iter()
                .zip(&back)
                .map(|(a, b)| (a.re - b.re).abs().max((a.im - b.im).abs()))
                .fold(0f32, f32::max);
            if tolerance < 1e-5 || src_info.format == info.format {
                assert_eq!(worst, 0.0, "{src} → {dst} must be lossless");
            } else {
                assert!(
                    worst <= tolerance,
                    "{src} → {dst}: error {worst} > {tolerance}"
                );
            }
        }
    }
}

#[test]
fn json_mode_prints_status_lines_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let o = downlink(&[
        "decode",
        "--pipeline",
        "waterfall",
        "--json",
        "--realtime",
        "--chunk",
        "24000",
        scene_recording().to_str().unwrap(),
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every stdout line is JSON"))
        .collect();
    // 3 s paced at real time: two or three status lines, then the summary.
    let status = lines.iter().filter(|v| v["type"] == "status").count();
    assert!((2..=3).contains(&status), "{status} status lines");
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["samples"], 720_000);
    assert!(last["speed_x_realtime"].as_f64().unwrap() < 1.2);
    assert_eq!(last["products"][0]["kind"], "waterfall");
    assert!(last["stages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["stage"] == "waterfall"));
}

#[test]
fn stdin_needs_format_and_rate_and_then_works() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let o = downlink(&[
        "decode",
        "--pipeline",
        "waterfall",
        "-",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--format"), "{}", stderr(&o));

    let mut child = Command::new(env!("CARGO_BIN_EXE_downlink"))
        .args([
            "decode",
            "--pipeline",
            "waterfall",
            "--format",
            "cu8",
            "--rate",
            "1.024M",
            "-",
            "-o",
        ])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("stdin.waterfall.png").is_file());
}

#[test]
fn ctrl_c_ends_cleanly_with_complete_products() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_downlink"))
        .args([
            "decode",
            "--pipeline",
            "channel",
            "--offset",
            "30k",
            "--realtime",
            "--chunk",
            "4800",
        ])
        .arg(scene_recording())
        .arg("-o")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    // The product holds what was read before the stop, under its final name, and reads back.
    assert_eq!(
        listing(dir.path()),
        vec![
            "scene-437m.2026-11-26T094100Z.channel.sigmf-data",
            "scene-437m.2026-11-26T094100Z.channel.sigmf-meta"
        ]
    );
    let (info, samples) = read_all(
        dir.path()
            .join("scene-437m.2026-11-26T094100Z.channel.sigmf-meta")
            .to_str()
            .unwrap(),
    );
    assert_eq!(info.sample_rate_hz, 48_000.0);
    let seconds = samples.len() as f64 / 48_000.0;
    assert!(
        seconds > 0.5 && seconds < 2.5,
        "{seconds} s written before the stop"
    );
}

#[test]
fn record_writes_the_raw_samples_while_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.sigmf-meta");
    let o = downlink(&[
        "decode",
        "--pipeline",
        "waterfall",
        "--record",
        rec.to_str().unwrap(),
        "--chunk",
        "5000",
        scene_recording().to_str().unwrap(),
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (original_info, original) = read_all(scene_recording().to_str().unwrap());
    let (info, recorded) = read_all(rec.to_str().unwrap());
    assert!(recorded == original, "recorded samples differ");
    assert_eq!(info.format, original_info.format);
    assert_eq!(info.sample_rate_hz, original_info.sample_rate_hz);
    assert_eq!(info.center_freq_hz, original_info.center_freq_hz);
    assert_eq!(info.start_time, original_info.start_time);
    assert!(stdout(&o).contains("recording"), "{}", stdout(&o));
}
