//! Products are written under a temporary name and renamed into place only when
//! complete, so a crash, an error or Ctrl-C never leaves a half file that looks finished.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written to `<final>.part`; `commit` renames it, dropping removes it.
pub struct AtomicFile {
    final_path: PathBuf,
    part_path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(final_path: &Path) -> Result<Self> {
        let mut part = final_path.as_os_str().to_owned();
        part.push(".part");
        let part_path = PathBuf::from(part);
        let file = File::create(&part_path).map_err(|e| Error::output(&part_path, e))?;
        Ok(AtomicFile {
            final_path: final_path.to_path_buf(),
            part_path,
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.final_path
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("writer present until commit")
    }

    /// Flushes, syncs and renames the file to its final name.
    pub fn commit(mut self) -> Result<PathBuf> {
        let writer = self.writer.take().expect("writer present until commit");
        let file = writer
            .into_inner()
            .map_err(|e| Error::output(&self.part_path, e.error()))?;
        file.sync_all()
            .map_err(|e| Error::output(&self.part_path, e))?;
        drop(file);
        std::fs::rename(&self.part_path, &self.final_path)
            .map_err(|e| Error::output(&self.final_path, e))?;
        Ok(self.final_path.clone())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.part_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_and_drop_removes() {
        let dir = tempfile::tempdir().unwrap();
        let done = dir.path().join("done.bin");
        let mut f = AtomicFile::create(&done).unwrap();
        f.write_all(b"abc").unwrap();
        assert!(!done.exists());
        f.commit().unwrap();
        assert_eq!(std::fs::read(&done).unwrap(), b"abc");

        let abandoned = dir.path().join("abandoned.bin");
        let mut f = AtomicFile::create(&abandoned).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert!(!abandoned.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
