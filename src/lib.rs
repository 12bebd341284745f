//! gleaner reads engineering blogs for the editor of a weekly reliability newsletter.
//!
//! # Bird's-eye view
//!
//! ```text
//! feeds.toml ─► schedule ─► fetch ─► parse ─► normalize ─► store/dedupe ─► score
//!                                                                │
//!       editor ◄── outputs (markdown, json, csv) ◄── shortlist ◄─┘
//! ```
//!
//! # Code map
//! | module | owns | IO |
//! |---|---|---|
//! | [`config`] | `feeds.toml` → validated [`config::Config`], every problem at once with its line | reads the file |
//! | [`daemon`] | cron schedule (tokio-cron-scheduler), signals, shortlist files | yes |
//! | [`server`] | the daemon's HTTP listener: review page, `/metrics`, `/healthz` | HTTP server |
//! | [`page`] | the review page's HTML | pure |
//! | [`metrics`] | every exported metric, declared in one place | none |
//! | [`pipeline`] | one feed's refresh, a poll of many, backoff | through fetch/store |
//! | [`fetch`] | HTTP: conditional GET, redirects, caps, timeouts, per-host limits | HTTP only here |
//! | [`parse`] | bytes → feed-rs model (charset, `<rss>` without version, dates) | pure |
//! | [`html`] | HTML → plain text; feed links in a page | pure |
//! | [`normalize`] | feed-rs entry → [`normalize::Entry`]: text, canonical URL, dedupe key | pure |
//! | [`score`] | entry + rules → [`score::Score`] made of named parts | pure |
//! | [`store`] | SQLite: schema, migrations, dedupe, stories and their sources, stored weeks, feed state, decisions | SQL only here |
//! | [`subscriptions`] | editing `feeds.toml` (add, remove, import) keeping comments; OPML | reads/writes the file |
//! | [`week`] | ISO weeks in the configured zone; which week an entry belongs to | pure |
//! | [`shortlist`] | week + store → ranked [`shortlist::Candidate`]s: one per story, per-feed cap, read-time `sources` and `learned` parts | reads store |
//! | [`learn`] | the editor's decisions → a bounded, explained score part (naive Bayes) | pure |
//! | [`render`] | candidates and feed health → markdown / JSON / CSV / tables | pure |
//! | [`review`] | the editor's queue (pick, reject, defer, undo) and the draft | pure |
//! | [`backtest`] | ranking quality on labelled entries or stored decisions; rules vs rules + learned on a time split | pure |
//! | [`cli`], [`commands`] | flags → validated calls → printed output and exit status | yes |
//!
//! # Invariants
//! - Only `fetch` speaks HTTP; only `store` speaks SQL. Parse, normalize, score and
//!   render are pure and tested without a network or a database.
//! - One feed's failure never stops a poll: it is recorded on the feed's row, logged,
//!   counted, and retried later with backoff.
//! - The store keeps the plain text scoring needs, so a rule change is applied to
//!   history by re-scoring, never by re-fetching.
//! - Every score is the sum of named parts; any number shown can be explained.
//! - An entry belongs to the ISO week (configured zone) of its published date, or of
//!   when it was first seen if that date is missing, in the future or implausible.

pub mod backtest;
pub mod cli;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod fetch;
pub mod html;
pub mod learn;
pub mod metrics;
pub mod normalize;
pub mod page;
pub mod parse;
pub mod pipeline;
pub mod render;
pub mod review;
pub mod score;
pub mod server;
pub mod shortlist;
pub mod store;
pub mod subscriptions;
pub mod week;
