//! Every format × container round-trips through the sinks and sources:
//! identical samples (generated on each format's grid, so exact) and identical metadata.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use downlink::io::{
    create_sink, create_sink_to_writer, decode_samples, open_source, probe, Annotation, Container,
    Overrides, RecordingInfo, SampleFormat, SampleSource, SinkSpec,
};
use num_complex::Complex32;

/// xorshift64*: deterministic test data without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Samples that the format represents exactly: decode random codes.
fn grid_samples(fmt: SampleFormat, n: usize, seed: u64) -> Vec<Complex32> {
    let mut rng = Rng(seed | 1);
    let bytes: Vec<u8> = match fmt {
        SampleFormat::Cf32 | SampleFormat::Rf32 => (0..n * fmt.bytes_per_sample() / 4)
            .flat_map(|_| {
                (((rng.next() >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0) as f32).to_le_bytes()
            })
            .collect(),
        _ => (0..n * fmt.bytes_per_sample())
            .map(|_| (rng.next() >> 56) as u8)
            .collect(),
    };
    let mut s = Vec::new();
    decode_samples(fmt, &bytes, &mut s);
    // Make sure both extremes of the integer grid are present.
    if !matches!(fmt, SampleFormat::Cf32 | SampleFormat::Rf32) {
        let mut ext = Vec::new();
        let (min, max): (Vec<u8>, Vec<u8>) = match fmt {
            SampleFormat::Cu8 => (vec![0, 0], vec![255, 255]),
            SampleFormat::Ru8 => (vec![0], vec![255]),
            SampleFormat::Cs8 => (vec![0x80, 0x80], vec![0x7f, 0x7f]),
            SampleFormat::Cs16 => (vec![0, 0x80, 0, 0x80], vec![0xff, 0x7f, 0xff, 0x7f]),
            _ => (vec![0, 0x80], vec![0xff, 0x7f]),
        };
        decode_samples(fmt, &min, &mut ext);
        decode_samples(fmt, &max, &mut ext);
        s[..2].copy_from_slice(&ext);
    }
    s
}

fn base_info(fmt: SampleFormat) -> RecordingInfo {
    RecordingInfo {
        path: "generated".into(),
        container: Container::Raw,
        format: fmt,
        sample_rate_hz: 250_000.0,
        center_freq_hz: Some(137_912_500.0),
        start_time: Some(
            Utc.with_ymd_and_hms(2026, 11, 26, 10, 42, 13).unwrap()
                + chrono::Duration::microseconds(123_456),
        ),
        total_samples: None,
        sources: vec![],
        annotations: vec![
            Annotation {
                sample_start: 10,
                sample_count: Some(100),
                freq_lower_edge_hz: Some(137_900_000.0),
                freq_upper_edge_hz: Some(137_925_000.0),
                label: Some("burst".into()),
                comment: Some("first frame".into()),
            },
            Annotation {
                sample_start: 2000,
                sample_count: None,
                freq_lower_edge_hz: None,
                freq_upper_edge_hz: None,
                label: None,
                comment: Some("just a mark".into()),
            },
        ],
        tle: None,
        station: None,
        satellite: None,
        description: Some("round-trip test".into()),
    }
}

/// Writes `samples` in uneven pieces.
fn write_all(spec: &SinkSpec, samples: &[Complex32]) {
    let mut sink = create_sink(spec).unwrap();
    let mut i = 0;
    let mut step = 1;
    while i < samples.len() {
        let end = (i + step).min(samples.len());
        sink.write(&samples[i..end]).unwrap();
        i = end;
        step = step * 3 + 1;
    }
    sink.finish().unwrap();
}

fn read_all(src: &mut dyn SampleSource, max: usize) -> Vec<Complex32> {
    let mut out = Vec::new();
    loop {
        let before = out.len();
        let n = src.read(&mut out, max).unwrap();
        assert_eq!(out.len() - before, n);
        assert!(n <= max);
        if n == 0 {
            return out;
        }
    }
}

fn no_part_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.ends_with(".part"), "left behind: {name}");
    }
}

