//! Connection admission: the process's file-descriptor limit, and connections counted
//! per source address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// File descriptors kept for everything that is not a client connection (the
/// database, its WAL, PostgreSQL connections, logs, the listener).
pub const RESERVED_FDS: u64 = 256;

/// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit in force
/// afterwards (the old one if it could not be raised).
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return lim.rlim_max;
            }
        }
    }
    lim.rlim_cur
}

/// The default connection cap for a file-descriptor limit: every descriptor but the
/// reserved ones, at least 64 and at most 1,000,000.
pub fn default_max_connections(fd_limit: u64) -> usize {
    fd_limit.saturating_sub(RESERVED_FDS).clamp(64, 1_000_000) as usize
}

/// Open connections by source address, capped.
#[derive(Default)]
pub struct PerSource {
    cap: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection; its count goes when it is dropped.
pub struct SourceSlot {
    table: Arc<PerSource>,
    ip: IpAddr,
}

impl PerSource {
    /// `cap` 0: no cap.
    pub fn new(cap: usize) -> Arc<PerSource> {
        Arc::new(PerSource {
            cap,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for one more connection from `ip`, or None if it has `cap` open.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<SourceSlot> {
        if self.cap == 0 {
            return Some(SourceSlot {
                table: self.clone(),
                ip,
            });
        }
        let ip = ip.to_canonical();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(SourceSlot {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        if self.table.cap == 0 {
            return;
        }
        let mut open = self.table.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_capped_each_and_released() {
        let t = PerSource::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = t.admit(a).unwrap();
        let _s2 = t.admit(a).unwrap();
        assert!(t.admit(a).is_none());
        // The IPv4-mapped form is the same source.
        assert!(t.admit("::ffff:10.0.0.1".parse().unwrap()).is_none());
        assert!(t.admit(b).is_some());
        drop(s1);
        assert!(t.admit(a).is_some());
        let unlimited = PerSource::new(0);
        let held: Vec<_> = (0..10).map(|_| unlimited.admit(a).unwrap()).collect();
        assert_eq!(held.len(), 10);
        assert_eq!(default_max_connections(20_000), 19_744);
        assert_eq!(default_max_connections(100), 64);
    }
}
