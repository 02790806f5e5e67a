//! `smkms audit verify`: walks every replica's chain in a directory and names the first
//! record that does not fit.
//!
//! Per replica: files numbered 1, 2, … with none missing; every file starts with an
//! `open` record naming its own index; `seq` goes up by one; every `prev` is the SM3
//! hash of the line before (across files too); every line is whole JSON, except that a
//! file may end with half a line (a crash) when the next file's first record declares
//! exactly that many `torn_bytes`; zeros after the records (the preallocated end of a
//! file the server did not close) are ignored. With a public key, every `head` signature must
//! verify. What the chain alone cannot show: records cut from the very end of the
//! newest file along with its heads; the signed heads bound that to the records after
//! the last head a verifier has seen.

use super::record::{hash_line, GENESIS};
use crate::crypto::sm2::sign::PublicKey;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The first bad record: file and line (1-based), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad {
    pub file: String,
    pub line: usize,
    pub what: String,
}

impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.what)
        } else {
            write!(f, "{} line {}: {}", self.file, self.line, self.what)
        }
    }
}

/// What one good chain holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    pub replica: String,
    pub files: usize,
    pub records: u64,
    pub requests: u64,
    pub refused: u64,
    pub heads: u64,
    /// Heads whose signature was checked (all of them when a key was given).
    pub heads_verified: u64,
    /// Records after the last signed head.
    pub after_last_head: u64,
    pub first_time: String,
    pub last_time: String,
    pub last_hash: String,
}

impl std::fmt::Display for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "replica {}: {} files, {} records ({} requests, {} answered with an error), \
             {} signed heads ({} verified), {} records after the last head, {} .. {}, \
             head {}",
            self.replica,
            self.files,
            self.records,
            self.requests,
            self.refused,
            self.heads,
            self.heads_verified,
            self.after_last_head,
            self.first_time,
            self.last_time,
            self.last_hash
        )
    }
}

/// Checks every chain in `dir` (or only `replica`'s).
pub fn verify_dir(
    dir: &Path,
    key: Option<&PublicKey>,
    replica: Option<&str>,
) -> Result<Vec<Chain>, Bad> {
    let bad_dir = |what: String| Bad {
        file: dir.display().to_string(),
        line: 0,
        what,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| bad_dir(format!("cannot read it: {e}")))?;
    let mut chains: BTreeMap<String, Vec<(u64, PathBuf)>> = BTreeMap::new();
    for e in entries {
        let e = e.map_err(|e| bad_dir(format!("cannot read it: {e}")))?;
        if let Some((r, i)) = e.file_name().to_str().and_then(super::parse_file_name) {
            chains.entry(r).or_default().push((i, e.path()));
        }
    }
    if let Some(r) = replica {
        chains.retain(|k, _| k == r);
    }
    if chains.is_empty() {
        return Err(bad_dir(
            "holds no audit files (audit-<replica>-<n>.jsonl)".into(),
        ));
    }
    chains
        .into_iter()
        .map(|(r, mut files)| {
            files.sort();
            verify_chain(&r, &files, key)
        })
        .collect()
}