const N: usize = 5003;

fn check_samples(fmt: SampleFormat, what: &str, src: &mut dyn SampleSource, expect: &[Complex32]) {
    let got = read_all(src, 777);
    assert_eq!(got.len(), expect.len(), "{what}");
    assert!(
        got == expect,
        "{what}: samples differ (first at {:?})",
        got.iter().zip(expect).position(|(a, b)| a != b)
    );
    if !fmt.is_complex() {
        assert!(got.iter().all(|s| s.im == 0.0));
    }
}

#[test]
fn raw_round_trip_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for fmt in SampleFormat::ALL {
        let samples = grid_samples(fmt, N, 7 + fmt.bytes_per_sample() as u64);
        let info = base_info(fmt);
        let path = dir.path().join(format!("t.{}", fmt.name()));
        let spec = SinkSpec::from_path(&path, None, &info).unwrap();
        assert_eq!((spec.container, spec.format), (Container::Raw, fmt));
        write_all(&spec, &samples);
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            (N * fmt.bytes_per_sample()) as u64
        );
        let ov = Overrides {
            sample_rate_hz: Some(250_000.0),
            ..Default::default()
        };
        let mut src = open_source(path.to_str().unwrap(), &ov).unwrap();
        let i = src.info().clone();
        assert_eq!(
            (i.container, i.format, i.total_samples),
            (Container::Raw, fmt, Some(N as u64))
        );
        assert_eq!(i.sample_rate_hz, 250_000.0);
        assert!(
            i.sources
                .contains(&format!("format: file extension (.{})", fmt.name())),
            "{:?}",
            i.sources
        );
        assert!(i.sources.contains(&"sample_rate_hz: --rate".to_string()));
        check_samples(fmt, &format!("raw {fmt}"), src.as_mut(), &samples);
    }
    no_part_files(dir.path());
}

#[test]
fn raw_satdump_name_carries_rate_frequency_and_time() {
    let dir = tempfile::tempdir().unwrap();
    for fmt in [
        SampleFormat::Cu8,
        SampleFormat::Cs8,
        SampleFormat::Cs16,
        SampleFormat::Cf32,
    ] {
        let samples = grid_samples(fmt, 1000, 3);
        let path = dir.path().join(format!(
            "2026-11-26_10-42-13-250_250000SPS_137912500Hz.{}",
            fmt.name()
        ));
        let mut info = base_info(fmt);
        info.start_time = Some(
            Utc.with_ymd_and_hms(2026, 11, 26, 10, 42, 13).unwrap()
                + chrono::Duration::milliseconds(250),
        );
        write_all(&SinkSpec::from_path(&path, None, &info).unwrap(), &samples);
        let p = probe(path.to_str().unwrap(), &Overrides::default()).unwrap();
        assert_eq!(p.sample_rate_hz, 250_000.0);
        assert_eq!(p.center_freq_hz, Some(137_912_500.0));
        assert_eq!(p.start_time, info.start_time);
        assert_eq!(p.duration_s(), Some(1000.0 / 250_000.0));
        assert!(
            p.sources
                .contains(&"sample_rate_hz: file name (SatDump)".to_string()),
            "{:?}",
            p.sources
        );
        let mut src = open_source(path.to_str().unwrap(), &Overrides::default()).unwrap();
        check_samples(fmt, "satdump", src.as_mut(), &samples);
    }
}

