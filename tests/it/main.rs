//! The one integration-test binary: the real `gleaner` binary against real HTTP servers
//! on 127.0.0.1 and real SQLite files in temp dirs, plus the real-world feed corpora.
//!
//! What it covers: conditional GET, dedupe, week boundaries, ranking, failing and
//! misbehaving servers, hostile text, the daemon's `/healthz` and `/metrics`, SIGKILL,
//! SIGTERM and Ctrl-C mid-poll, concurrency measured at the server, config reloads,
//! database files from older and newer gleaners, the review page in a real Chromium,
//! aggregators, article pages, watched pages, a newsletter's archive, and every file of
//! `../shared/corpora` but feedparser's one JSON Feed example. A test moves a running
//! daemon's clock (`GLEANER_NOW_FILE`) rather than wait for a poll to be overdue.

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
