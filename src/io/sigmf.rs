//! SigMF (Signal Metadata Format, spec v1.x): a `.sigmf-meta` JSON beside a
//! `.sigmf-data` file of headerless samples.
//!
//! Read: `core:datatype` (cu8, ci8, ci16_le, cf32_le, ru8, ri16_le, rf32_le),
//! `core:sample_rate`, `core:description`, `core:num_channels` (must be 1), the
//! first capture's `core:frequency` and `core:datetime`, and annotations.
//! Written: the same plus `core:version`, `core:hw` and `core:recorder`.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::meta::Facts;
use super::raw::{file_source, open_file};
use super::sink::SinkSpec;
use super::{Annotation, Container, InputError, Overrides, SampleFormat, SampleSource};

/// The SigMF version we write.
const SIGMF_VERSION: &str = "1.0.0";

/// Metadata files are small; anything bigger is not one (and is not read whole).
const META_MAX_BYTES: u64 = 64 << 20;

/// `X.sigmf-meta`, `X.sigmf-data` or `X.sigmf` → (`X.sigmf-meta`, `X.sigmf-data`).
pub(crate) fn pair_paths(path: &str) -> (String, String) {
    let lower = path.to_ascii_lowercase();
    let base_len = [".sigmf-meta", ".sigmf-data", ".sigmf"]
        .iter()
        .find(|s| lower.ends_with(*s))
        .map(|s| path.len() - s.len())
        .unwrap_or(path.len());
    let base = &path[..base_len];
    (format!("{base}.sigmf-meta"), format!("{base}.sigmf-data"))
}

fn datatype(dt: &str) -> Result<SampleFormat, String> {
    let fmt = match dt {
        "cu8" => SampleFormat::Cu8,
        "ci8" => SampleFormat::Cs8,
        "ci16_le" => SampleFormat::Cs16,
        "cf32_le" => SampleFormat::Cf32,
        "ru8" => SampleFormat::Ru8,
        "ri16_le" => SampleFormat::Ri16,
        "rf32_le" => SampleFormat::Rf32,
        _ if dt.ends_with("_be") => return Err(format!("big-endian SigMF datatype \"{dt}\" is not supported")),
        _ => {
            return Err(format!(
                "unsupported SigMF datatype \"{dt}\" (supported: cu8, ci8, ci16_le, cf32_le, ru8, ri16_le, rf32_le)"
            ))
        }
    };
    Ok(fmt)
}

fn opt_f64(obj: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("{key} is not a number")),
    }
}

fn opt_u64(obj: &Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{key} is not a non-negative integer")),
    }
}

fn opt_str(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key} is not a string")),
    }
}

fn objects<'a>(
    root: &'a Map<String, Value>,
    key: &str,
) -> Result<Vec<&'a Map<String, Value>>, String> {
    match root.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_object()
                    .ok_or_else(|| format!("{key}[{i}] is not an object"))
            })
            .collect(),
        Some(_) => Err(format!("\"{key}\" is not an array")),
    }
}