#[test]
fn gzip_round_trip_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for fmt in SampleFormat::ALL {
        let samples = grid_samples(fmt, N, 11);
        let info = base_info(fmt);
        // Inner extension names the format.
        let path = dir.path().join(format!("t.{}.gz", fmt.name()));
        let spec = SinkSpec::from_path(&path, None, &info).unwrap();
        assert_eq!((spec.container, spec.format), (Container::Gzip, fmt));
        write_all(&spec, &samples);
        let ov = Overrides {
            sample_rate_hz: Some(250_000.0),
            ..Default::default()
        };
        let i = probe(path.to_str().unwrap(), &ov).unwrap();
        assert_eq!((i.container, i.format), (Container::Gzip, fmt));
        assert_eq!(i.total_samples, Some(N as u64), "from the ISIZE trailer");
        let mut src = open_source(path.to_str().unwrap(), &ov).unwrap();
        check_samples(fmt, &format!("gz {fmt}"), src.as_mut(), &samples);
        assert_eq!(src.info().total_samples, Some(N as u64));

        // A .raw.gz takes its format from --format.
        let path = dir.path().join(format!("u-{}.raw.gz", fmt.name()));
        let spec = SinkSpec::from_path(&path, Some(fmt), &info).unwrap();
        write_all(&spec, &samples);
        let ov = Overrides {
            sample_rate_hz: Some(1.0),
            format: Some(fmt),
            ..Default::default()
        };
        let mut src = open_source(path.to_str().unwrap(), &ov).unwrap();
        check_samples(fmt, &format!("raw.gz {fmt}"), src.as_mut(), &samples);
    }
    no_part_files(dir.path());
}

#[test]
fn gzip_multi_member_reads_every_member() {
    let dir = tempfile::tempdir().unwrap();
    let fmt = SampleFormat::Cu8;
    let a = grid_samples(fmt, 3000, 1);
    let b = grid_samples(fmt, 2000, 2);
    let pa = dir.path().join("a.cu8.gz");
    let pb = dir.path().join("b.cu8.gz");
    write_all(
        &SinkSpec::from_path(&pa, None, &base_info(fmt)).unwrap(),
        &a,
    );
    write_all(
        &SinkSpec::from_path(&pb, None, &base_info(fmt)).unwrap(),
        &b,
    );
    let joined = dir.path().join("ab.cu8.gz");
    let mut bytes = std::fs::read(&pa).unwrap();
    bytes.extend(std::fs::read(&pb).unwrap());
    std::fs::write(&joined, bytes).unwrap();
    let ov = Overrides {
        sample_rate_hz: Some(1e6),
        ..Default::default()
    };
    let mut src = open_source(joined.to_str().unwrap(), &ov).unwrap();
    let got = read_all(src.as_mut(), 1 << 20);
    assert_eq!(got, [a, b].concat());
    // The trailer only knew the last member; the end of the stream corrects it.
    assert_eq!(src.info().total_samples, Some(5000));
}

#[test]
fn wav_round_trip_every_wav_format() {
    let dir = tempfile::tempdir().unwrap();
    for fmt in SampleFormat::ALL {
        let samples = grid_samples(fmt, N, 5);
        let info = base_info(fmt);
        // SDR# naming carries centre frequency and start time (UTC, whole seconds).
        let path = dir.path().join(format!(
            "SDRSharp_20261126_104213Z_137912500Hz_IQ-{}.wav",
            fmt.name()
        ));
        let path_named = dir
            .path()
            .join("SDRSharp_20261126_104213Z_137912500Hz_IQ.wav");
        let spec = SinkSpec::from_path(&path, None, &info);
        if fmt == SampleFormat::Cs8 {
            // cs8 inputs default to cs16 in WAV; cs8 itself cannot be written.
            let spec = spec.unwrap();
            assert_eq!(spec.format, SampleFormat::Cs16);
            let e = SinkSpec::from_path(&path, Some(SampleFormat::Cs8), &info).unwrap_err();
            assert!(e.problem.contains("cs8 cannot be stored in WAV"), "{e}");
            write_all(&spec, &samples);
            let mut src = open_source(path.to_str().unwrap(), &Overrides::default()).unwrap();
            assert_eq!(src.info().format, SampleFormat::Cs16);
            check_samples(
                SampleFormat::Cs16,
                "cs8 via cs16 wav",
                src.as_mut(),
                &samples,
            );
            continue;
        }
        let spec = spec.unwrap();
        assert_eq!((spec.container, spec.format), (Container::Wav, fmt));
        write_all(&spec, &samples);
        std::fs::rename(&path, &path_named).unwrap();
        let p = path_named.to_str().unwrap();
        let i = probe(p, &Overrides::default()).unwrap();
        assert_eq!(
            (i.container, i.format, i.total_samples),
            (Container::Wav, fmt, Some(N as u64))
        );
        assert_eq!(i.sample_rate_hz, 250_000.0);
        assert_eq!(i.center_freq_hz, Some(137_912_500.0));
        assert_eq!(
            i.start_time,
            Some(Utc.with_ymd_and_hms(2026, 11, 26, 10, 42, 13).unwrap())
        );
        assert!(i
            .sources
            .contains(&"sample_rate_hz: WAV header".to_string()));
        assert!(i
            .sources
            .contains(&"center_freq_hz: file name (SDR#)".to_string()));
        // hound reads the same samples back (independent check of the header and data layout).
        let hr = hound::WavReader::open(p).unwrap();
        assert_eq!(hr.spec().channels, if fmt.is_complex() { 2 } else { 1 });
        assert_eq!(hr.spec().sample_rate, 250_000);
        assert_eq!(hr.len() as usize, N * hr.spec().channels as usize);
        let mut src = open_source(p, &Overrides::default()).unwrap();
        check_samples(fmt, &format!("wav {fmt}"), src.as_mut(), &samples);
    }
    no_part_files(dir.path());
}

