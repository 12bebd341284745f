//! Subscriptions: editing `feeds.toml` (add, remove, import) while keeping its
//! comments and layout, and reading and writing OPML.
//!
//! Every edit is validated as a whole config before the file is replaced (written to a
//! temporary file and renamed), so an edit can never leave an invalid or half-written
//! `feeds.toml` behind. Duplicates are refused by name and by canonical URL.

//!
//! [`feeds_file`] edits `feeds.toml`; [`opml`] reads and writes OPML; [`discover()`] finds
//! the feed behind a URL the editor gives.

pub mod discover;
pub mod feeds_file;
pub mod opml;
pub mod sources;

use std::path::PathBuf;

pub use discover::{Asker, Discovered, NoFeed, Watched, discover, watch_page};
pub use feeds_file::FeedsFile;
pub use opml::{Opml, OpmlFeed, export_opml, read_opml};

/// Each message names its `cause` where it reads best ("`…: <cause>; what to do`"), so
/// the cause is not also the error's `source`: `gleaner: {err:#}` would say it twice.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("cannot read {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot write {}: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{} is not valid TOML: {message}; fix it (gleaner check) before editing it with gleaner", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("the edit would make the config invalid: {0}")]
    Invalid(String),
    #[error("not an OPML file: {0}")]
    Opml(String),
}

/// A new `[[feed]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewFeed {
    pub name: String,
    pub url: String,
    pub org: Option<String>,
    pub tags: Vec<String>,
    /// A page watched for the articles it links (`kind = "page"`), with its `links`.
    pub page: Option<PageWatch>,
}

/// What a `kind = "page"` feed adds to its table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageWatch {
    pub links: Option<String>,
}

/// Why a feed was not added.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    NameTaken(String),
    UrlTaken { url: String, by: String },
    BadUrl(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NameTaken(name) => write!(
                f,
                "a feed named `{name}` is already subscribed; pass --name"
            ),
            Refusal::UrlTaken { url, by } => write!(f, "{url} is already subscribed as `{by}`"),
            Refusal::BadUrl(url) => write!(f, "`{url}` is not an http(s) URL"),
        }
    }
}
