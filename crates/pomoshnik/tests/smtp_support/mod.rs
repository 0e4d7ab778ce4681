//! A real SMTP server on loopback for the e-mail tests: `aiosmtpd` from PyPI, which `.ci/run`
//! installs, storing every message it accepts in a maildir.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `aiosmtpd` on a loopback port, storing every message it accepts in a maildir.
pub struct SmtpServer {
    child: Option<Child>,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    /// Reserves a port for a server started later with [`SmtpServer::start`].
    pub fn reserve() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("failed to find a free port").port();
        SmtpServer { child: None, port, maildir: tempfile::tempdir().expect("failed to create the maildir") }
    }

    pub fn start(&mut self) {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", self.port), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 is missing: install it and `pip install aiosmtpd` (bash .ci/run does)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on port {} within 20 s: is it installed (pip install aiosmtpd)?", self.port);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Returns every message received so far, oldest first, as raw bytes.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut paths: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
        for folder in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.path().join("mail").join(folder)) else { continue };
            for entry in entries {
                let path = entry.expect("failed to read the maildir").path();
                let modified = std::fs::metadata(&path).and_then(|metadata| metadata.modified()).expect("failed to stat a message");
                paths.push((modified, path));
            }
        }
        paths.sort();
        paths.into_iter().map(|(_, path)| std::fs::read(path).expect("failed to read a message")).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