#[test]
fn sigmf_round_trip_every_format_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    for (k, fmt) in SampleFormat::ALL.into_iter().enumerate() {
        let samples = grid_samples(fmt, N, 13);
        let mut info = base_info(fmt);
        info.start_time = Some(
            DateTime::parse_from_rfc3339("2026-11-26T10:42:13.123456789Z")
                .unwrap()
                .to_utc(),
        );
        // Each of the three names resolves to the pair.
        let given = ["sigmf-meta", "sigmf-data", "sigmf"][k % 3];
        let path = dir.path().join(format!("rec-{}.{given}", fmt.name()));
        let mut spec = SinkSpec::from_path(&path, None, &info).unwrap();
        assert_eq!((spec.container, spec.format), (Container::SigMf, fmt));
        spec.hw = Some("RTL-SDR v3 + QFH".into());
        write_all(&spec, &samples);
        let meta = dir.path().join(format!("rec-{}.sigmf-meta", fmt.name()));
        let data = dir.path().join(format!("rec-{}.sigmf-data", fmt.name()));
        assert_eq!(
            std::fs::metadata(&data).unwrap().len(),
            (N * fmt.bytes_per_sample()) as u64
        );
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
        assert_eq!(json["global"]["core:datatype"], fmt.sigmf_datatype());
        assert_eq!(json["global"]["core:hw"], "RTL-SDR v3 + QFH");
        assert_eq!(json["global"]["core:version"], "1.0.0");
        assert_eq!(
            json["captures"][0]["core:datetime"],
            "2026-11-26T10:42:13.123456789Z"
        );
        for open_as in [&meta, &data] {
            let i = probe(open_as.to_str().unwrap(), &Overrides::default()).unwrap();
            assert_eq!(
                (i.container, i.format, i.total_samples),
                (Container::SigMf, fmt, Some(N as u64))
            );
            assert_eq!(i.sample_rate_hz, info.sample_rate_hz);
            assert_eq!(i.center_freq_hz, info.center_freq_hz);
            assert_eq!(i.start_time, info.start_time);
            assert_eq!(i.annotations, info.annotations);
            assert_eq!(i.description, info.description);
            assert!(i
                .sources
                .contains(&"sample_rate_hz: SigMF metadata".to_string()));
        }
        let mut src = open_source(meta.to_str().unwrap(), &Overrides::default()).unwrap();
        check_samples(fmt, &format!("sigmf {fmt}"), src.as_mut(), &samples);
    }
    no_part_files(dir.path());
}

