//! scripts/dev-db when the port it wants is held by a server it cannot use
//! (a distribution's MariaDB on 3306, say): it moves to a free port, or, when
//! that port was asked for, stops and says what to do.

use crate::common::scratch_dir;
use diesel::{Connection, MysqlConnection};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSWORD: &str = "dev-db test's password";

/// A dev-db state folder of its own; its server is stopped at the end.
struct DevDb {
    dir: PathBuf,
}

impl DevDb {
    fn new() -> DevDb {
        for tool in ["mariadbd", "mariadb-install-db", "mariadb"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(found, "{tool} is missing: scripts/dev-db installs MariaDB");
        }
        DevDb { dir: scratch_dir() }
    }

    fn run(&self, args: &[&str], requested_port: &str) -> Output {
        Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dev-db"))
            .args(args)
            .env("MMSTATUS_DEV_DB_DIR", &self.dir)
            .env("MMSTATUS_DEV_DB_PASSWORD", PASSWORD)
            .env("MMSTATUS_DEV_DB_PORT", requested_port)
            .output()
            .unwrap()
    }

    fn state(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name))
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

impl Drop for DevDb {
    fn drop(&mut self) {
        let _ = self.run(&["stop"], "");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port held by something that accepts connections but is no MariaDB
/// dev-db can log in to.
fn held_port() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[test]
fn a_held_port_moves_the_server_to_a_free_one_that_scripts_and_tests_find() {
    let dev = DevDb::new();
    let (_holder, taken) = held_port();
    // The port a previous start used, now held by another server.
    std::fs::create_dir_all(&dev.dir).unwrap();
    std::fs::write(dev.dir.join("port"), format!("{taken}\n")).unwrap();

    let start = dev.run(&[], "");
    let stderr = String::from_utf8_lossy(&start.stderr);
    assert!(start.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{taken} is taken by another server")),
        "{stderr}"
    );
    let port: u16 = dev.state("port").parse().unwrap();
    assert_ne!(port, taken);
    assert!(port >= 3307, "{port}");

    let url = String::from_utf8(dev.run(&["url"], "").stdout).unwrap();
    assert_eq!(url.trim(), dev.state("test-database-url"));
    assert!(url.starts_with(&format!(
        "mysql://root:dev-db%20test%27s%20password@127.0.0.1:{port}"
    )));
    MysqlConnection::establish(url.trim()).expect("the recorded URL logs in");

    // Started again, it keeps the server and its port.
    let again = dev.run(&[], "");
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already running"));
    assert_eq!(dev.state("port"), port.to_string());
}

#[test]
fn a_held_port_that_was_asked_for_is_refused_with_what_to_do() {
    let dev = DevDb::new();
    let (_holder, taken) = held_port();
    let run = dev.run(&[], &taken.to_string());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{taken} is taken by another server"))
            && stderr.contains("MMSTATUS_DEV_DB_PORT"),
        "{stderr}"
    );
    assert!(!dev.dir.join("data").exists(), "nothing was set up");
    assert_eq!(dev.state("port"), "");
}
