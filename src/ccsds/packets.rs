//! Space packet reassembly from M_PDUs, per virtual channel
//! (CCSDS 732.0-B-4 §4.1.4.2 and §4.2.4, "packet extraction").
//!
//! Each VCDU's packet zone continues the packet in progress on its virtual
//! channel; its first header pointer (FHP) says where the next packet header
//! starts. Continuity is judged from the 24-bit VC frame count, cross-checked
//! with the FHP:
//!
//! * count = previous + 1: continuous. If a packet is in progress, the FHP must
//!   equal the bytes it still lacks (or be 0x7FF when it lacks at least a whole
//!   packet zone); otherwise the frame is corrupt, the partial packet is dropped
//!   and extraction restarts at the FHP.
//! * count jumps: frames were lost (or a new capture began, for a backward
//!   jump). The partial packet is dropped and extraction restarts at the FHP.
//! * count repeats: a byte-identical frame is a duplicate and is ignored. A
//!   different frame with the same count happens on Meteor-M, whose counter
//!   sometimes stops incrementing for a run of frames (the `meteorDuplicates`
//!   recording holds 256 frames with count 0x25FF00 and then 169 with 0x260000,
//!   all distinct and consecutive; jradio handles the same quirk in
//!   `PacketReassembly`, "sometimes meteor-m stops incrementing counter"). Such
//!   a frame is taken as the next one when its FHP agrees with the packet in
//!   progress, and the expected next count advances with it, so when the counter
//!   resumes at the true value no frames are counted as lost.

use serde::Serialize;
use std::collections::BTreeMap;

use super::error::CcsdsError;
use super::space_packet::{SpacePacket, PRIMARY_HEADER_BYTES};
use super::vcdu::{Vcdu, VcduLayout, FHP_IDLE_DATA, FHP_NO_PACKET_START};

const COUNT_MASK: u32 = 0xFF_FFFF;
const COUNT_HALF: u32 = 1 << 23;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    pub layout: VcduLayout,
    /// Length of every VCDU in the input (892 for Meteor LRPT, GK-2A LRIT, FY-3).
    pub frame_bytes: usize,
    /// When set, frames from other spacecraft are counted and skipped.
    pub spacecraft_id: Option<u8>,
    /// Emit packets cut short by a discontinuity or by the end of the input
    /// (flagged by [`SpacePacket::is_truncated`]) instead of discarding them.
    /// Useful for imagery, where the leading part of a packet still decodes.
    pub emit_truncated: bool,
}

impl ReassemblyConfig {
    /// Meteor-M LRPT: 892-byte VCDUs with the 2-octet insert zone.
    pub fn meteor_lrpt() -> Self {
        ReassemblyConfig {
            layout: VcduLayout::METEOR_LRPT,
            frame_bytes: 892,
            spacecraft_id: None,
            emit_truncated: false,
        }
    }
}

/// Counters since construction or the last [`PacketReassembler::reset`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReassemblyStats {
    /// Frames accepted for extraction (duplicates and rejected frames excluded).
    pub vcdus: u64,
    /// Frames on the idle virtual channel (63), skipped.
    pub idle_vcdus: u64,
    /// Frames with a version other than AOS ('01') or a foreign spacecraft id.
    pub rejected_vcdus: u64,
    /// Byte-identical repeats of the previous frame, ignored.
    pub duplicate_vcdus: u64,
    /// Distinct frames that repeat the previous count and were accepted as the
    /// next frame because their first header pointer agrees (Meteor quirk).
    pub stuck_counter_vcdus: u64,
    /// Frames missing according to forward jumps of the frame count.
    pub lost_vcdus: u64,
    /// Backward jumps of the frame count (a new capture or a counter reset).
    pub backward_jumps: u64,
    /// Breaks in continuity of any kind (gaps, backward jumps, repeats whose
    /// first header pointer disagrees).
    pub discontinuities: u64,
    /// Complete packets emitted (idle packets excluded).
    pub packets: u64,
    /// Idle packets (APID 2047), dropped.
    pub idle_packets: u64,
    /// Packets in progress abandoned at a discontinuity or at the end of the
    /// input (emitted as truncated when the config asks for it).
    pub partial_packets_dropped: u64,
    /// First header pointers beyond the packet zone, or disagreeing with the
    /// packet in progress on a continuous frame.
    pub bad_first_header_pointers: u64,
    /// Packet headers with a version other than 0 (extraction resyncs).
    pub bad_packet_headers: u64,
    /// Packet zones whose end, after the last packet, is zero fill rather
    /// than an idle packet (what GK-2A's xRIT frames carry).
    pub zero_fill_zones: u64,
}