#[test]
fn overrides_win_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let fmt = SampleFormat::Cs16;
    let path = dir.path().join("x.sigmf-meta");
    write_all(
        &SinkSpec::from_path(&path, None, &base_info(fmt)).unwrap(),
        &grid_samples(fmt, 100, 1),
    );
    let t = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
    let ov = Overrides {
        format: Some(SampleFormat::Cu8),
        sample_rate_hz: Some(96_000.0),
        center_freq_hz: Some(1e9),
        start_time: Some(t),
    };
    let i = probe(path.to_str().unwrap(), &ov).unwrap();
    assert_eq!(i.format, SampleFormat::Cu8);
    assert_eq!(i.total_samples, Some(200), "400 bytes as 2-byte cu8");
    assert_eq!(
        (i.sample_rate_hz, i.center_freq_hz, i.start_time),
        (96_000.0, Some(1e9), Some(t))
    );
    for s in [
        "format: --format",
        "sample_rate_hz: --rate",
        "center_freq_hz: --freq",
        "start_time: --start",
    ] {
        assert!(i.sources.contains(&s.to_string()), "{s} in {:?}", i.sources);
    }
}

#[test]
fn sink_to_writer_streams_bytes() {
    let fmt = SampleFormat::Cf32;
    let samples = grid_samples(fmt, 1000, 9);
    let spec = SinkSpec::from_path("out.cf32", None, &base_info(fmt)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.cf32");
    let f = std::fs::File::create(&p).unwrap();
    let mut sink = create_sink_to_writer(&spec, Box::new(f)).unwrap();
    sink.write(&samples).unwrap();
    sink.finish().unwrap();
    let mut expect = Vec::new();
    downlink::io::encode_samples(fmt, &samples, &mut expect);
    assert_eq!(std::fs::read(&p).unwrap(), expect);

    let gz = SinkSpec::from_path("out.cu8.gz", None, &base_info(SampleFormat::Cu8)).unwrap();
    let mut sink = create_sink_to_writer(&gz, Box::new(std::io::sink())).unwrap();
    sink.write(&grid_samples(SampleFormat::Cu8, 10, 1)).unwrap();
    sink.finish().unwrap();

    let wav = SinkSpec::from_path("out.wav", None, &base_info(SampleFormat::Cs16)).unwrap();
    let e = create_sink_to_writer(&wav, Box::new(std::io::sink()))
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .starts_with("out.wav: WAV output needs a seekable file"),
        "{e}"
    );
}

#[test]
fn unfinished_sinks_leave_nothing_under_the_final_name() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.cu8", "b.cu8.gz", "c.wav", "d.sigmf-meta"] {
        let path = dir.path().join(name);
        let spec = SinkSpec::from_path(&path, None, &base_info(SampleFormat::Cu8)).unwrap();
        let mut sink = create_sink(&spec).unwrap();
        sink.write(&grid_samples(SampleFormat::Cu8, 100, 1))
            .unwrap();
        // While writing, only .part files exist.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into())
            .collect();
        assert!(names.iter().all(|n| n.ends_with(".part")), "{names:?}");
        drop(sink);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{name}: temporaries removed"
        );
    }
}

#[test]
fn sink_spec_inference_and_conflicts() {
    let info = base_info(SampleFormat::Cu8);
    let s = SinkSpec::from_path("x.raw", Some(SampleFormat::Cs16), &info).unwrap();
    assert_eq!(
        (s.container, s.format),
        (Container::Raw, SampleFormat::Cs16)
    );
    let s = SinkSpec::from_path("x.raw", None, &info).unwrap();
    assert_eq!(s.format, SampleFormat::Cu8);
    let s = SinkSpec::from_path("x.fc32", None, &info).unwrap();
    assert_eq!(s.format, SampleFormat::Cf32);
    assert_eq!(
        (s.sample_rate_hz, s.center_freq_hz),
        (info.sample_rate_hz, info.center_freq_hz)
    );
    let e = SinkSpec::from_path("x.cu8", Some(SampleFormat::Cs16), &info).unwrap_err();
    assert!(
        e.to_string()
            .contains("extension says cu8 but the format asked for is cs16"),
        "{e}"
    );
    let e = SinkSpec::from_path("x.png", None, &info).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("x.png: cannot tell the output format from the extension '.png'"),
        "{e}"
    );
    let mut bad = info.clone();
    bad.sample_rate_hz = 0.0;
    let spec = SinkSpec::from_path("/tmp/never-created.cu8", None, &bad).unwrap();
    let e = create_sink(&spec).err().unwrap();
    assert!(e.problem.contains("sample rate 0 Hz is not valid"), "{e}");
    assert!(!Path::new("/tmp/never-created.cu8.part").exists());
}

