//! The command line: help everywhere, first start, credentials, errors.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(bin()).args(args).output().unwrap()
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["credentials", "--help"],
        vec!["credentials", "create", "--help"],
        vec!["credentials", "list", "--help"],
        vec!["credentials", "delete", "--help"],
    ] {
        let out = run(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn errors_go_to_stderr_with_a_failing_status() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "credentials",
        "delete",
        "--data",
        dir.path().to_str().unwrap(),
        "AKIDnope",
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("AKIDnope"));
    let out = run(&["serve", "--listen", "not-an-address"]);
    assert!(!out.status.success());
    assert!(!out.stderr.is_empty());
    let out = run(&["frobnicate"]);
    assert!(!out.status.success());
}

#[test]
fn first_start_creates_a_private_data_dir_and_prints_one_credential() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let mut server = Server::start(&data);
    assert!(server.banner.contains("SecretId:"), "{}", server.banner);
    let id = server
        .banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("SecretId:"))
        .unwrap()
        .trim()
        .to_string();
    let key = server
        .banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("SecretKey:"))
        .unwrap()
        .trim()
        .to_string();
    let uin: u64 = server
        .banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("Uin:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let c = server.client(&Cred {
        secret_id: id.clone(),
        secret_key: key.clone(),
        uin,
    });
    c.ok("GenerateRandom", serde_json::json!({"NumberOfBytes": 8}));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data.join("root.key")), 0o600);
    assert_eq!(mode(&data), 0o700);
    // The secret is not in the database in the clear.
    let db = std::fs::read(data.join("smkms.db")).unwrap();
    assert!(!db.windows(key.len()).any(|w| w == key.as_bytes()));
    assert_eq!(server.stop(), Some(0));
    let server = Server::start(&data);
    assert!(server.banner.is_empty(), "printed again: {}", server.banner);

    let out = run(&[
        "credentials",
        "list",
        "--json",
        "--data",
        data.to_str().unwrap(),
    ]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["SecretId"], id.as_str());
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&key),
        "list never shows secrets"
    );
}

#[test]
fn a_wrong_root_key_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    create_credential(dir.path(), None);
    let out = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .env("SMKMS_ROOT_KEY", "11".repeat(32))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("root key does not match"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn credentials_on_a_new_dir_then_the_server_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let a = create_credential(dir.path(), None);
    let b = create_credential(dir.path(), None);
    assert_ne!(a.uin, b.uin, "each create without --uin is a new account");
    let server = Server::start(dir.path());
    assert!(
        server.banner.is_empty(),
        "credentials create initialised the dir already"
    );
    let ka = server
        .client(&a)
        .ok("CreateKey", serde_json::json!({"Alias": "mine"}));
    let (code, _) = server
        .client(&b)
        .err("DescribeKey", serde_json::json!({"KeyId": ka["KeyId"]}));
    assert_eq!(
        code, "ResourceUnavailable.CmkNotFound",
        "accounts are isolated"
    );
}

/// A syntax error in the configuration file is reported by file, line and column,
/// without the file's text: the offending line may be the root key.
#[test]
fn a_config_error_does_not_print_the_root_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = "5a".repeat(32);
    let config = dir.path().join("smkms.toml");
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:0\"\nroot_key = \"{key}\nlog = \"info\"\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    for command in [&["serve"][..], &["credentials", "create", "--json"][..]] {
        let out = Command::new(bin())
            .args(command)
            .arg("--config")
            .arg(&config)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{command:?}: {stderr}");
        assert!(
            !stderr.contains(&key[..16]),
            "{command:?} printed the key: {stderr}"
        );
        assert!(
            stderr.contains(&format!("{}: line 2, column ", config.display())),
            "{command:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{command:?}");
    }
    assert!(!data.exists(), "nothing was started");
}