/// The facts in a SigMF metadata document.
fn parse_meta(text: &[u8], facts: &mut Facts) -> Result<(), String> {
    let root: Value =
        serde_json::from_slice(text).map_err(|e| format!("malformed SigMF metadata JSON: {e}"))?;
    let root = root
        .as_object()
        .ok_or("malformed SigMF metadata: the top level is not a JSON object")?;
    let global = root
        .get("global")
        .and_then(Value::as_object)
        .ok_or("malformed SigMF metadata: no \"global\" object")?;
    const ORIGIN: &str = "SigMF metadata";
    let dt = opt_str(global, "core:datatype")?.ok_or("SigMF metadata has no core:datatype")?;
    facts.format = Some((datatype(&dt)?, ORIGIN.into()));
    let rate =
        opt_f64(global, "core:sample_rate")?.ok_or("SigMF metadata has no core:sample_rate")?;
    facts.rate = Some((rate, ORIGIN.into()));
    if let Some(n) = opt_u64(global, "core:num_channels")? {
        if n != 1 {
            return Err(format!(
                "core:num_channels is {n}; only single-channel SigMF is supported"
            ));
        }
    }
    facts.description = opt_str(global, "core:description")?;

    let mut captures = objects(root, "captures")?;
    for (i, c) in captures.iter().enumerate() {
        if opt_u64(c, "core:header_bytes")?.unwrap_or(0) > 0 {
            return Err(format!(
                "captures[{i}] has core:header_bytes, which is not supported"
            ));
        }
    }
    captures.sort_by_key(|c| {
        c.get("core:sample_start")
            .and_then(Value::as_u64)
            .unwrap_or(0)
    });
    if let Some(first) = captures.first() {
        if let Some(f) = opt_f64(first, "core:frequency")? {
            facts.freq = Some((f, ORIGIN.into()));
        }
        if let Some(s) = opt_str(first, "core:datetime")? {
            let t = DateTime::parse_from_rfc3339(&s)
                .map_err(|e| format!("core:datetime \"{s}\" is not ISO 8601 / RFC 3339: {e}"))?
                .with_timezone(&Utc);
            // The datetime belongs to the capture's first sample.
            let start = opt_u64(first, "core:sample_start")?.unwrap_or(0);
            let back = if rate.is_finite() && rate > 0.0 {
                start as f64 / rate
            } else {
                0.0
            };
            let out_of_range =
                || format!("core:datetime \"{s}\" minus core:sample_start {start} is out of range");
            // Beyond ~3000 years the offset is nonsense (and would not fit in i64 ns).
            if !(back.is_finite() && back.abs() < 1e11) {
                return Err(out_of_range());
            }
            let t = t
                .checked_sub_signed(chrono::Duration::nanoseconds((back * 1e9).round() as i64))
                .ok_or_else(out_of_range)?;
            facts.start = Some((t, ORIGIN.into()));
        }
    }
    for (i, a) in objects(root, "annotations")?.into_iter().enumerate() {
        let at = |e: String| format!("annotations[{i}]: {e}");
        facts.annotations.push(Annotation {
            sample_start: opt_u64(a, "core:sample_start")
                .map_err(at)?
                .ok_or_else(|| format!("annotations[{i}] has no core:sample_start"))?,
            sample_count: opt_u64(a, "core:sample_count").map_err(at)?,
            freq_lower_edge_hz: opt_f64(a, "core:freq_lower_edge").map_err(at)?,
            freq_upper_edge_hz: opt_f64(a, "core:freq_upper_edge").map_err(at)?,
            label: opt_str(a, "core:label").map_err(at)?,
            comment: opt_str(a, "core:comment").map_err(at)?,
        });
    }
    Ok(())
}

pub(crate) fn open(path: &str, ov: &Overrides) -> Result<Box<dyn SampleSource>, InputError> {
    let (meta_path, data_path) = pair_paths(path);
    let meta_len = match std::fs::metadata(&meta_path) {
        Ok(m) => m.len(),
        Err(e) => {
            if path.to_ascii_lowercase().ends_with(".sigmf") && std::path::Path::new(path).is_file()
            {
                return Err(InputError::new(
                    path,
                    format!("SigMF archives (.sigmf, tar) are not supported: extract it to get {meta_path} and {data_path}"),
                ));
            }
            return Err(InputError::new(
                &meta_path,
                format!("cannot open SigMF metadata: {e}"),
            ));
        }
    };
    if meta_len > META_MAX_BYTES {
        return Err(InputError::new(
            &meta_path,
            format!("SigMF metadata is {meta_len} bytes, more than {META_MAX_BYTES}: not a metadata file?"),
        ));
    }
    let text = std::fs::read(&meta_path)
        .map_err(|e| InputError::new(&meta_path, format!("cannot read: {e}")))?;
    let mut facts = Facts::from_name(path);
    parse_meta(&text, &mut facts).map_err(|p| InputError::new(&meta_path, p))?;
    facts.apply_overrides(ov);
    let (file, len) = open_file(&data_path)?;
    let info = facts.into_info(path, &meta_path, Container::SigMf, |fmt| {
        let bps = fmt.bytes_per_sample() as u64;
        if len % bps != 0 {
            return Err(InputError::new(
                &data_path,
                format!("file size {len} bytes is not a multiple of the {bps}-byte {fmt} sample: truncated last sample"),
            ));
        }
        Ok(Some(len / bps))
    })?;
    let reader = file
        .try_clone()
        .map_err(|e| InputError::new(&data_path, format!("cannot open: {e}")))?;
    Ok(file_source(info, data_path, &file, 0, len, || {
        Box::new(reader)
    }))
}