fn fnv(samples: &[Complex32]) -> u64 {
    samples
        .iter()
        .flat_map(|s| [s.re.to_bits(), s.im.to_bits()])
        .fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
            (h ^ v as u64).wrapping_mul(0x0100_0000_01b3)
        })
}

/// Reads real standard input: the test re-runs itself as a child process with
/// samples piped in (the child branch is taken only under `IO_STDIN_CHILD`).
#[test]
fn stdin_source_reads_piped_samples() {
    if std::env::var_os("IO_STDIN_CHILD").is_some() {
        let ov = Overrides {
            format: Some(SampleFormat::Cs16),
            sample_rate_hz: Some(48_000.0),
            ..Default::default()
        };
        let mut src = open_source("-", &ov).unwrap();
        assert_eq!(src.info().container, Container::Stdin);
        let mut all = Vec::new();
        loop {
            match src.read(&mut all, 4096) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    println!("STDIN_RESULT error {e}");
                    return;
                }
            }
        }
        println!(
            "STDIN_RESULT ok {} {} {:?}",
            all.len(),
            fnv(&all),
            src.info().total_samples
        );
        return;
    }
    let run = |bytes: Vec<u8>| -> String {
        use std::io::Write as _;
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "stdin_source_reads_piped_samples",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("IO_STDIN_CHILD", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            // Uneven pieces, like a pipe from an SDR tool.
            for piece in bytes.chunks(7777) {
                stdin.write_all(piece).unwrap();
            }
        });
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .find_map(|l| l.split_once("STDIN_RESULT ").map(|(_, r)| r.to_string()))
            .unwrap_or(text)
    };
    let samples = grid_samples(SampleFormat::Cs16, 100_003, 21);
    let mut bytes = Vec::new();
    downlink::io::encode_samples(SampleFormat::Cs16, &samples, &mut bytes);
    assert_eq!(
        run(bytes.clone()),
        format!("ok 100003 {} Some(100003)", fnv(&samples))
    );
    bytes.truncate(bytes.len() - 1);
    let r = run(bytes);
    assert!(r.starts_with("error <stdin>: truncated last sample: the data ends 3 byte(s) into a 4-byte cs16 sample"), "{r}");
}

/// A 20 GB recording is opened and streamed without being read whole
/// (sparse file: no disk space used, and probing it returns at once).
#[test]
fn twenty_gigabyte_file_streams() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.cu8");
    std::fs::File::create(&p)
        .unwrap()
        .set_len(20_000_000_000)
        .unwrap();
    let ov = Overrides {
        sample_rate_hz: Some(2.4e6),
        ..Default::default()
    };
    let info = probe(p.to_str().unwrap(), &ov).unwrap();
    assert_eq!(info.total_samples, Some(10_000_000_000));
    let mut src = open_source(p.to_str().unwrap(), &ov).unwrap();
    let mut buf = Vec::new();
    for _ in 0..4 {
        buf.clear();
        let n = src.read(&mut buf, usize::MAX).unwrap();
        // One call decodes at most one 256 KiB block, whatever `max` asks for.
        assert_eq!(n, 128 * 1024);
        assert!(buf.iter().all(|s| *s == Complex32::new(-1.0, -1.0)));
    }
}
