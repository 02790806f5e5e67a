//! The module boundaries that `src/lib.rs` describes, checked on the source so that a
//! change that breaks one fails here rather than in review: which layer may name
//! which, no import cycle among the core's files, and no file grown past 900 lines.
//!
//! Only code counts: comment lines and each file's trailing `#[cfg(test)] mod tests`
//! are left out (tests may reach across layers to set things up).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The longest a Rust file may be.
const MAX_LINES: usize = 900;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The Rust files under a folder, or the one file `dir` names.
fn files_under(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let path = Path::new(REPO).join(dir);
    if path.is_file() {
        return vec![path];
    }
    rust_files(&path, &mut out);
    out.sort();
    assert!(!out.is_empty(), "no Rust files under {dir}");
    out
}

/// A file's code: without comment lines, and without its trailing test module.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn rel(path: &Path) -> String {
    path.strip_prefix(REPO)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Every file under `dir` names none of `forbidden`.
fn assert_never_names(dir: &str, forbidden: &[&str], why: &str) {
    let mut bad = Vec::new();
    for f in files_under(dir) {
        let code = code(&f);
        for name in forbidden {
            if code.contains(name) {
                bad.push(format!("{} names {name}", rel(&f)));
            }
        }
    }
    assert!(bad.is_empty(), "{why}:\n{}", bad.join("\n"));
}

#[test]
fn the_store_sits_below_the_core() {
    assert_never_names(
        "src/store",
        &[
            "crate::kms",
            "crate::api",
            "crate::auth",
            "crate::http",
            "crate::app",
            "crate::metrics",
            "crate::admin",
            "prometheus",
        ],
        "the store knows no core, dialect or HTTP; records come from crate::model; its \
         caches count hits in plain atomics and the metrics module measures it from outside",
    );
}

#[test]
fn crypto_is_pure() {
    assert_never_names(
        "src/crypto",
        &[
            "crate::store",
            "crate::kms",
            "crate::api",
            "crate::auth",
            "crate::http",
            "crate::app",
            "crate::config",
            "crate::metrics",
            "crate::admin",
            "prometheus",
            "std::fs",
            "std::net",
            "tokio",
        ],
        "crypto takes bytes and returns bytes: no storage, no core, no I/O",
    );
}

#[test]
fn the_core_knows_no_http_and_no_dialect() {
    assert_never_names(
        "src/kms",
        &[
            "crate::api",
            "crate::auth",
            "crate::http",
            "crate::app",
            "crate::config",
            "crate::metrics",
            "crate::admin",
            "prometheus",
            "hyper",
            "http::",
        ],
        "the core is reached through RequestContext, never through a dialect or HTTP; \
         it shows its caches' counts and is measured from outside",
    );
}

#[test]
fn authentication_knows_no_core() {
    assert_never_names(
        "src/auth",
        &[
            "crate::kms",
            "crate::api",
            "crate::http",
            "crate::app",
            "crate::metrics",
            "crate::admin",
            "prometheus",
        ],
        "a signature scheme turns a request into an account; what the account may do is the core's",
    );
}

#[test]
fn metrics_are_read_from_outcomes_and_counts_not_from_the_layers() {
    assert_never_names(
        "src/metrics",
        &[
            "crate::kms",
            "crate::api",
            "crate::auth",
            "crate::http",
            "crate::app",
            "crate::admin",
            "crate::config",
        ],
        "the metrics module is handed plain values (names, codes, durations, cache counts) \
         and wraps the store from outside; it names no layer but the store",
    );
}

#[test]
fn the_audit_trail_reads_outcomes_not_the_core() {
    assert_never_names(
        "src/audit",
        &[
            "crate::store",
            "crate::kms",
            "crate::auth",
            "crate::http",
            "crate::app",
            "crate::config",
            "crate::api::tencent",
            "crate::api::legacy",
            "crate::api::huawei",
            "hyper",
        ],
        "the audit trail records api::Outcome values with crypto's hashes and signatures; \
         the signing key arrives opened (app/audit.rs), the HTTP layer feeds it",
    );
}