fn verify_chain(
    replica: &str,
    files: &[(u64, PathBuf)],
    key: Option<&PublicKey>,
) -> Result<Chain, Bad> {
    let mut c = Chain {
        replica: replica.into(),
        files: files.len(),
        ..Chain::default()
    };
    let mut seq = 0u64;
    let mut prev = GENESIS.to_string();
    let mut torn: Option<(String, usize, u64)> = None;
    for (n, (index, path)) in files.iter().enumerate() {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let bad = |line: usize, what: String| Bad {
            file: name.clone(),
            line,
            what,
        };
        let expected_index = n as u64 + 1;
        if *index != expected_index {
            return Err(bad(
                0,
                format!(
                    "{} is missing: the files of replica {replica} must be numbered 1, 2, … \
                     without a gap",
                    super::file_name(replica, expected_index)
                ),
            ));
        }
        let mut bytes = std::fs::read(path).map_err(|e| bad(0, format!("cannot read it: {e}")))?;
        let end = super::records_end(&bytes);
        if bytes[end..].iter().any(|&b| b != 0) {
            let line = bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(bad(line, "holds a NUL byte inside the records".into()));
        }
        bytes.truncate(end);
        let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        let tail = lines.pop().unwrap_or_default();
        if lines.is_empty() {
            return Err(bad(1, "the file holds no whole record".into()));
        }
        for (i, line) in lines.iter().enumerate() {
            let at = i + 1;
            let v: Value = serde_json::from_slice(line)
                .map_err(|_| bad(at, "is not a whole JSON record (edited or cut)".into()))?;
            let got_seq = v["seq"].as_u64().unwrap_or(0);
            if got_seq != seq + 1 {
                return Err(bad(
                    at,
                    format!(
                        "has seq {got_seq} where {} was expected: records were removed, \
                         added or reordered",
                        seq + 1
                    ),
                ));
            }
            if v["prev"].as_str() != Some(prev.as_str()) {
                let before = if at == 1 {
                    "the last record of the file before".to_string()
                } else {
                    format!("line {}", at - 1)
                };
                return Err(bad(
                    at,
                    format!(
                        "its prev is not the hash of {before}: that record was altered, or \
                         records between them were removed or reordered"
                    ),
                ));
            }
            if v["replica"].as_str() != Some(replica) {
                return Err(bad(at, format!("names another replica than {replica}")));
            }
            let kind = v["kind"].as_str().unwrap_or("");
            if (at == 1) != (kind == "open") {
                return Err(bad(
                    at,
                    "every file starts with one `open` record, and only there".into(),
                ));
            }
            match kind {
                "open" => {
                    if v["file"].as_u64() != Some(*index) {
                        return Err(bad(at, "names another file index (renamed file)".into()));
                    }
                    let declared = v["torn_bytes"].as_u64();
                    match (&torn, declared) {
                        (None, None) => {}
                        (Some((_, _, n)), Some(d)) if *n == d => {}
                        (Some((file, line, n)), _) => {
                            return Err(Bad {
                                file: file.clone(),
                                line: *line,
                                what: format!(
                                    "ends with {n} bytes of a cut record that the next file \
                                     does not declare: its last record was truncated"
                                ),
                            })
                        }
                        (None, Some(_)) => {
                            return Err(bad(
                                at,
                                "declares torn bytes the file before does not have".into(),
                            ))
                        }
                    }
                    torn = None;
                }
                "request" => {
                    c.requests += 1;
                    if v["result"].as_str() != Some("ok") {
                        c.refused += 1;
                    }
                }
                "head" => {
                    c.heads += 1;
                    if let Some(k) = key {
                        let sig = v["sig"].as_str().and_then(crate::b64::decode);
                        if !sig.is_some_and(|s| k.verify(prev.as_bytes(), &s)) {
                            return Err(bad(
                                at,
                                "its chain-head signature does not verify with the public key"
                                    .into(),
                            ));
                        }
                        c.heads_verified += 1;
                    }
                    c.after_last_head = 0;
                }
                "resumed" => {}
                other => return Err(bad(at, format!("has an unknown kind {other:?}"))),
            }
            if kind != "head" {
                c.after_last_head += 1;
            }
            let time = v["time"].as_str().unwrap_or("").to_string();
            if c.first_time.is_empty() {
                c.first_time = time.clone();
            }
            c.last_time = time;
            seq += 1;
            prev = hash_line(line);
            c.records += 1;
        }
        if !tail.is_empty() {
            torn = Some((name.clone(), lines.len() + 1, tail.len() as u64));
        }
    }
    if let Some((file, line, n)) = torn {
        return Err(Bad {
            file,
            line,
            what: format!(
                "ends with {n} bytes of a cut record (truncated, or a crash the server has \
                 not restarted after)"
            ),
        });
    }
    c.last_hash = prev;
    Ok(c)
}
