//! A throwaway PostgreSQL server: `initdb` into a temporary directory, a free loopback port,
//! `pg_ctl start`, and `pg_ctl stop -m immediate` plus removal on drop.
//!
//! PostgreSQL refuses to run as root, so as root every binary runs as the `postgres` user
//! (`runuser -u postgres --`) on directories it owns. The superuser `postgres` connects over
//! TCP without a password (trust: SCRAM's key stretching would make every connect in an
//! unoptimised test build cost a large part of a second); the role [`SECURED_ROLE`] needs
//! [`PASSWORD`] (scram-sha-256), for tests of authentication.

use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The password of [`SECURED_ROLE`] on every test server.
pub const PASSWORD: &str = "perfkit-test";
/// A login role that must present [`PASSWORD`].
pub const SECURED_ROLE: &str = "secured";

/// A running server; stopped and deleted on drop.
pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// Where `initdb` lives: on `PATH`, or in Debian's versioned directory.
fn find_bin_dir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        && out.status.success()
    {
        let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let resolved = fs::canonicalize(&path).unwrap_or(path);
        return resolved.parent().map(Path::to_path_buf);
    }
    let mut versions: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl PgServer {
    /// Starts a server, or returns `None` (after printing why) when PostgreSQL is not
    /// installed. With `PERFKIT_REQUIRE_TOOLS` set, a missing PostgreSQL is a panic instead.
    pub fn start() -> Option<Self> {
        let Some(bin) = find_bin_dir() else {
            let msg = "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql); \
                       install with `apt-get install -y postgresql`";
            assert!(!super::tools_required(), "{msg}");
            eprintln!("skipping: {msg}");
            return None;
        };
        let as_postgres = is_root();
        let dir =
            std::env::temp_dir().join(format!("perfkit-pg-{}-{}", std::process::id(), free_port()));
        fs::create_dir_all(&dir).expect("create the server directory");
        // The data directory must be private to its owner.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod");
        let server = Self {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&server.dir)
                .status()
                .expect("run chown");
            assert!(status.success(), "chown the server directory to postgres");
        }
        let data = server.data_dir();
        server.run_ok(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        // First match wins: the secured role needs its password, everyone else is trusted.
        let hba = data.join("pg_hba.conf");
        let rest = fs::read_to_string(&hba).expect("read pg_hba.conf");
        fs::write(
            &hba,
            format!("host all {SECURED_ROLE} 127.0.0.1/32 scram-sha-256\n{rest}"),
        )
        .expect("write pg_hba.conf");
        server.start_again();
        server.psql(&format!(
            "CREATE ROLE {SECURED_ROLE} LOGIN PASSWORD '{PASSWORD}'"
        ));
        Some(server)
    }

    /// One server for every test in this binary that does not stop, freeze or restart it.
    ///
    /// Statics are never dropped, so a reaper process (a shell loop) stops the server and
    /// deletes its directory once this test process has exited, however it exits.
    pub fn shared() -> Option<&'static PgServer> {
        static SHARED: OnceLock<Option<PgServer>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let server = PgServer::start()?;
                server.spawn_reaper();
                Some(server)
            })
            .as_ref()
    }

    fn spawn_reaper(&self) {
        let stop = format!(
            "{} {} -D {} -m immediate -w stop",
            if self.as_postgres {
                "runuser -u postgres --"
            } else {
                ""
            },
            self.bin.join("pg_ctl").display(),
            self.data_dir().display()
        );
        // The loop runs in a background subshell, so the `sh` we wait for exits at once and
        // the loop, re-parented, outlives this process.
        let script = format!(
            "( while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; {stop}; rm -rf {dir} ) >/dev/null 2>&1 &",
            pid = std::process::id(),
            dir = self.dir.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("start the reaper");
    }

    /// The connection URL of the superuser.
    pub fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The URL of [`SECURED_ROLE`] with `password` (right or wrong).
    pub fn url_with_password(&self, password: &str) -> String {
        format!(
            "postgresql://{SECURED_ROLE}:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// The superuser's URL for another database on this server.
    pub fn url_for_db(&self, db: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs one SQL command as the superuser through `psql` on the Unix socket.
    pub fn psql(&self, sql: &str) {
        let port = self.port.to_string();
        let out = self.run_path(
            &self.bin.join("psql"),
            &[
                "-h",
                path_str(&self.dir),
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
        );
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts (or restarts after [`stop`](Self::stop)) the server and waits until it
    /// accepts connections.
    pub fn start_again(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB",
            self.port,
            path_str(&self.dir)
        );
        let log = self.dir.join("server.log");
        self.run_ok(
            "pg_ctl",
            &[
                "-D",
                path_str(&self.data_dir()),
                "-l",
                path_str(&log),
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        self.wait_ready(Duration::from_secs(30));
    }

    /// Stops the server at once (`-m immediate`), as a crash or a failover would.
    pub fn stop(&self) {
        self.run_ok(
            "pg_ctl",
            &[
                "-D",
                path_str(&self.data_dir()),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Freezes every server process (SIGSTOP): connections stay open but nothing answers.
    pub fn freeze(&self) {
        self.signal_all("STOP");
    }

    /// Undoes [`freeze`](Self::freeze).
    pub fn thaw(&self) {
        self.signal_all("CONT");
    }

    fn signal_all(&self, signal: &str) {
        let pid = self.postmaster_pid();
        // The postmaster and its children (backends, background workers).
        let script = format!("kill -{signal} {pid}; pkill -{signal} -P {pid}; true");
        let status = Command::new("sh")
            .args(["-c", &script])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    fn postmaster_pid(&self) -> u32 {
        let text = fs::read_to_string(self.data_dir().join("postmaster.pid"))
            .expect("the server is running");
        text.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("a pid on the first line of postmaster.pid")
    }

    fn wait_ready(&self, limit: Duration) {
        let start = Instant::now();
        while start.elapsed() < limit {
            let out = self.run(
                "pg_isready",
                &["-h", "127.0.0.1", "-p", &self.port.to_string(), "-t", "1"],
            );
            if out.status.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "PostgreSQL did not become ready in {limit:?}:\n{}",
            self.log()
        );
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        self.run_path(&self.bin.join(tool), args)
    }

    fn run_path(&self, exe: &Path, args: &[&str]) -> Output {
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
    }

    fn run_ok(&self, tool: &str, args: &[&str]) {
        let out = self.run(tool, args);
        assert!(
            out.status.success(),
            "{tool} {args:?} failed:\n{}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.data_dir().join("postmaster.pid").exists() {
            // A frozen server would ignore the stop.
            self.thaw();
            let _ = self.run(
                "pg_ctl",
                &[
                    "-D",
                    path_str(&self.data_dir()),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            );
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}