#[test]
fn the_admin_listener_sees_no_dialect_and_no_core() {
    assert_never_names(
        "src/admin.rs",
        &[
            "crate::kms",
            "crate::api",
            "crate::auth",
            "crate::app",
            "crate::config",
        ],
        "the admin listener shows metrics and asks the store and registered checks; it \
         serves no dialect and holds no key",
    );
}

#[test]
fn the_core_and_the_dialects_know_no_audit_trail() {
    for dir in ["src/kms", "src/api", "src/auth", "src/store", "src/crypto"] {
        assert_never_names(
            dir,
            &["crate::audit"],
            "the audit trail hooks in at the HTTP layer (app wiring), never in the core or a dialect",
        );
    }
}

#[test]
fn the_records_are_a_leaf() {
    let code = code(&Path::new(REPO).join("src/model.rs"));
    let uses: Vec<&str> = code
        .lines()
        .filter(|l| l.contains("crate::"))
        .filter(|l| !l.contains("crate::crypto::cmk::"))
        .filter(|l| {
            !l.trim()
                .starts_with("use crate::crypto::asym::AsymmetricSpec;")
        })
        .collect();
    assert!(
        uses.is_empty(),
        "src/model.rs may name only crypto's cipher and key-type ids: {uses:?}"
    );
}

/// The `src/kms` files each file imports (`super::x`, `crate::kms::x`).
fn kms_imports() -> BTreeMap<String, BTreeSet<String>> {
    let files = files_under("src/kms");
    let names: BTreeSet<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut graph = BTreeMap::new();
    for f in &files {
        let me = f.file_stem().unwrap().to_string_lossy().into_owned();
        let code = code(f);
        let mut deps = BTreeSet::new();
        for prefix in ["super::", "crate::kms::"] {
            for (i, _) in code.match_indices(prefix) {
                let rest = &code[i + prefix.len()..];
                // `super::{a, b::C}` or `super::a`.
                let group = if let Some(inner) = rest.strip_prefix('{') {
                    &inner[..inner.find('}').unwrap_or(inner.len())]
                } else {
                    &rest[..rest
                        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len())]
                };
                for item in group.split(',') {
                    let first = item.trim().split("::").next().unwrap_or("").trim();
                    if names.contains(first) && first != me {
                        deps.insert(first.to_string());
                    } else if first.chars().next().is_some_and(char::is_uppercase) && me != "mod" {
                        // `super::Kms` and the other items defined in mod.rs.
                        deps.insert("mod".to_string());
                    }
                }
            }
        }
        graph.insert(me, deps);
    }
    graph
}

#[test]
fn no_import_cycle_among_the_core_files() {
    let graph = kms_imports();
    assert!(graph["keys"].contains("rules"), "the parser sees imports");
    // Depth-first search with colours: a grey node reached again closes a cycle.
    fn visit<'a>(
        n: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(n, 1);
        path.push(n);
        for d in graph.get(n).into_iter().flatten() {
            match state.get(d.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| *p == d).unwrap();
                    let mut cycle: Vec<String> =
                        path[start..].iter().map(|s| s.to_string()).collect();
                    cycle.push(d.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(d, graph, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(n, 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if !state.contains_key(n.as_str()) {
            if let Some(cycle) = visit(n, &graph, &mut state, &mut Vec::new()) {
                panic!("import cycle in src/kms: {}", cycle.join(" -> "));
            }
        }
    }
}

#[test]
fn no_file_over_900_lines() {
    let mut long = Vec::new();
    for dir in [
        "src",
        "tests",
        "benches",
        "examples",
        "fuzz/src",
        "fuzz/fuzz_targets",
    ] {
        for f in files_under(dir) {
            let r = rel(&f);
            let n = std::fs::read_to_string(&f).unwrap().lines().count();
            if n > MAX_LINES {
                long.push(format!("{r}: {n} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "split these by concern (at most {MAX_LINES} lines):\n{}",
        long.join("\n")
    );
}
