//! The one integration-test binary: the real `gleaner` binary against real HTTP servers
//! on 127.0.0.1 and real SQLite files in temp dirs, plus the real-world feed corpora.

mod archive;
mod cli;
mod corpora;
mod crash;
mod daemon;
mod databases;
mod desk;
mod desk_cli;
mod guard;
mod hostile;
mod pages;
mod politeness;
mod ranking;
mod reach;
mod recover;
mod review;
mod scoring;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod storage;
mod subscriptions;
mod util;
