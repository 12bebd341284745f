//! gleaner reads engineering blogs for the editor of a weekly reliability newsletter.
//!
//! # Bird's-eye view
//!
//! ```text
//! feeds.toml ─► schedule ─► fetch ─► parse ─► normalize ─► score ─► store/dedupe
//!   (config)     (daemon)   └──────────── ingest ────────────┘      (store)
//!                                                                      │
//!   editor ◄── outputs: markdown, JSON, CSV, the review page ◄── rank ◄┘
//!   (review: pick, reject, defer, draft)  (render, web)     (shortlist, learned part)
//! ```
//!
//! A poll fetches every feed (politely: conditional GET, per-host limits, backoff),
//! turns each entry into plain text with a canonical URL (an aggregator's item into the
//! article it links), scores it with the rules of `feeds.toml`, and stores it once,
//! however many feeds carry it; then it reads the article pages of aggregator items and
//! short entries, and scores those posts again with the page's text. A week's shortlist
//! is read from the store best first; the editor reviews it as a queue and exports a
//! draft.
//!
//! # Code map
//! | module | owns | IO |
//! |---|---|---|
//! | [`config`] | `feeds.toml` → validated [`config::Config`], every problem at once with its line; cron schedules | reads the file |
//! | [`app`] | opening the store for a config: what every entry point does first | through store |
//! | [`clock`] | what "now" is | none |
//! | [`ingest`] | fetch → parse → normalize → reach (aggregator items as their articles), and [`ingest::pipeline`]: one feed's refresh, a poll of many, backoff, then the article pages the poll reads ([`ingest::article`], [`ingest::robots`]) | HTTP only in [`ingest::fetch`] |
//! | [`score`] | rules ([`score::rules`]), the scorer, a score's named parts | pure |
//! | [`store`] | SQLite: schema, feeds, posts, dedupe and stories, decisions, bulk updates, WAL | SQL only here |
//! | [`model`] | the row types the pure stages share (posts, candidates, decisions, feed health) | none |
//! | [`week`] | ISO weeks in the configured zone; which week an entry belongs to | pure |
//! | [`rank`] | week + store → ranked candidates; the learned part; rescoring; backtests | reads store |
//! | [`review`] | the editor's queue and decisions (pick, reject, defer, undo, notes, batches), the week's overview, the draft's items and order | through store |
//! | [`render`] | candidates, drafts and feed health → markdown, JSON, CSV, tables, Atom, the review page's HTML, script and style | pure |
//! | [`web`] | the daemon's HTTP listener (review page, `/shortlist.atom`, `/metrics`, `/healthz`), what guards it (hosts, headers, token), its metrics | HTTP server |
//! | [`daemon`] | the cron schedule, signals, shortlist files, the webhook | yes |
//! | [`subscriptions`] | editing `feeds.toml` (add, remove, import) keeping comments; OPML; feed discovery; suggested sources | file, HTTP via fetch |
//! | [`archive`] | a newsletter's past issues → the editor's picks of their weeks (parsing, and recording them) | through store |
//! | [`files`] | replacing a file atomically | file |
//! | [`cli`], [`commands`] | flags → validated calls → printed output and exit status | yes |
//!
//! Dependencies point down this table's pipeline, never back: the daemon and the web
//! server call the stages' services (`app`, `review`, `rank`), never `commands`.
//!
//! # Invariants
//! - Only `ingest::fetch` speaks HTTP; only `store` speaks SQL. Parse, normalize, score
//!   and render are pure and tested without a network or a database.
//! - One feed's failure never stops a poll: it is recorded on the feed's row, logged,
//!   counted, and retried later with backoff. Nor does one article page's, which is its
//!   own post's.
//! - A post carried by a subscribed blog and by aggregators belongs to the blog, whatever
//!   order the fetches finished in; a submitter is never an author.
//! - The store keeps the plain text scoring needs, so a rule change is applied to
//!   history by re-scoring, never by re-fetching.
//! - Every score is the sum of named parts; any number shown can be explained.
//! - An entry belongs to the ISO week (configured zone) of its published date, or of
//!   when it was first seen if that date is missing, in the future or implausible.

pub mod app;
pub mod archive;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod files;
pub mod ingest;
pub mod model;
pub mod rank;
pub mod render;
pub mod review;
pub mod score;
pub mod store;
pub mod subscriptions;
pub mod web;
pub mod week;
