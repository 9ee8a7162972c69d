//! The crate's error type, and how each kind maps to the process exit code.

use crate::io::{InputError, OutputError};

/// Anything that stops a command. Input problems exit with 2 (the user must fix the
/// input or the command line); output and internal problems with 1; a live device lost
/// mid-run with 3.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("{0}")]
    Output(#[from] OutputError),
    /// A command-line value that cannot work (a channel outside the band, an FFT size of 3).
    #[error("{0}")]
    Usage(String),
    /// A bug or an environment failure (a thread that died).
    #[error("internal error: {0}")]
    Internal(String),
    /// A live device failed mid-run; the products are complete up to the failure.
    #[error("{0}")]
    DeviceLost(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Usage(_) => 2,
            Error::Output(_) | Error::Internal(_) => 1,
            // Distinct, so a service manager can restart on it.
            Error::DeviceLost(_) => 3,
        }
    }

    pub fn output(path: &std::path::Path, problem: impl std::fmt::Display) -> Self {
        Error::Output(OutputError {
            path: path.display().to_string(),
            problem: problem.to_string(),
        })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