#[derive(Debug, Clone)]
struct VcState {
    last_count: u32,
    /// Frames accepted with a repeated count since `last_count` was seen first.
    stuck_run: u32,
    last_frame: Vec<u8>,
    /// Bytes of the packet in progress.
    partial: Vec<u8>,
    /// True when the next packet-zone byte is known to continue `partial` (or,
    /// with `partial` empty, to start a packet header).
    in_sync: bool,
}

/// Reassembles space packets from a stream of VCDUs.
#[derive(Debug, Clone)]
pub struct PacketReassembler {
    config: ReassemblyConfig,
    pending: Vec<u8>,
    channels: BTreeMap<u8, VcState>,
    stats: ReassemblyStats,
}

enum Continuity {
    Continuous,
    Stuck,
    Break { lost: u32, backward: bool },
}

impl PacketReassembler {
    pub fn new(config: ReassemblyConfig) -> Result<Self, CcsdsError> {
        let min = config.layout.packet_zone_offset() + 1;
        if config.frame_bytes < min {
            return Err(CcsdsError::Config(format!(
                "frame_bytes {} leaves no packet zone for the {} layout (needs at least {min})",
                config.frame_bytes, config.layout.name
            )));
        }
        let zone = config.frame_bytes - config.layout.packet_zone_offset();
        if zone > usize::from(FHP_IDLE_DATA) {
            return Err(CcsdsError::Config(format!(
                "a packet zone of {zone} octets cannot be addressed by an 11-bit first header pointer"
            )));
        }
        Ok(PacketReassembler {
            config,
            pending: Vec::new(),
            channels: BTreeMap::new(),
            stats: ReassemblyStats::default(),
        })
    }

    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    pub fn stats(&self) -> &ReassemblyStats {
        &self.stats
    }

