//! The generation question, asked once for many requests at a time.
//!
//! Every request asks the database for its transaction snapshot (see
//! [`super::PostgresStore`]): one round trip, and a statement for the server to run.
//! Asked once per request, it halved the throughput of the cached read paths
//! (BENCHMARKS.md). So questions are batched, as a database batches commits: one
//! question is in flight at a time, and the requests that arrive while it is answer
//! together from the *next* one, sent after they arrived. That keeps the cache exact:
//! a request is only ever answered by a snapshot taken after it arrived, so a write
//! acknowledged before the request was sent is always seen.

use deadpool_postgres::Pool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

pub(super) struct SnapshotQueue {
    pool: Pool,
    timeout: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// A task is asking (or about to ask) the database.
    running: bool,
    /// Requests that arrived since the question in flight was sent.
    waiting: Vec<oneshot::Sender<Option<u64>>>,
}

impl SnapshotQueue {
    pub(super) fn new(pool: Pool, timeout: Duration) -> Arc<Self> {
        Arc::new(SnapshotQueue {
            pool,
            timeout,
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A hash of a snapshot taken after this call began; `None` if the database did
    /// not answer (then the caller caches nothing).
    pub(super) async fn current(self: &Arc<Self>) -> Option<u64> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut s = self.lock();
            s.waiting.push(tx);
            !std::mem::replace(&mut s.running, true)
        };
        if start {
            tokio::spawn(self.clone().drive());
        }
        rx.await.ok().flatten()
    }

    /// Asks until nobody waits: each round answers everyone who arrived before its
    /// question was sent.
    async fn drive(self: Arc<Self>) {
        loop {
            let batch = {
                let mut s = self.lock();
                if s.waiting.is_empty() {
                    s.running = false;
                    return;
                }
                std::mem::take(&mut s.waiting)
            };
            let answer = self.ask().await;
            for tx in batch {
                let _ = tx.send(answer);
            }
        }
    }

    async fn ask(&self) -> Option<u64> {
        let question = async {
            let c = self.pool.get().await.ok()?;
            let stmt = c
                .prepare_cached("SELECT pg_current_snapshot()::text")
                .await
                .ok()?;
            let text: String = c.query_one(&stmt, &[]).await.ok()?.try_get(0).ok()?;
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            text.hash(&mut h);
            Some(h.finish())
        };
        tokio::time::timeout(self.timeout, question)
            .await
            .ok()
            .flatten()
    }
}
