//! The one integration-test binary: the real `gleaner` binary against real HTTP servers
//! on 127.0.0.1 and real SQLite files in temp dirs, plus the real-world feed corpora.

mod cli;
mod corpora;
mod crash;
mod desk;
mod desk_cli;
mod guard;
mod hostile;
mod ranking;
mod recover;
mod review;
mod subscriptions;
mod util;