    /// Forgets all channel state, buffered bytes and counters.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.channels.clear();
        self.stats = ReassemblyStats::default();
    }

    /// Consumes concatenated frames of `frame_bytes` each, in chunks of any
    /// size, appending complete packets to `output`.
    pub fn process(&mut self, input: &[u8], output: &mut Vec<SpacePacket>) {
        let n = self.config.frame_bytes;
        let mut input = input;
        if !self.pending.is_empty() {
            let take = (n - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() < n {
                return;
            }
            let frame = std::mem::take(&mut self.pending);
            self.frame(&frame, output);
        }
        let mut chunks = input.chunks_exact(n);
        for frame in &mut chunks {
            self.frame(frame, output);
        }
        self.pending.extend_from_slice(chunks.remainder());
    }

    /// Consumes one frame, which must be exactly `frame_bytes` long.
    pub fn push_frame(
        &mut self,
        frame: &[u8],
        output: &mut Vec<SpacePacket>,
    ) -> Result<(), CcsdsError> {
        if frame.len() != self.config.frame_bytes {
            return Err(CcsdsError::FrameLengthMismatch {
                got: frame.len(),
                expected: self.config.frame_bytes,
            });
        }
        self.frame(frame, output);
        Ok(())
    }

    /// Ends the input: packets still in progress are abandoned (emitted as
    /// truncated when configured). Bytes of an incomplete trailing frame are
    /// discarded. The reassembler can then take a new stream.
    pub fn finish(&mut self, output: &mut Vec<SpacePacket>) {
        self.pending.clear();
        let vcids: Vec<u8> = self.channels.keys().copied().collect();
        for vcid in vcids {
            self.cut_partial(vcid, output);
            if let Some(st) = self.channels.get_mut(&vcid) {
                st.in_sync = false;
            }
        }
    }

    fn frame(&mut self, frame: &[u8], output: &mut Vec<SpacePacket>) {
        // `frame_bytes` is at least the header length (checked in `new`).
        let Ok(vcdu) = Vcdu::parse(frame, self.config.layout) else {
            self.stats.rejected_vcdus += 1;
            return;
        };
        if vcdu.version() != 1
            || self
                .config
                .spacecraft_id
                .is_some_and(|id| id != vcdu.spacecraft_id())
        {
            self.stats.rejected_vcdus += 1;
            return;
        }
        if vcdu.is_idle_frame() {
            self.stats.idle_vcdus += 1;
            return;
        }
        let vcid = vcdu.virtual_channel_id();
        let count = vcdu.frame_count();
        let fhp = vcdu.first_header_pointer();
        let zone = vcdu.packet_zone();

        let Some(st) = self.channels.get_mut(&vcid) else {
            self.stats.vcdus += 1;
            self.channels.insert(
                vcid,
                VcState {
                    last_count: count,
                    stuck_run: 0,
                    last_frame: frame.to_vec(),
                    partial: Vec::new(),
                    in_sync: false,
                },
            );
            self.resync(vcid, fhp, zone, output);
            return;
        };

        let expected = (st.last_count + st.stuck_run + 1) & COUNT_MASK;
        let continuity = if count == expected {
            Continuity::Continuous
        } else if count == st.last_count {
            if st.last_frame == frame {
                self.stats.duplicate_vcdus += 1;
                return;
            }
            if consistent(st, fhp, zone) {
                Continuity::Stuck
            } else {
                Continuity::Break {
                    lost: 0,
                    backward: false,
                }
            }
        } else {
            let diff = count.wrapping_sub(expected) & COUNT_MASK;
            if diff < COUNT_HALF {
                Continuity::Break {
                    lost: diff,
                    backward: false,
                }
            } else {
                Continuity::Break {
                    lost: 0,
                    backward: true,
                }
            }
        };
        self.stats.vcdus += 1;
        st.last_frame.clear();
        st.last_frame.extend_from_slice(frame);
        match continuity {
            Continuity::Continuous => {
                st.last_count = count;
                st.stuck_run = 0;
                if consistent(st, fhp, zone) {
                    self.extract(vcid, fhp, zone, output);
                } else {
                    self.stats.bad_first_header_pointers += 1;
                    self.cut_partial(vcid, output);
                    self.resync(vcid, fhp, zone, output);
                }
            }
            Continuity::Stuck => {
                st.stuck_run += 1;
                self.stats.stuck_counter_vcdus += 1;
                self.extract(vcid, fhp, zone, output);
            }
            Continuity::Break { lost, backward } => {
                st.last_count = count;
                st.stuck_run = 0;
                self.stats.discontinuities += 1;
                self.stats.lost_vcdus += u64::from(lost);
                if backward {
                    self.stats.backward_jumps += 1;
                }
                self.cut_partial(vcid, output);
                self.resync(vcid, fhp, zone, output);
            }
        }
    }

    /// Continues extraction on a frame judged continuous with the previous one.
    fn extract(&mut self, vcid: u8, fhp: u16, zone: &[u8], output: &mut Vec<SpacePacket>) {
        let in_sync = self.channels.get(&vcid).is_some_and(|s| s.in_sync);
        if !in_sync {
            self.resync(vcid, fhp, zone, output);
            return;
        }
        if fhp == FHP_IDLE_DATA {
            // Only idle data here: nothing continues into the next frame.
            self.cut_partial(vcid, output);
            return;
        }
        // `consistent` has checked that the packet boundaries fall on the FHP.
        self.feed(vcid, zone, output);
    }

    /// Drops any partial packet and starts extraction at the first header pointer.
    fn resync(&mut self, vcid: u8, fhp: u16, zone: &[u8], output: &mut Vec<SpacePacket>) {
        if let Some(st) = self.channels.get_mut(&vcid) {
            st.partial.clear();
            st.in_sync = false;
        }
        if fhp == FHP_NO_PACKET_START || fhp == FHP_IDLE_DATA {
            return;
        }
        let at = usize::from(fhp);
        if at > zone.len() {
            self.stats.bad_first_header_pointers += 1;
            return;
        }
        if let Some(st) = self.channels.get_mut(&vcid) {
            st.in_sync = true;
        }
        self.feed(vcid, &zone[at..], output);
    }

    /// Appends packet-zone bytes to the packet in progress, emitting each packet
    /// as it completes.
    fn feed(&mut self, vcid: u8, bytes: &[u8], output: &mut Vec<SpacePacket>) {
        let Some(st) = self.channels.get_mut(&vcid) else {
            return;
        };
        let mut bytes = bytes;
        while !bytes.is_empty() {
            if st.partial.is_empty() && bytes.iter().all(|&b| b == 0) {
                // Zero fill after the last packet instead of an idle packet
                // (GK-2A xRIT frames end this way). No packet header is six
                // zero bytes followed by nothing but zeros, so this is not data.
                self.stats.zero_fill_zones += 1;
                return;
            }
            if st.partial.len() < PRIMARY_HEADER_BYTES {
                let take = (PRIMARY_HEADER_BYTES - st.partial.len()).min(bytes.len());
                st.partial.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if st.partial.len() < PRIMARY_HEADER_BYTES {
                    return;
                }
                if st.partial[0] >> 5 != 0 {
                    // Not a CCSDS packet version: the stream is corrupt here.
                    self.stats.bad_packet_headers += 1;
                    st.partial.clear();
                    st.in_sync = false;
                    return;
                }
            }
            let total = packet_total_len(&st.partial);
            let take = (total - st.partial.len()).min(bytes.len());
            st.partial.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if st.partial.len() < total {
                return;
            }
            let done = std::mem::take(&mut st.partial);
            // Six bytes or more are present, so `from_bytes` cannot fail.
            if let Ok(p) = SpacePacket::from_bytes(done, vcid) {
                if p.is_idle() {
                    self.stats.idle_packets += 1;
                } else {
                    self.stats.packets += 1;
                    output.push(p);
                }
            }
        }
    }

    fn cut_partial(&mut self, vcid: u8, output: &mut Vec<SpacePacket>) {
        let Some(st) = self.channels.get_mut(&vcid) else {
            return;
        };
        if st.partial.is_empty() {
            return;
        }
        self.stats.partial_packets_dropped += 1;
        let bytes = std::mem::take(&mut st.partial);
        if self.config.emit_truncated {
            if let Ok(p) = SpacePacket::from_bytes(bytes, vcid) {
                if !p.is_idle() {
                    output.push(p);
                }
            }
        }
    }
}

