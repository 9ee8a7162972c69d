//! Synchronisation: gain control, carrier and symbol-timing recovery, lock
//! detection.
//!
//! Loop bandwidths are given as fractions of the symbol rate (`B_n·T`), so a
//! block configured once behaves the same at 1200 Bd and at 72 kBd.

pub mod agc;
pub mod bit_sync;
pub mod carrier_search;
pub mod costas;
pub mod lock_detector;
pub mod loop_filter;
pub mod psk_modulation;
pub mod symbol_sync;
pub mod timing_lock;

pub use agc::{Agc, AgcConfig};
pub use carrier_search::{CarrierEstimate, CarrierSearch, CarrierSearchConfig};
pub use costas::{Costas, CostasConfig};
pub use lock_detector::{LockDetector, LockDetectorConfig};
pub use loop_filter::LoopFilter;
pub use psk_modulation::PskModulation;
pub use symbol_sync::{Strobe, SymbolSync, SymbolSyncConfig};
pub use timing_lock::{TimingLock, TimingLockConfig};
