//! Editing subscriptions: `add` (finding the feed behind a URL), `remove`, `import` and
//! `export` (OPML).

use std::path::Path;

use anyhow::Context;

use super::{Outcome, emit};
use crate::config::Config;
use crate::ingest::normalize::canonical_url;
use crate::subscriptions::{self, FeedsFile, NewFeed, Refusal};

/// What `gleaner add` subscribes to: the feed behind a URL, or (`--page`) the page itself.
pub(super) struct AddRequest {
    pub url: String,
    pub name: Option<String>,
    pub org: Option<String>,
    pub page: bool,
    pub links: Option<String>,
}

pub(super) fn add(config: &Config, request: AddRequest) -> anyhow::Result<Outcome> {
    let url = request.url.as_str();
    let mut file = FeedsFile::open(&config.path)?;
    if let Some(by) = file.subscribed_as(url) {
        anyhow::bail!("{url} is already subscribed as `{by}`");
    }
    if request.links.is_some() && !request.page {
        anyhow::bail!("--links is for --page: it says which links of the page are articles");
    }
    let at_root = url::Url::parse(url).is_ok_and(|u| crate::config::listing_folder(&u) == "/");
    if request.page && request.links.is_none() && at_root {
        anyhow::bail!(
            "{url} is at its site's top level, so every link of the site is below it: pass --links, a regex of its articles' paths (e.g. --links '^/blog/[^/]+/?$')"
        );
    }
    let links = request
        .links
        .as_deref()
        .map(|links| {
            regex::RegexBuilder::new(links)
                .size_limit(1 << 20)
                .build()
                .with_context(|| format!("--links `{links}` is not a valid regex"))
        })
        .transpose()?;
    let fetcher = crate::ingest::fetch::Fetcher::new(&config.settings)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let (found_url, title, page, report) = if request.page {
        let watched = runtime
            .block_on(subscriptions::watch_page(&fetcher, url, links.as_ref()))
            .map_err(anyhow::Error::msg)?;
        let report = articles_found(&watched.articles);
        let page = subscriptions::PageWatch {
            links: request.links.clone(),
        };
        (watched.url, watched.title, Some(page), report)
    } else {
        let found = runtime
            .block_on(subscriptions::discover(
                &fetcher,
                url,
                subscriptions::Asker::Editor,
            ))
            .map_err(|no_feed| anyhow::Error::msg(no_feed.message))?;
        (found.url, found.title, None, String::new())
    };
    let name = match request.name {
        Some(name) => name,
        None => file.free_name(title.as_deref().unwrap_or_else(|| host_of(&found_url))),
    };
    let feed = NewFeed {
        name: name.clone(),
        url: found_url.clone(),
        org: request.org,
        tags: Vec::new(),
        page,
    };
    file.add(&feed).map_err(|refusal| match refusal {
        // Found through the page: say so, or it reads as a mix-up.
        Refusal::UrlTaken { by, .. } if canonical_url(&found_url) != canonical_url(url) => {
            anyhow::anyhow!(
                "{url} leads to the feed {found_url}, which is already subscribed as `{by}`"
            )
        }
        refusal => anyhow::anyhow!("{refusal}"),
    })?;
    file.save()?;
    emit(&format!("added `{name}`: {found_url}\n{report}"))?;
    Ok(Outcome::Done)
}

/// What a watched page links now: how many articles, and the first few titles.
fn articles_found(titles: &[String]) -> String {
    let mut out = format!(
        "it links {} now, which its first poll stores without queueing them; first in page order:\n",
        crate::render::counted(titles.len() as u64, "article"),
    );
    for title in titles.iter().take(5) {
        out.push_str(&format!("  {title}\n"));
    }
    out
}

fn host_of(url: &str) -> &str {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(url)
}

pub(super) fn import(config: &Config, opml: &Path) -> anyhow::Result<Outcome> {
    let text =
        std::fs::read_to_string(opml).with_context(|| format!("cannot read {}", opml.display()))?;
    let listed = subscriptions::read_opml(&text).with_context(|| format!("{}", opml.display()))?;
    let mut file = FeedsFile::open(&config.path)?;
    let (mut added, mut present, mut invalid) = (0, 0, Vec::new());
    for feed in listed.feeds {
        if file.subscribed_as(&feed.xml_url).is_some() {
            present += 1;
            continue;
        }
        let new = NewFeed {
            name: file.free_name(&feed.title),
            url: feed.xml_url.clone(),
            org: None,
            tags: feed.tags,
            page: None,
        };
        match file.add(&new) {
            Ok(()) => added += 1,
            Err(Refusal::BadUrl(url)) => invalid.push(url),
            Err(other) => anyhow::bail!("{other}"),
        }
    }
    file.save()?;
    emit(&format!(
        "imported {added} feeds; {present} already subscribed; {} skipped as not http(s)\n",
        invalid.len()
    ))?;
    for url in invalid {
        emit(&format!("  skipped: {url}\n"))?;
    }
    // A link outline is a page, perhaps a bookmark: watching it is the editor's call.
    let pages: Vec<&String> = listed
        .links
        .iter()
        .filter(|url| file.subscribed_as(url).is_none())
        .collect();
    if !pages.is_empty() {
        emit(&format!(
            "{} link outline(s) not imported: pages, not feeds; to watch one as a site's article list: gleaner add URL --page\n",
            pages.len()
        ))?;
        for url in pages {
            emit(&format!("  page: {url}\n"))?;
        }
    }
    Ok(Outcome::Done)
}

pub(super) fn export(config: &Config, output: Option<&Path>) -> anyhow::Result<Outcome> {
    let opml = subscriptions::export_opml(config);
    match output {
        Some(path) => crate::files::write_atomically(path, opml.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => emit(&opml)?,
    }
    Ok(Outcome::Done)
}

pub(super) fn remove(config: &Config, name: &str) -> anyhow::Result<Outcome> {
    let mut file = FeedsFile::open(&config.path)?;
    if !file.remove(name) {
        eprintln!("no feed named `{name}` in {}", config.path.display());
        return Ok(Outcome::NothingFound);
    }
    file.save()?;
    emit(&format!(
        "removed `{name}` (its stored entries stay in the database)\n"
    ))?;
    Ok(Outcome::Done)
}