fn packet_total_len(header: &[u8]) -> usize {
    PRIMARY_HEADER_BYTES + usize::from(u16::from_be_bytes([header[4], header[5]])) + 1
}

/// Whether a frame's first header pointer agrees with the packet in progress.
fn consistent(st: &VcState, fhp: u16, zone: &[u8]) -> bool {
    if !st.in_sync {
        // Nothing in progress to check against; extraction restarts at the FHP.
        return true;
    }
    if fhp == FHP_IDLE_DATA {
        return st.partial.is_empty();
    }
    let need = if st.partial.is_empty() {
        0
    } else {
        let have = st.partial.len();
        let mut header = [0u8; PRIMARY_HEADER_BYTES];
        let from_partial = have.min(PRIMARY_HEADER_BYTES);
        header[..from_partial].copy_from_slice(&st.partial[..from_partial]);
        let from_zone = PRIMARY_HEADER_BYTES - from_partial;
        if zone.len() < from_zone {
            return false;
        }
        header[from_partial..].copy_from_slice(&zone[..from_zone]);
        packet_total_len(&header) - have
    };
    if fhp == FHP_NO_PACKET_START {
        need >= zone.len()
    } else {
        usize::from(fhp) == need
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ccsds::space_packet::SequenceFlags;
    use crate::ccsds::vcdu::write_header;

    const LAYOUT: VcduLayout = VcduLayout::METEOR_LRPT;
    const FRAME: usize = 892;
    const ZONE: usize = 882;

    fn packet(apid: u16, count: u16, len: usize) -> Vec<u8> {
        let data: Vec<u8> = (0..len).map(|i| (i as u8) ^ (count as u8)).collect();
        SpacePacket::build(apid, SequenceFlags::Unsegmented, count, true, &data)
            .unwrap()
            .into_bytes()
    }

    /// Cuts a byte stream of packets into frames, with correct first header
    /// pointers; an idle packet fills the last frame, as on the real link.
    fn frames(stream: &[u8], starts: &[usize], first_count: u32) -> Vec<Vec<u8>> {
        let mut stream = stream.to_vec();
        let mut starts = starts.to_vec();
        let mut fill = (ZONE - stream.len() % ZONE) % ZONE;
        if fill > 0 && fill < 7 {
            fill += ZONE;
        }
        if fill > 0 {
            starts.push(stream.len());
            stream.extend_from_slice(&packet(2047, 0, fill - 6));
        }
        let mut out = Vec::new();
        for (i, zone) in stream.chunks(ZONE).enumerate() {
            let base = i * ZONE;
            let fhp = starts
                .iter()
                .find(|&&s| s >= base && s < base + zone.len())
                .map(|&s| (s - base) as u16)
                .unwrap_or(FHP_NO_PACKET_START);
            let mut f = vec![0u8; FRAME];
            write_header(&mut f, LAYOUT, 0, 5, first_count + i as u32, fhp).unwrap();
            f[10..10 + zone.len()].copy_from_slice(zone);
            out.push(f);
        }
        out
    }

    fn stream(lens: &[usize]) -> (Vec<u8>, Vec<usize>, Vec<Vec<u8>>) {
        let mut s = Vec::new();
        let mut starts = Vec::new();
        let mut pkts = Vec::new();
        for (i, &len) in lens.iter().enumerate() {
            starts.push(s.len());
            let p = packet(64, i as u16, len);
            s.extend_from_slice(&p);
            pkts.push(p);
        }
        (s, starts, pkts)
    }

    fn run(frames: &[Vec<u8>], emit_truncated: bool) -> (Vec<SpacePacket>, ReassemblyStats) {
        let mut cfg = ReassemblyConfig::meteor_lrpt();
        cfg.emit_truncated = emit_truncated;
        let mut r = PacketReassembler::new(cfg).unwrap();
        let mut out = Vec::new();
        for f in frames {
            r.push_frame(f, &mut out).unwrap();
        }
        r.finish(&mut out);
        (out, r.stats().clone())
    }

    #[test]
    fn packets_spanning_several_frames() {
        // 2000- and 1500-byte packets span 2-3 frames each; small ones share frames.
        let (s, starts, pkts) = stream(&[100, 2000, 30, 1500, 700, 10]);
        let fr = frames(&s, &starts, 1000);
        let (out, st) = run(&fr, false);
        let got: Vec<Vec<u8>> = out.iter().map(|p| p.bytes().to_vec()).collect();
        // The last packet ends inside the last frame, so all complete.
        assert_eq!(got, pkts);
        assert_eq!(st.packets, 6);
        assert_eq!(st.vcdus, fr.len() as u64);
        assert_eq!(st.lost_vcdus, 0);
        assert_eq!(st.partial_packets_dropped, 0);
    }

    #[test]
    fn lost_frame_drops_partial_and_resumes_at_next_header() {
        // Packets of 600 bytes: frame k carries pieces of packets around it.
        let (s, starts, pkts) = stream(&[600; 9]);
        let fr = frames(&s, &starts, 10);
        assert_eq!(fr.len(), 7); // 5454 bytes / 882
        let mut kept = fr.clone();
        // Packets are 606 bytes (header included) starting at 0, 606, ... 4848.
        // Frame 3 holds stream bytes 2646..3528: packet 4 (2424..3030) loses
        // its end, packet 5 (3030..3636) its start; packet 6 starts in frame 4
        // at that frame's first header pointer.
        kept.remove(3);
        let (out, st) = run(&kept, false);
        let counts: Vec<u16> = out.iter().map(|p| p.sequence_count()).collect();
        assert_eq!(counts, vec![0, 1, 2, 3, 6, 7, 8]);
        for p in &out {
            assert_eq!(p.bytes(), &pkts[p.sequence_count() as usize][..]);
        }
        assert_eq!(st.lost_vcdus, 1);
        assert_eq!(st.discontinuities, 1);
        assert_eq!(st.partial_packets_dropped, 1);
    }

    #[test]
    fn duplicated_frame_is_ignored() {
        let (s, starts, pkts) = stream(&[500, 1200, 300, 800]);
        let mut fr = frames(&s, &starts, 7);
        let dup = fr[1].clone();
        fr.insert(2, dup);
        let (out, st) = run(&fr, false);
        let got: Vec<Vec<u8>> = out.iter().map(|p| p.bytes().to_vec()).collect();
        assert_eq!(got, pkts);
        assert_eq!(st.duplicate_vcdus, 1);
        assert_eq!(st.discontinuities, 0);
    }

    #[test]
    fn stuck_counter_is_followed_when_pointers_agree() {
        let (s, starts, pkts) = stream(&[500, 1200, 300, 800, 900, 1000]);
        let mut fr = frames(&s, &starts, 0x25FF00);
        // The counter sticks for frames 1..=3, then resumes at the true value.
        for f in fr.iter_mut().take(4).skip(1) {
            f[2..5].copy_from_slice(&[0x25, 0xFF, 0x00]);
        }
        let (out, st) = run(&fr, false);
        let got: Vec<Vec<u8>> = out.iter().map(|p| p.bytes().to_vec()).collect();
        assert_eq!(got, pkts);
        assert_eq!(st.stuck_counter_vcdus, 3);
        assert_eq!(st.lost_vcdus, 0);
        assert_eq!(st.discontinuities, 0);
    }

    #[test]
    fn stuck_counter_with_a_hidden_gap_resyncs() {
        // Same count on both sides of a lost frame: the first header pointer
        // disagrees with the packet in progress, so it is a break, not a repeat.
        let (s, starts, _pkts) = stream(&[1000, 1000, 1000, 1000]);
        let mut fr = frames(&s, &starts, 50);
        for f in fr.iter_mut() {
            f[2..5].copy_from_slice(&[0, 0, 50]);
        }
        fr.remove(2);
        let (out, st) = run(&fr, true);
        let counts: Vec<(u16, bool)> = out
            .iter()
            .map(|p| (p.sequence_count(), p.is_truncated()))
            .collect();
        // Frame 2 (bytes 1764..2646) is gone: packet 1 (1006..2012) is cut and
        // emitted truncated; packet 2 (2012..3018) has no header; packet 3 is whole.
        assert_eq!(counts, vec![(0, false), (1, true), (3, false)]);
        assert_eq!(st.discontinuities, 1);
        assert_eq!(st.partial_packets_dropped, 1);
    }

    #[test]
    fn idle_packets_and_frames_are_dropped() {
        let mut s = packet(64, 0, 100);
        let idle = packet(2047, 0, 200);
        let starts = vec![0, s.len(), s.len() + idle.len()];
        s.extend_from_slice(&idle);
        s.extend_from_slice(&packet(65, 1, 50));
        let mut fr = frames(&s, &starts, 0);
        let mut idle_frame = vec![0u8; FRAME];
        write_header(&mut idle_frame, LAYOUT, 0, 63, 0, FHP_NO_PACKET_START).unwrap();
        fr.push(idle_frame);
        let (out, st) = run(&fr, false);
        let apids: Vec<u16> = out.iter().map(|p| p.apid()).collect();
        assert_eq!(apids, vec![64, 65]);
        // The listed idle packet and the one filling the last frame.
        assert_eq!(st.idle_packets, 2);
        assert_eq!(st.idle_vcdus, 1);
    }

    #[test]
    fn zero_fill_after_the_last_packet_is_not_a_packet() {
        // Frame 0: one 300-byte packet, then zeros (as GK-2A sends); its
        // first header pointer is 0. Frame 1 starts a new packet at offset 0.
        let p0 = packet(6, 0, 294);
        let p1 = packet(6, 1, 100);
        let mut f0 = vec![0u8; FRAME];
        write_header(&mut f0, LAYOUT, 0, 5, 0, 0).unwrap();
        f0[10..10 + p0.len()].copy_from_slice(&p0);
        let mut f1 = vec![0u8; FRAME];
        write_header(&mut f1, LAYOUT, 0, 5, 1, 0).unwrap();
        f1[10..10 + p1.len()].copy_from_slice(&p1);
        let (out, st) = run(&[f0, f1], false);
        let got: Vec<Vec<u8>> = out.iter().map(|p| p.bytes().to_vec()).collect();
        assert_eq!(got, vec![p0, p1]);
        assert_eq!(st.zero_fill_zones, 2);
        assert_eq!(st.bad_first_header_pointers, 0);
    }

    #[test]
    fn backward_jump_is_not_counted_as_loss() {
        let (s, starts, _) = stream(&[400, 400, 400]);
        let mut fr = frames(&s, &starts, 100);
        let (s2, starts2, _) = stream(&[300, 300]);
        fr.extend(frames(&s2, &starts2, 3));
        let (out, st) = run(&fr, false);
        assert_eq!(out.len(), 5);
        assert_eq!(st.backward_jumps, 1);
        assert_eq!(st.lost_vcdus, 0);
    }

    #[test]
    fn chunk_size_invariance() {
        let (s, starts, _) = stream(&[100, 2000, 30, 1500, 700, 10, 3000, 5]);
        let fr = frames(&s, &starts, 0);
        let all: Vec<u8> = fr.concat();
        let mut one = PacketReassembler::new(ReassemblyConfig::meteor_lrpt()).unwrap();
        let mut a = Vec::new();
        one.process(&all, &mut a);
        for chunk in [1usize, 7, 891, 893, 5000] {
            let mut r = PacketReassembler::new(ReassemblyConfig::meteor_lrpt()).unwrap();
            let mut b = Vec::new();
            for c in all.chunks(chunk) {
                r.process(c, &mut b);
            }
            assert_eq!(a, b, "chunk {chunk}");
            assert_eq!(one.stats(), r.stats());
        }
        assert_eq!(a.len(), 8);
    }

    #[test]
    fn bad_pointer_and_bad_version_are_counted() {
        let (s, starts, _) = stream(&[100, 100]);
        let mut fr = frames(&s, &starts, 0);
        // Corrupt: FHP beyond the zone on a fresh channel.
        fr[0][8] = 0x03;
        fr[0][9] = 0x80; // 896 > 882
        let (out, st) = run(&fr, false);
        assert!(out.is_empty());
        assert_eq!(st.bad_first_header_pointers, 1);
        let (s, starts, _) = stream(&[100, 100]);
        let mut fr = frames(&s, &starts, 0);
        fr[0][10] = 0xE0; // packet version 7
        let (out, st) = run(&fr, false);
        assert!(out.is_empty());
        assert_eq!(st.bad_packet_headers, 1);
    }

    #[test]
    fn wrong_length_and_config_errors() {
        let mut r = PacketReassembler::new(ReassemblyConfig::meteor_lrpt()).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            r.push_frame(&[0u8; 10], &mut out).unwrap_err(),
            CcsdsError::FrameLengthMismatch {
                got: 10,
                expected: 892
            }
        );
        let mut cfg = ReassemblyConfig::meteor_lrpt();
        cfg.frame_bytes = 10;
        assert!(PacketReassembler::new(cfg).is_err());
        cfg.frame_bytes = 4000;
        assert!(PacketReassembler::new(cfg).is_err());
    }
}