/// The `.sigmf-meta` document for a sink, pretty-printed.
pub(crate) fn meta_json(spec: &SinkSpec) -> Vec<u8> {
    let mut global = Map::new();
    global.insert("core:datatype".into(), json!(spec.format.sigmf_datatype()));
    global.insert("core:sample_rate".into(), json!(spec.sample_rate_hz));
    global.insert("core:version".into(), json!(SIGMF_VERSION));
    global.insert("core:num_channels".into(), json!(1));
    global.insert(
        "core:recorder".into(),
        json!(concat!("downlink ", env!("CARGO_PKG_VERSION"))),
    );
    if let Some(d) = &spec.description {
        global.insert("core:description".into(), json!(d));
    }
    if let Some(hw) = &spec.hw {
        global.insert("core:hw".into(), json!(hw));
    }
    let mut capture = Map::new();
    capture.insert("core:sample_start".into(), json!(0));
    if let Some(f) = spec.center_freq_hz {
        capture.insert("core:frequency".into(), json!(f));
    }
    if let Some(t) = spec.start_time {
        capture.insert(
            "core:datetime".into(),
            json!(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        );
    }
    // The spec asks for annotations ordered by sample_start.
    let mut anns: Vec<&Annotation> = spec.annotations.iter().collect();
    anns.sort_by_key(|a| a.sample_start);
    let annotations: Vec<Value> = anns
        .into_iter()
        .map(|a| {
            let mut m = Map::new();
            m.insert("core:sample_start".into(), json!(a.sample_start));
            if let Some(v) = a.sample_count {
                m.insert("core:sample_count".into(), json!(v));
            }
            if let Some(v) = a.freq_lower_edge_hz {
                m.insert("core:freq_lower_edge".into(), json!(v));
            }
            if let Some(v) = a.freq_upper_edge_hz {
                m.insert("core:freq_upper_edge".into(), json!(v));
            }
            if let Some(v) = &a.label {
                m.insert("core:label".into(), json!(v));
            }
            if let Some(v) = &a.comment {
                m.insert("core:comment".into(), json!(v));
            }
            Value::Object(m)
        })
        .collect();
    let doc = json!({ "global": global, "captures": [capture], "annotations": annotations });
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_paths_resolve() {
        for p in ["/d/x.sigmf-meta", "/d/x.sigmf-data", "/d/x.sigmf", "/d/x"] {
            assert_eq!(
                pair_paths(p),
                ("/d/x.sigmf-meta".into(), "/d/x.sigmf-data".into()),
                "{p}"
            );
        }
    }

    #[test]
    fn datatypes() {
        for f in SampleFormat::ALL {
            assert_eq!(datatype(f.sigmf_datatype()), Ok(f));
        }
        assert!(datatype("ci16_be").unwrap_err().contains("big-endian"));
        assert!(datatype("cf64_le")
            .unwrap_err()
            .contains("unsupported SigMF datatype \"cf64_le\""));
    }

    #[test]
    fn capture_datetime_is_moved_to_sample_zero() {
        let mut f = Facts::default();
        parse_meta(
            br#"{"global":{"core:datatype":"cf32_le","core:sample_rate":1000,"core:version":"1.0.0"},
                "captures":[{"core:sample_start":500,"core:datetime":"2024-01-01T00:00:10.5Z","core:frequency":1e8}]}"#,
            &mut f,
        )
        .unwrap();
        assert_eq!(f.start.unwrap().0.to_rfc3339(), "2024-01-01T00:00:10+00:00");
        assert_eq!(f.freq.unwrap().0, 1e8);
    }

    #[test]
    fn meta_errors() {
        let mut f = Facts::default();
        let e = parse_meta(br#"{"global":{"core:datatype":"cu8"}}"#, &mut f).unwrap_err();
        assert!(e.contains("no core:sample_rate"), "{e}");
        let e = parse_meta(
            br#"{"global":{"core:datatype":"cu8","core:sample_rate":1,"core:num_channels":2}}"#,
            &mut f,
        )
        .unwrap_err();
        assert!(e.contains("num_channels is 2"), "{e}");
        let e = parse_meta(b"{\"global\": {", &mut f).unwrap_err();
        assert!(e.starts_with("malformed SigMF metadata JSON"), "{e}");
        let e = parse_meta(br#"{"global":{"core:datatype":"cu8","core:sample_rate":1},"annotations":[{"core:label":"x"}]}"#, &mut f)
            .unwrap_err();
        assert!(e.contains("annotations[0] has no core:sample_start"), "{e}");
    }
}
