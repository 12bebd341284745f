//! Ranking: a week's stored posts → the candidates the editor sees, best first.
//!
//! [`shortlist`] selects a week's best (one per story, a per-feed cap, read-time parts);
//! [`learn`] is the bounded part learned from the editor's decisions; [`rescore`]
//! re-applies edited rules to stored entries; [`backtest`] measures ranking quality.

pub mod backtest;
pub mod learn;
pub mod rescore;
pub mod shortlist;
