//! The private PostgreSQL cluster behind `folio serve` with no `DATABASE_URL`: found on the machine, initialized
//! once under the data directory, reached only through a Unix socket in that directory (no TCP port), and stopped
//! again by the process that started it.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};

/// The database Folio creates in its private cluster.
pub const DATABASE_NAME: &str = "folio";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin. \
         Folio needs them to run its own private database when no DATABASE_URL is set. Install them \
         (Debian/Ubuntu: `apt install postgresql`; macOS: `brew install postgresql`), or point Folio at an \
         existing database with DATABASE_URL=postgres://user:password@host:5432/dbname."
    )]
    BinariesNotFound,
    #[error(
        "Folio runs as root, so its private PostgreSQL cluster must run as the `postgres` system user, \
         which does not exist here. Create it (`useradd --system postgres`), run Folio as another user, or set DATABASE_URL."
    )]
    NoPostgresUser,
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}: {1}")]
    Io(String, io::Error),
    #[error("could not prepare the database: {0}")]
    Database(String),
}

/// A running private cluster. Dropping it stops the cluster if this value started it.
#[derive(Debug)]
pub struct Cluster {
    bin_dir: PathBuf,
    pgdata: PathBuf,
    run_as: Option<(u32, u32)>,
    started_here: bool,
    stopped: bool,
}

