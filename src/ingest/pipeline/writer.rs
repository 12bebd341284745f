//! The store writer: a poll's database work, on one thread, grouped into commits.

use std::sync::{Arc, Mutex};

use crate::store::{Store, StoreError};

/// The one thread that runs a poll's database work, with group commit.
///
/// Jobs that queue up while it is busy are applied inside one transaction (each store
/// method still runs in its own savepoint, so a feed's batch stays all-or-nothing) and
/// their results are delivered only once that transaction has committed. A cold poll
/// of 1,000 feeds went from 1,000 commits, each rewriting the same index pages into
/// the WAL, to a few dozen. With nothing queued, a job commits alone at once.
pub(super) struct StoreWriter {
    /// `None` only while dropping.
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Waits for the store thread to finish its last group, so the store's last handle is
/// dropped before the process exits: closing the connection checkpoints the WAL and
/// removes it (a `gleaner poll` otherwise left a WAL as large as its poll behind, and
/// the next run paid for reading it back).
impl Drop for StoreWriter {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A unit of store work; returns what delivers its result after the commit.
type Job = Box<dyn FnOnce(&mut Store) -> Deliver + Send>;
/// Hands a job's result to its caller, or the group's commit error instead.
type Deliver = Box<dyn FnOnce(Option<String>) + Send>;

/// Most jobs one commit groups, so a busy poll still commits regularly.
const MAX_GROUP: usize = 64;

impl StoreWriter {
    pub(super) fn spawn(store: Arc<Mutex<Store>>) -> StoreWriter {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("gleaner-store".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut store = crate::store::lock_shared(&store);
                    let grouped = store.begin_group().is_ok();
                    let mut deliveries = vec![first(&mut store)];
                    while deliveries.len() < MAX_GROUP {
                        match queue.try_recv() {
                            Ok(job) => deliveries.push(job(&mut store)),
                            Err(_) => break,
                        }
                    }
                    let failed = if grouped {
                        store.commit_group().err().map(|e| e.to_string())
                    } else {
                        None
                    };
                    drop(store);
                    for deliver in deliveries {
                        deliver(failed.clone());
                    }
                }
            })
            .expect("spawning the store thread");
        StoreWriter {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    pub(super) async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store: &mut Store| {
            let path = store.path().to_path_buf();
            let result = f(store);
            Box::new(move |commit_failed: Option<String>| {
                let result = match commit_failed {
                    Some(message) => Err(StoreError::GroupCommit { path, message }),
                    None => result,
                };
                let _ = tx.send(result);
            })
        });
        self.jobs
            .as_ref()
            .expect("set until dropped")
            .send(job)
            .expect("the store thread lives as long as the poller");
        rx.await.expect("the store thread answers every job")
    }
}
