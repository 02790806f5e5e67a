//! The PostgreSQL test harness itself (`.ci/postgres` and `common::postgres`): servers
//! start, serve empty databases of their own, stop, crash and start again on the same port
//! with their data, and do not outlive the process that started them.

mod common;

use common::postgres::{psql, shared_url, with_database, PgServer};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn a_server_stops_and_starts_again_on_the_same_port_with_its_data() {
    let pg = PgServer::start();
    assert!(pg.is_running());
    let port = pg.port();
    assert!(
        pg.url.starts_with("postgres://smkms:")
            && pg.url.ends_with(&format!("@127.0.0.1:{port}/smkms")),
        "{}",
        pg.url
    );
    assert_eq!(psql(&pg.url, "select 1").unwrap(), "1");
    // Passwords are checked, over TCP.
    let wrong = pg
        .url
        .replacen("postgres://smkms:", "postgres://smkms:x", 1);
    assert!(psql(&wrong, "select 1").is_err());

    let db = pg.fresh_database();
    assert_ne!(db, pg.url);
    assert_eq!(psql(&db, "select 1").unwrap(), "1");
    psql(&db, "create table t (x int); insert into t values (7)").unwrap();

    pg.stop();
    assert!(!pg.is_running());
    assert!(psql(&db, "select 1").is_err(), "a stopped server answered");
    pg.stop(); // quiet when stopped already

    pg.start_again();
    assert_eq!(pg.port(), port);
    assert_eq!(psql(&db, "select x from t").unwrap(), "7");

    // A crash (immediate shutdown) keeps what was committed: recovery replays the WAL.
    psql(&db, "insert into t values (8)").unwrap();
    pg.kill();
    assert!(!pg.is_running());
    pg.start_again();
    assert_eq!(
        psql(&db, "select string_agg(x::text, ',' order by x) from t").unwrap(),
        "7,8"
    );
    assert!(
        pg.log().contains("redo"),
        "no crash recovery in the log:\n{}",
        pg.log()
    );

    let dir = pg.dir().to_path_buf();
    drop(pg);
    assert!(!dir.exists(), "{} outlived its PgServer", dir.display());
}

#[test]
fn fresh_databases_are_empty_and_apart() {
    let a = shared_url();
    let b = shared_url();
    assert_ne!(a, b);
    let tables = "select count(*) from pg_tables where schemaname = 'public'";
    assert_eq!(psql(&a, tables).unwrap(), "0");
    psql(&a, "create table only_in_a (x int)").unwrap();
    assert_eq!(psql(&a, tables).unwrap(), "1");
    assert_eq!(psql(&b, tables).unwrap(), "0");
}

#[test]
fn database_urls_keep_everything_but_the_database() {
    assert_eq!(
        with_database("postgres://u:p@127.0.0.1:5/smkms", "x"),
        "postgres://u:p@127.0.0.1:5/x"
    );
    assert_eq!(
        with_database("postgresql://u:p@h:5/db?sslmode=disable", "x"),
        "postgresql://u:p@h:5/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:5", "x"), "postgres://h:5/x");
}

#[test]
fn the_watchdog_stops_a_server_whose_owner_has_gone() {
    let mut owner = Command::new("sleep").arg("3").spawn().expect("spawn sleep");
    let pg = PgServer::start_watched_by(owner.id());
    let running = pg.is_running();
    // Unless the owner is gone already (a slow start), the server must be running.
    if owner.try_wait().unwrap().is_none() {
        assert!(
            running,
            "the server stopped while its owner lived:\n{}",
            pg.log()
        );
    }
    owner.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while pg.is_running() {
        assert!(
            Instant::now() < deadline,
            "the server still runs 30 s after its owner exited:\n{}",
            pg.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // --remove-dir: the watchdog deleted the directory too.
    let deadline = Instant::now() + Duration::from_secs(10);
    while pg.dir().exists() {
        assert!(
            Instant::now() < deadline,
            "{} not removed",
            pg.dir().display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
