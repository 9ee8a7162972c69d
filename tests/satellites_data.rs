//! The satellite files: every built-in one parses, typed errors name file and line,
//! user folders override, and every cubesat recording has its satellite.

mod common;

use downlink::satellites::{parse, Framing, Modulation, Satellites, BUILTIN};

#[test]
fn every_builtin_file_parses_with_at_least_one_transmitter() {
    assert!(BUILTIN.len() >= 40, "{} built-in files", BUILTIN.len());
    let sats = Satellites::builtin().expect("built-in satellites parse");
    assert_eq!(
        sats.all().len(),
        BUILTIN.len(),
        "two files describe one satellite"
    );
    for s in sats.all() {
        assert!(!s.transmitters.is_empty(), "{}", s.name);
    }
}

#[test]
fn us01_is_typed_and_decodable() {
    let sats = Satellites::builtin().unwrap();
    let s = sats.find("42721").expect("by NORAD");
    assert_eq!(s.name, "US01");
    assert_eq!(sats.find("challenger").map(|s| s.norad), Some(Some(42721)));
    assert_eq!(sats.find("us-01").map(|s| s.norad), Some(Some(42721)));
    let t = &s.transmitters[0];
    assert_eq!(t.frequency_hz, 437_505_000.0);
    assert_eq!(
        t.modulation,
        Modulation::Fsk {
            baud: 9600.0,
            deviation_hz: None
        }
    );
    assert_eq!(t.framing, Framing::Ax25G3ruh);
    assert!(t.fsk_decodable().is_some());
    // A BPSK satellite is known but not decodable from audio by FskDecoder.
    let ao73 = sats.find("FUNcube-1").unwrap();
    assert_eq!(ao73.transmitters[0].framing, Framing::Ao40);
    assert!(ao73.transmitters[0].fsk_decodable().is_none());
}

#[test]
fn meteor_n2_3_and_n2_4_are_lrpt() {
    let sats = Satellites::builtin().unwrap();
    for (q, norad) in [("Meteor-M N2-3", 57166), ("Meteor-M N2-4", 59051)] {
        let s = sats.find(q).unwrap_or_else(|| panic!("{q}"));
        assert_eq!(s.norad, Some(norad));
        assert!(s
            .transmitters
            .iter()
            .all(|t| matches!(t.framing, Framing::Lrpt { .. })
                && matches!(t.modulation, Modulation::Qpsk { .. })));
    }
}

#[test]
fn unknown_framing_names_file_and_line() {
    let text = "name = \"X\"\nnorad = 1\n\n[[transmitters]]\nname = \"a\"\nfrequency_hz = 1e6\n\
                modulation = { type = \"fsk\", baud = 1200 }\nframing = { type = \"ax26\" }\n";
    let e = parse(text, "sats/x.toml").unwrap_err().to_string();
    assert!(e.starts_with("sats/x.toml:8:"), "{e}");
    assert!(e.contains("ax26"), "{e}");
    let text = text
        .replace("ax26", "ax25_nrzi")
        .replace("\"fsk\"", "\"fsq\"");
    let e = parse(&text, "y.toml").unwrap_err().to_string();
    assert!(e.starts_with("y.toml:7:"), "{e}");
    assert!(e.contains("fsq"), "{e}");
    let text = text.replace("fsq", "fsk").replace("norad", "norrad");
    let e = parse(&text, "z.toml").unwrap_err().to_string();
    assert!(e.starts_with("z.toml:2:") && e.contains("norrad"), "{e}");
}

#[test]
fn impossible_values_are_errors() {
    let base = "name = \"X\"\n[[transmitters]]\nname = \"a\"\nfrequency_hz = F\n\
                modulation = { type = \"fsk\", baud = B }\nframing = { type = \"ax25_nrzi\" }\n";
    assert!(parse(&base.replace('F', "1e6").replace('B', "1200"), "ok").is_ok());
    let e = parse(&base.replace('F', "-5").replace('B', "1200"), "f.toml").unwrap_err();
    assert!(e.to_string().contains("frequency_hz"), "{e}");
    let e = parse(&base.replace('F', "1e6").replace('B', "0"), "b.toml").unwrap_err();
    assert!(e.to_string().contains("baud"), "{e}");
    assert!(parse("name = \"X\"\ntransmitters = []\n", "t.toml").is_err());
}

#[test]
fn a_folder_overrides_and_adds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("us01.toml"),
        "name = \"US01 test\"\nnorad = 42721\n[[transmitters]]\nname = \"4k8\"\n\
         frequency_hz = 437_500_000\nmodulation = { type = \"gfsk\", baud = 4800 }\n\
         framing = { type = \"ax25_nrzi\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("new.toml"),
        "name = \"Newsat\"\n[[transmitters]]\nname = \"1k2\"\nfrequency_hz = 145e6\n\
         modulation = { type = \"afsk\", baud = 1200, mark_hz = 1200, space_hz = 2200 }\n\
         framing = { type = \"ax25_nrzi\" }\n",
    )
    .unwrap();
    let before = Satellites::builtin().unwrap().all().len();
    let sats = Satellites::load(&[dir.path().to_path_buf()]).unwrap();
    let all = sats.all();
    assert!(
        all.len() == before + 1 || all.len() == before + 2,
        "{}",
        all.len()
    );
    let us01 = sats.find("42721").unwrap();
    assert_eq!(us01.name, "US01 test");
    assert!(us01.source.ends_with("us01.toml"));
    assert!(sats.find("newsat").is_some());
    std::fs::write(dir.path().join("bad.toml"), "name = 3\n").unwrap();
    let e = Satellites::load(&[dir.path().to_path_buf()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.toml:1:"), "{e}");
}

#[test]
fn every_cubesat_recording_has_its_satellite() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let sats = Satellites::builtin().unwrap();
    let m = common::manifest(&root);
    let mut n = 0;
    for e in m["entries"].as_array().unwrap() {
        let dir = e["dir"].as_str().unwrap();
        if !dir.starts_with("cubesat-") {
            continue;
        }
        n += 1;
        let name = e["satellite"].as_str().unwrap();
        // The r2cloud entries give the NORAD number as a string.
        let norad = e["norad"]
            .as_u64()
            .or_else(|| e["norad"].as_str().and_then(|s| s.parse().ok()));
        let s = match norad {
            Some(norad) => sats.find(&norad.to_string()),
            None => sats.find(name).or_else(|| {
                // "Fox-1A (AO-85)": the name before the parenthesis.
                sats.find(name.split(" (").next().unwrap())
            }),
        };
        let s = s.unwrap_or_else(|| panic!("{dir}: no satellite {name:?}"));
        if let Some(mhz) = e["downlink_mhz"].as_f64() {
            assert!(
                s.transmitters
                    .iter()
                    .any(|t| (t.frequency_hz - mhz * 1e6).abs() < 5e3),
                "{dir}: {} has no transmitter at {mhz} MHz",
                s.name
            );
        }
    }
    assert!(n >= 45, "{n} cubesat recordings");
}
