//! The private cluster behind `folio serve` with no DATABASE_URL: first start, reuse, and stop.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use folio::config::Config;
use folio::db::embedded::Cluster;

use crate::helpers::TestApp;

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("folio-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn postmaster_running(dir: &std::path::Path) -> bool {
    dir.join("pg").join("postmaster.pid").exists()
}

#[actix_web::test]
async fn serve_without_database_url_starts_reuses_and_stops_a_private_cluster() {
    let data = TempDir::new();

    // First start: initializes the cluster, creates and migrates the database, serves.
    let config = Config {
        database_url: None,
        data_dir: data.0.clone(),
        ..Config::for_database("unused")
    };
    let app = TestApp::start(config.clone(), None).await;
    assert!(
        data.0.join("pg").join("PG_VERSION").exists(),
        "cluster initialized"
    );
    assert!(postmaster_running(&data.0), "cluster running");
    assert!(!std::fs::read_to_string(data.0.join("pg/postgresql.conf"))
        .unwrap_or_default()
        .is_empty());
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.text());

    // While it runs, a second user of the same directory reuses it and leaves it running.
    {
        let mut second = Cluster::start(&data.0).expect("reuse running cluster");
        assert!(!second.started_here());
        let mut conn = PgConnection::establish(&second.database_url()).expect("connect");
        conn.batch_execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
            .expect("write");
        drop(conn);
        second.stop().expect("stop is a no-op for a reused cluster");
    }
    assert!(
        postmaster_running(&data.0),
        "a reused cluster is not stopped by its borrower"
    );

    // The server that started it stops it on shutdown; wait for that.
    drop(app);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while postmaster_running(&data.0) && std::time::Instant::now() < deadline {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        !postmaster_running(&data.0),
        "cluster stopped with the server"
    );

    // Second start reuses the initialized directory: the data written before is still there.
    let mut again = Cluster::start(&data.0).expect("restart");
    assert!(again.started_here());
    let mut conn = PgConnection::establish(&again.database_url()).expect("connect");
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        n: i32,
    }
    let rows: Vec<N> = diesel::sql_query("SELECT n FROM kept")
        .load(&mut conn)
        .expect("read");
    assert_eq!(rows.iter().map(|r| r.n).collect::<Vec<_>>(), vec![42]);
    drop(conn);
    again.stop().expect("stop");
    assert!(!postmaster_running(&data.0));
}
