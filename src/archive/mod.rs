//! Archive: a newsletter's past issues → the editor's past picks. Pure (no network, no
//! SQL): the caller fetches feed pages or reads files and hands the bytes here.
//!
//! An issue is read into [`ArchiveLink`]s: each linked article with its title, the
//! editor's blurb and the attribution line (`Author — Org`), split by
//! [`parse_attribution`]. Each issue counts as the editor's picks of the ISO week before
//! it went out ([`issue_week`]).
//!
//! # The shape read (SRE Weekly, verified)
//! SRE Weekly is a WordPress site; its feed (`/feed/`, older pages `?paged=2`, …) has
//! one item per issue, the whole issue in `content:encoded` (feed-rs puts it in
//! `entry.content.body`; the RSS `description` is only an excerpt). Its plugin writes
//! each pick as
//!
//! ```html
//! <div class="sreweekly-entry">
//!   <div class="sreweekly-title"><a href="https://…">Title</a></div>
//!   <div class="sreweekly-description">
//!     <p>The editor's blurb.</p> <blockquote><p>A quote from the article.</p></blockquote>
//!     <p><small>Author — Org</small></p>
//!     <p>This article is published by my sponsor, …, but their sponsorship did not …</p>
//!   </div>
//! </div>
//! ```
//!
//! after a sponsor box (`div.sreweekly-sponsor-message`: "A message from our sponsor,
//! X:", a paragraph, a call-to-action link) and before the Outages list
//! (`ul.sreweekly-outages`, one company-named news link per item). Attribution lines
//! seen in issues: `Author — Org`, `Author`, `Org`, `A and B`, `A, B, C, and D — Org`,
//! `u/name and commenters — Reddit r/sre`, `Name, MD`, `Name — Org (thanks to …)`, an
//! org written as a link inside the `<small>`, and `Author —` with the org missing.
//! Issues go out on Sunday evening (US time), which is Monday in UTC.
//!
//! Other newsletters, saved pages and gleaner's own draft (`<h2><a>…</a></h2>`, blurb,
//! `<p class="attribution">`) are read by a generic reader (the `html_issue` module's doc says how), and
//! markdown issues by [`parse_issue_markdown`].
//!
//! # What is left out
//! Sponsor blocks; links to the newsletter's own hosts (issue pages, surveys, archives);
//! links that are not http(s) or that stay relative with no issue URL to resolve them;
//! a URL already picked earlier in the issue; and links inside a blurb or attribution
//! line: they are references (the paper an article builds on, the author's home page),
//! not picks. At most [`MAX_LINKS`] links are kept per issue; every text is capped as
//! [`crate::ingest::normalize`] caps feed text. Nothing is escaped here; outputs escape.

mod attribution;
mod dom;
mod html_issue;
pub mod import;
mod markdown;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_lines;

use std::collections::HashSet;

use chrono::{DateTime, Datelike, SecondsFormat, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;
use url::Url;

pub use attribution::{Attribution, is_org_name, join_names, parse_attribution};

use crate::ingest::normalize::{MAX_ENTRIES_PER_FEED, MAX_TITLE, canonical_url};
use crate::ingest::parse::ParseError;
use crate::week::IsoWeek;

/// Most links kept from one issue.
pub const MAX_LINKS: usize = 200;
/// The blurb gleaner's draft writes where the editor wrote none (the review module's
/// `BLURB_PLACEHOLDER`): no blurb, and never an attribution line.
const DRAFT_PLACEHOLDER: &str = "TODO: blurb";

/// One pick of an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLink {
    /// Canonical http(s) URL ([`canonical_url`]).
    pub url: String,
    pub title: String,
    /// The editor's blurb, plain text (paragraphs on their own lines).
    pub blurb: String,
    pub authors: Vec<String>,
    pub org: Option<String>,
}

/// One past issue.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveIssue {
    pub title: String,
    /// The issue's own page.
    pub url: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub links: Vec<ArchiveLink>,
}

/// The picks of an issue in HTML (a feed item's content, or a saved page). Relative
/// links are resolved against `issue_url`; links to `own_hosts` (and their subdomains,
/// `www.` ignored) are left out.
pub fn parse_issue_html(
    html: &str,
    issue_url: Option<&Url>,
    own_hosts: &[&str],
) -> Vec<ArchiveLink> {
    finish(html_issue::items(html), issue_url, own_hosts)
}

/// The picks of an issue kept as markdown (CommonMark): gleaner's draft (`## [Title](url)`,
/// blurb, `Author — Org`), a link alone in its paragraph, or a list item led by a link
/// (the `markdown` module's doc says how).
pub fn parse_issue_markdown(md: &str, own_hosts: &[&str]) -> Vec<ArchiveLink> {
    finish(markdown::items(md), None, own_hosts)
}

/// Resolves, canonicalizes, filters, dedupes and caps the raw items.
fn finish(
    raw: Vec<html_issue::RawItem>,
    base: Option<&Url>,
    own_hosts: &[&str],
) -> Vec<ArchiveLink> {
    let own: Vec<String> = own_hosts.iter().filter_map(|h| host_key(h)).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for item in raw {
        if out.len() >= MAX_LINKS {
            break;
        }
        let href = item.href.trim();
        let absolute = match base {
            Some(base) => base.join(href).ok().map(String::from),
            None => Some(href.to_owned()),
        };
        let Some(url) = absolute.as_deref().and_then(canonical_url) else {
            continue;
        };
        let host = Url::parse(&url)
            .ok()
            .and_then(|u| host_with_port(&u))
            .unwrap_or_default();
        if is_own_host(&host, &own) || !seen.insert(url.clone()) {
            continue;
        }
        let Attribution { authors, org } = item
            .attribution
            .as_deref()
            .map(parse_attribution)
            .unwrap_or_default();
        out.push(ArchiveLink {
            url,
            title: item.title,
            blurb: item.blurb,
            authors,
            org,
        });
    }
    out
}