impl Cluster {
    /// Initializes the cluster on first use, starts it unless it already runs, and creates Folio's database.
    pub fn start(data_dir: &Path) -> Result<Cluster, ClusterError> {
        let bin_dir = find_bin_dir().ok_or(ClusterError::BinariesNotFound)?;
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .ok_or(ClusterError::NoPostgresUser)?;
            Some((user.uid.as_raw(), user.gid.as_raw()))
        } else {
            None
        };
        fs::create_dir_all(data_dir).map_err(|e| io_error(data_dir, e))?;
        let data_dir = fs::canonicalize(data_dir).map_err(|e| io_error(data_dir, e))?;
        let pgdata = data_dir.join("pg");
        let mut cluster = Cluster {
            bin_dir,
            pgdata,
            run_as,
            started_here: false,
            stopped: false,
        };
        if !cluster.pgdata.join("PG_VERSION").exists() {
            cluster.init(&data_dir)?;
        }
        if !cluster.is_running() {
            cluster.run_pg_ctl(
                &["start", "-w", "-t", "60", "-l"],
                Some(&cluster.log_file()),
            )?;
            cluster.started_here = true;
        }
        cluster.create_database()?;
        Ok(cluster)
    }

    /// Starts (or finds running) a streaming replica of this cluster under `data_dir`, made on first use by
    /// `pg_basebackup -R` over this cluster's socket and reached through a socket of its own: for tests and
    /// local trials of read replicas (`DATABASE_REPLICA_URLS`). It is left running when the value is dropped.
    pub fn start_replica(&self, data_dir: &Path) -> Result<Cluster, ClusterError> {
        fs::create_dir_all(data_dir).map_err(|e| io_error(data_dir, e))?;
        let data_dir = fs::canonicalize(data_dir).map_err(|e| io_error(data_dir, e))?;
        let replica = Cluster {
            bin_dir: self.bin_dir.clone(),
            pgdata: data_dir.join("pg"),
            run_as: self.run_as,
            started_here: false,
            stopped: false,
        };
        if !replica.pgdata.join("PG_VERSION").exists() {
            fs::set_permissions(&data_dir, fs::Permissions::from_mode(0o755))
                .map_err(|e| io_error(&data_dir, e))?;
            // pg_basebackup fills an empty directory the cluster's user owns.
            let _ = fs::remove_dir_all(&replica.pgdata);
            replica.make_pgdata()?;
            let (pgdata, primary) = (
                replica.pgdata.to_string_lossy().into_owned(),
                self.pgdata.to_string_lossy().into_owned(),
            );
            replica
                .command("pg_basebackup")
                .args(["-D", &pgdata, "-R", "-X", "stream", "-c", "fast"])
                .args(["-h", &primary, "-U", "postgres"])
                .output()
                .map_err(|e| io_error(&self.bin_dir.join("pg_basebackup"), e))
                .and_then(|out| check("pg_basebackup", out))?;
            // The primary's socket lock and log came along with its data directory.
            for copied in [".s.PGSQL.5432.lock", "folio-postgres.log"] {
                let _ = fs::remove_file(replica.pgdata.join(copied));
            }
            replica.append_conf(&format!(
                "\n# A replica of {primary}\nunix_socket_directories = '{}'\n",
                pgdata.replace('\'', "''")
            ))?;
        }
        if !replica.is_running() {
            replica.run_pg_ctl(
                &["start", "-w", "-t", "60", "-l"],
                Some(&replica.log_file()),
            )?;
        }
        Ok(replica)
    }

    /// Stops the cluster at once (`pg_ctl stop -m immediate`), whoever started it: for fault tests.
    pub fn kill(&self) -> Result<(), ClusterError> {
        self.run_pg_ctl(&["stop", "-w", "-m", "immediate"], None)
    }

    /// Starts the cluster again after `kill`.
    pub fn start_again(&self) -> Result<(), ClusterError> {
        self.run_pg_ctl(&["start", "-w", "-t", "60", "-l"], Some(&self.log_file()))
    }

    /// The URL of Folio's database in this cluster (libpq: an absolute `host` is a socket directory).
    pub fn database_url(&self) -> String {
        self.url_for(DATABASE_NAME)
    }

    /// Leaves the cluster running when this value is dropped (the test suite's cluster outlives each run).
    pub fn keep_running(&mut self) {
        self.started_here = false;
    }

    /// Whether this value started the cluster (false when it found one already running).
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Stops the cluster if this value started it; a cluster found running is left running.
    pub fn stop(&mut self) -> Result<(), ClusterError> {
        if self.started_here && !self.stopped {
            self.stopped = true;
            self.run_pg_ctl(&["stop", "-w", "-m", "fast"], None)?;
        }
        Ok(())
    }

    fn url_for(&self, database: &str) -> String {
        format!(
            "postgres:///{database}?host={}&user=postgres",
            percent_encode(&self.pgdata.to_string_lossy())
        )
    }

    fn log_file(&self) -> PathBuf {
        self.pgdata.join("folio-postgres.log")
    }

    fn init(&self, data_dir: &Path) -> Result<(), ClusterError> {
        // The cluster's user must be able to reach the directory that holds it.
        fs::set_permissions(data_dir, fs::Permissions::from_mode(0o755))
            .map_err(|e| io_error(data_dir, e))?;
        self.make_pgdata()?;
        let pgdata = self.pgdata.to_string_lossy().into_owned();
        self.command("initdb")
            .args([
                "-D",
                &pgdata,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .output()
            .map_err(|e| io_error(&self.bin_dir.join("initdb"), e))
            .and_then(|out| check("initdb", out))?;
        // Only the socket in the data directory: no TCP port is taken, and no other user can connect.
        self.append_conf(&format!(
            "\n# Folio's private cluster\nlisten_addresses = ''\nunix_socket_directories = '{}'\nunix_socket_permissions = 0700\n",
            pgdata.replace('\'', "''")
        ))
    }

    /// An empty data directory only the cluster's user can enter.
    fn make_pgdata(&self) -> Result<(), ClusterError> {
        fs::create_dir_all(&self.pgdata).map_err(|e| io_error(&self.pgdata, e))?;
        fs::set_permissions(&self.pgdata, fs::Permissions::from_mode(0o700))
            .map_err(|e| io_error(&self.pgdata, e))?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(&self.pgdata, Some(uid), Some(gid))
                .map_err(|e| io_error(&self.pgdata, e))?;
        }
        Ok(())
    }

    /// Settings after the ones already in `postgresql.conf` (the last of a name wins).
    fn append_conf(&self, conf: &str) -> Result<(), ClusterError> {
        let conf_path = self.pgdata.join("postgresql.conf");
        let mut existing = fs::read_to_string(&conf_path).map_err(|e| io_error(&conf_path, e))?;
        existing.push_str(conf);
        fs::write(&conf_path, existing).map_err(|e| io_error(&conf_path, e))
    }

    fn is_running(&self) -> bool {
        self.command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&self.pgdata)
            .output()
            .map(|out| out.status.success())
            .unwrap_or(false)
    }

    fn run_pg_ctl(&self, args: &[&str], log: Option<&Path>) -> Result<(), ClusterError> {
        let mut cmd = self.command("pg_ctl");
        cmd.arg(args[0])
            .arg("-D")
            .arg(&self.pgdata)
            .args(&args[1..]);
        if let Some(log) = log {
            cmd.arg(log);
        }
        let out = cmd
            .output()
            .map_err(|e| io_error(&self.bin_dir.join("pg_ctl"), e))?;
        check(&format!("pg_ctl {}", args[0]), out).map_err(|e| match (e, log) {
            (ClusterError::Command { what, detail }, Some(log)) => ClusterError::Command {
                what,
                detail: format!("{detail} (server log: {})", log.display()),
            },
            (e, _) => e,
        })
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        // The cluster's user may not be allowed into the caller's working directory.
        cmd.current_dir(self.pgdata.parent().unwrap_or(Path::new("/")));
        cmd.env_remove("PGDATA").env("LC_ALL", "C");
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        cmd
    }

    fn create_database(&self) -> Result<(), ClusterError> {
        let mut conn = PgConnection::establish(&self.url_for("postgres"))
            .map_err(|e| ClusterError::Database(e.to_string()))?;
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}')"
        )))
        .get_result(&mut conn)
        .map_err(|e| ClusterError::Database(e.to_string()))?;
        if !exists {
            diesel::sql_query(format!("CREATE DATABASE {DATABASE_NAME}"))
                .execute(&mut conn)
                .map_err(|e| ClusterError::Database(e.to_string()))?;
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            log::error!("could not stop the private PostgreSQL cluster: {e}");
        }
    }
}

/// PATH first (followed to where its programs really are), then Debian's versioned directories, newest first.
fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_tools(d)) {
            // A link on PATH (`/usr/local/bin/initdb`) leads to the directory with the other programs
            // (`pg_basebackup`).
            return fs::canonicalize(dir.join("initdb"))
                .ok()
                .and_then(|initdb| initdb.parent().map(Path::to_path_buf))
                .filter(|real| has_tools(real))
                .or(Some(dir));
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_tools(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn check(what: &str, out: Output) -> Result<(), ClusterError> {
    if out.status.success() {
        return Ok(());
    }
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_owned();
    Err(ClusterError::Command {
        what: what.to_owned(),
        detail: [text(&out.stderr), text(&out.stdout)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
    })
}

fn io_error(path: &Path, e: io::Error) -> ClusterError {
    ClusterError::Io(path.display().to_string(), e)
}

/// Percent-encodes everything but unreserved characters and `/`, for a path inside a connection URL.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn socket_paths_are_encoded_for_urls() {
        assert_eq!(super::percent_encode("/tmp/a b/pg"), "/tmp/a%20b/pg");
        assert_eq!(super::percent_encode("/x/é"), "/x/%C3%A9");
    }
}
