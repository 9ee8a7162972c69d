//! Frame synchronisation and the assembled CCSDS concatenated decoder.
