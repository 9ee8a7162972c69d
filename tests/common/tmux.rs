//! A detached tmux server on a private socket, for driving a program in a real terminal.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    /// A server on its own socket (`NAME-PID`) running `script` in a detached session
    /// `tui` of `columns`×`rows`.
    pub fn start(name: &str, columns: u16, rows: u16, script: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("{name}-{}", std::process::id()),
        };
        let (x, y) = (columns.to_string(), rows.to_string());
        let started = tmux.cmd(&["new-session", "-d", "-s", "tui", "-x", &x, "-y", &y, script]);
        assert!(started.status.success(), "{started:?}");
        tmux
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("running tmux (install it: apt-get install tmux)")
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "tui"]).stdout).into_owned()
    }

    /// Waits until the pane shows every needle.
    pub fn wait_for(&self, needles: &[&str], limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let pane = self.capture();
            if needles.iter().all(|n| pane.contains(n)) {
                return pane;
            }
            assert!(
                start.elapsed() < limit,
                "pane never showed {needles:?}; last capture:\n{pane}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}