/// The data directory is 0700 and the database, its -wal and -shm files and the root
/// key 0600, whatever the umask the server was started under.
#[test]
#[allow(clippy::zombie_processes)] // killed and waited for below
fn the_data_files_are_private_under_any_umask() {
    use std::io::BufRead;
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let mut child = Command::new("sh")
        .args([
            "-c",
            "umask 000; exec \"$0\" serve --listen 127.0.0.1:0 --data \"$1\"",
        ])
        .arg(bin())
        .arg(&data)
        .env("SMKMS_LOG", "off")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines.any(|l| l.unwrap().starts_with("smkms listening on"));
    let mode = |name: &str| {
        std::fs::metadata(data.join(name))
            .map(|m| m.permissions().mode() & 0o777)
            .map_err(|e| format!("{name}: {e}"))
    };
    let modes: Vec<_> = ["", "smkms.db", "smkms.db-wal", "smkms.db-shm", "root.key"]
        .into_iter()
        .map(|name| (name, mode(name)))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening, "the server did not start");
    for (name, mode) in modes {
        let want = if name.is_empty() { 0o700 } else { 0o600 };
        assert_eq!(mode, Ok(want), "{name:?} under umask 000");
    }
}

/// An existing data directory open to other users (as `mkdir` makes it) is made 0700
/// before anything is written into it.
#[test]
fn a_data_directory_open_to_others_is_made_private() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    create_credential(&data, None);
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    let server = Server::start(&data);
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert!(server.find_in_log(&["now mode 700".to_string()]).is_some());
}

/// `credentials create` next to a running server: the server uses the new credential
/// at once. (Were the mode check to open and close the database file after SQLite
/// has, that would drop the process's POSIX locks on it, SQLite's too: the command,
/// closing, would take itself for the last connection and delete the WAL the server
/// still reads, and the server would go on with a stale view.)
#[test]
fn a_credential_created_beside_a_running_server_works_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = create_credential(dir.path(), None);
    create_credential(dir.path(), Some(first.uin));
    create_credential(dir.path(), None);
    let server = Server::start(dir.path());
    for i in 0..4 {
        let cred = create_credential(dir.path(), Some(first.uin));
        // Writes and reads by the server between two runs of the command.
        let c = server.client(&cred);
        let key = c.ok(
            "CreateKey",
            serde_json::json!({"Alias": format!("beside-{i}")}),
        );
        c.ok(
            "GenerateDataKey",
            serde_json::json!({"KeyId": key["KeyId"], "NumberOfBytes": 16}),
        );
        c.ok("ListDataKeys", serde_json::json!({}));
    }
    server
        .client(&first)
        .ok("GenerateRandom", serde_json::json!({"NumberOfBytes": 8}));
}

fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap()
}

fn secret_ids(data: &std::path::Path) -> Vec<String> {
    let out = run(&[
        "credentials",
        "list",
        "--json",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["SecretId"].as_str().unwrap().to_string())
        .collect()
}

/// When the new SecretKey cannot be written (here: to a full disk), the command fails
/// cleanly, without a panic, and the credential nobody saw is deleted again.
#[test]
fn a_credential_that_cannot_be_printed_is_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let kept = create_credential(dir.path(), None);
    for json in [true, false] {
        let mut cmd = Command::new(bin());
        cmd.args(["credentials", "create", "--data", d]);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.stdout(dev_full()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "json={json}: {stderr}");
        assert!(!stderr.contains("panicked"), "json={json}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output") && stderr.contains("deleted again"),
            "json={json}: {stderr}"
        );
        assert_eq!(
            secret_ids(dir.path()),
            vec![kept.secret_id.clone()],
            "json={json}"
        );
    }
    // The other commands fail as cleanly.
    for args in [
        &["credentials", "list", "--data", d][..],
        &["credentials", "list", "--json", "--data", d][..],
    ] {
        let out = Command::new(bin())
            .args(args)
            .stdout(dev_full())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{args:?}: {stderr}"
        );
    }
}

/// The first start's credential follows the same rule: if it cannot be shown, the
/// server does not start, says so, and keeps no credential.
#[test]
fn a_first_credential_that_cannot_be_printed_is_not_kept() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let mut child = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("SMKMS_LOG", "off")
        .stdout(dev_full())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "the server kept running with its first credential unseen: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("cannot write to standard output")
            && stderr.contains("deleted again")
            && stderr.contains("smkms credentials create"),
        "{stderr}"
    );
    assert!(secret_ids(&data).is_empty());
}

/// A SIGTERM the moment the listening line appears (a supervisor, or a test, that stops
/// a server it just started) drains and stops it cleanly, with status 0 and the audit
/// trail closed by a signed head: the handler exists before the line is printed.
#[test]
fn sigterm_right_after_the_listening_line_stops_cleanly() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut server = Server::start(&data);
        assert_eq!(server.stop(), Some(0), "status after an immediate SIGTERM");
        let out = run(&["audit", "verify", "--data", data.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