/// A URL's host, with its port when it has one that is not its scheme's (two sites on
/// one machine are two sites).
fn host_with_port(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// A host as compared: lower-case, without `www.`; a URL's host (and port) when given
/// a URL.
fn host_key(host: &str) -> Option<String> {
    let host = host.trim();
    let host = match Url::parse(host) {
        Ok(u) if host.contains("://") => host_with_port(&u)?,
        _ => host.split('/').next()?.to_owned(),
    };
    let host = host.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).trim_matches('.');
    (!host.is_empty()).then(|| host.to_owned())
}

fn is_own_host(host: &str, own: &[String]) -> bool {
    let Some(host) = host_key(host) else {
        return false;
    };
    own.iter().any(|o| {
        host == *o
            || host
                .strip_suffix(o.as_str())
                .is_some_and(|s| s.ends_with('.'))
    })
}

/// The week whose picks an issue published at `published` holds: the ISO week (in
/// `tz`) before the one it went out in, except that an issue sent at the weekend
/// (Saturday or Sunday in `tz`) closes the week it is sent in. SRE Weekly goes out on
/// Sunday evening US time: in UTC that is Monday, and the week before is the one
/// whose articles it holds; in US time it is still that Sunday, the same week. Without
/// the weekend rule every issue would land a week early for an editor in the Americas.
pub fn issue_week(published: DateTime<Utc>, tz: Tz) -> IsoWeek {
    let week = IsoWeek::containing(published, tz);
    match published.with_timezone(&tz).weekday() {
        Weekday::Sat | Weekday::Sun => week,
        _ => week.previous(),
    }
}

/// Reads one page of a newsletter's own feed: one [`ArchiveIssue`] per item, its links
/// read from the item's full HTML (`content:encoded`, else its description). The
/// newsletter's hosts (the feed's, its site link's and each issue page's) are left out
/// of the links. `base` is the feed page's URL.
pub fn parse_archive_feed(bytes: &[u8], base: &str) -> Result<Vec<ArchiveIssue>, ParseError> {
    let feed = crate::ingest::parse::parse_feed(bytes, None, base)?.feed;
    let mut own: Vec<String> = Vec::new();
    let mut add_host = |raw: &str| {
        if let Some(host) = Url::parse(raw)
            .ok()
            .and_then(|u| host_with_port(&u).and_then(|h| host_key(&h)))
            && !own.contains(&host)
        {
            own.push(host);
        }
    };
    add_host(base);
    for link in feed.links.iter().take(8) {
        add_host(&link.href);
    }
    let entries = &feed.entries[..feed.entries.len().min(MAX_ENTRIES_PER_FEED)];
    let mut issues = Vec::with_capacity(entries.len());
    for e in entries {
        let page = e
            .links
            .iter()
            .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
            .find_map(|l| canonical_url(&l.href))
            .or_else(|| canonical_url(&e.id));
        let page_url = page.as_deref().and_then(|p| Url::parse(p).ok());
        let page_host = page_url.as_ref().and_then(host_with_port);
        let mut hosts: Vec<&str> = own.iter().map(String::as_str).collect();
        hosts.extend(page_host.as_deref());
        let html = e
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .or_else(|| e.summary.as_ref().map(|s| s.content.as_str()))
            .unwrap_or("");
        issues.push(ArchiveIssue {
            title: e
                .title
                .as_ref()
                .map(|t| crate::ingest::html::to_text(&t.content, MAX_TITLE))
                .unwrap_or_default(),
            links: parse_issue_html(html, page_url.as_ref(), &hosts),
            url: page,
            published: e.published.or(e.updated),
        });
    }
    Ok(issues)
}

/// The URL of page `page` of a WordPress feed: `?paged=N` (page 1 has none), other
/// query parameters kept in their order.
pub fn next_page_url(feed_url: &Url, page: u32) -> Url {
    let mut url = feed_url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "paged")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() && page <= 1 {
        url.set_query(None);
        return url;
    }
    {
        let mut query = url.query_pairs_mut();
        query.clear().extend_pairs(kept);
        if page > 1 {
            query.append_pair("paged", &page.to_string());
        }
    }
    url
}

/// An issue as `gleaner archive --format json` writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueJson {
    pub title: String,
    /// RFC 3339, UTC.
    pub published: Option<String>,
    /// `2026-W24`: the week of the picks ([`issue_week`]).
    pub week: Option<String>,
    pub links: Vec<LinkJson>,
}

/// A pick as `gleaner archive --format json` writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkJson {
    pub url: String,
    pub title: String,
    /// The authors as the newsletter writes them ([`join_names`]); `null` for none.
    pub author: Option<String>,
    pub org: Option<String>,
}

impl ArchiveIssue {
    /// The JSON shape of this issue, its week seen in `tz`.
    pub fn to_json(&self, tz: Tz) -> IssueJson {
        IssueJson {
            title: self.title.clone(),
            published: self
                .published
                .map(|p| p.to_rfc3339_opts(SecondsFormat::Secs, true)),
            week: self.published.map(|p| issue_week(p, tz).to_string()),
            links: self.links.iter().map(ArchiveLink::to_json).collect(),
        }
    }
}

impl ArchiveLink {
    pub fn to_json(&self) -> LinkJson {
        LinkJson {
            url: self.url.clone(),
            title: self.title.clone(),
            author: Some(join_names(&self.authors)).filter(|a| !a.is_empty()),
            org: self.org.clone(),
        }
    }
}
