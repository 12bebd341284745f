//! `gleaner archive`: reads a newsletter's past issues (its feed, page after page, or
//! files) and records their links as the editor's picks.

use std::path::Path;

use anyhow::Context;

use super::{Outcome, emit};
use crate::archive::import::{date_in_name, issue_from_file, record};
use crate::archive::{ArchiveIssue, next_page_url, parse_archive_feed};
use crate::cli::TableFormat;
use crate::config::Config;
use crate::ingest::fetch::{FetchOutcome, Fetcher, Validators};
use crate::rank::shortlist::Ranker;
use crate::render::counted;

/// Largest issue file read.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

pub(super) fn archive(
    config: &Config,
    db: &Path,
    source: &str,
    limit: usize,
    format: TableFormat,
) -> anyhow::Result<Outcome> {
    let mut issues = if source.starts_with("http://") || source.starts_with("https://") {
        from_feed(config, source, limit)?
    } else {
        from_files(Path::new(source), limit)?
    };
    issues.truncate(limit);
    if issues.is_empty() {
        eprintln!("{source} holds no issues");
        return Ok(Outcome::NothingFound);
    }
    let tz = config.settings.timezone;
    let mut store = crate::app::open_for_writing(config, db)?;
    let counts = record(&mut store, &issues, tz, crate::clock::now())?;
    match format {
        TableFormat::Json => {
            let json: Vec<_> = issues.iter().map(|i| i.to_json(tz)).collect();
            emit(&(serde_json::to_string_pretty(&json)? + "\n"))?;
        }
        TableFormat::Table => {
            let mut out = String::new();
            for issue in &issues {
                let json = issue.to_json(tz);
                out.push_str(&format!(
                    "{}  {:9}  {} links  {}\n",
                    json.published.as_deref().map_or("(no date)", |p| &p[..10]),
                    json.week.as_deref().unwrap_or("-"),
                    issue.links.len(),
                    issue
                        .title
                        .chars()
                        .filter(|c| !c.is_control())
                        .collect::<String>(),
                ));
            }
            let (picks, weeks) = store.archive_size()?;
            let passed_over = store.archive_negatives()?.len();
            let learning = Ranker::load(&store, config)?.learning_status().to_string();
            out.push_str(&format!(
                "recorded {} picks ({} of posts gleaner had read, {} new to it); {} already recorded\n\
                 the archive holds {} over {}; {} of those weeks were passed over\n\
                 learned part: {learning}\n",
                counts.matched + counts.added,
                counts.matched,
                counts.added,
                counts.already,
                counted(picks, "pick"),
                counted(weeks, "week"),
                counted(passed_over as u64, "post"),
            ));
            emit(&out)?;
        }
    }
    Ok(Outcome::Done)
}

/// The newest `limit` issues of a newsletter's feed, page after page (`?paged=2`…)
/// until a page is missing or empty.
fn from_feed(config: &Config, url: &str, limit: usize) -> anyhow::Result<Vec<ArchiveIssue>> {
    let fetcher = Fetcher::new(&config.settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let first = url::Url::parse(url).with_context(|| format!("{url} is not a URL"))?;
    let mut issues = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for page in 1.. {
        let page_url = next_page_url(&first, page).to_string();
        let fetched = match runtime.block_on(fetcher.fetch(&page_url, &Validators::default())) {
            FetchOutcome::Fetched(f) => f,
            // Past the last page WordPress answers 404: the archive's end.
            FetchOutcome::Failed(err) if page > 1 && err.http_status == Some(404) => break,
            FetchOutcome::Failed(err) => anyhow::bail!("cannot fetch {page_url}: {}", err.message),
            FetchOutcome::NotModified { .. } => break,
        };
        let found = parse_archive_feed(&fetched.body, &fetched.final_url)
            .with_context(|| format!("{page_url} is not a newsletter feed"))?;
        // A site that ignores `paged` answers its first page again: the end too.
        let before = issues.len();
        for issue in found {
            let key = (issue.url.clone(), issue.title.clone(), issue.published);
            if seen.insert(key) {
                issues.push(issue);
            }
        }
        if issues.len() == before {
            break;
        }
        if issues.len() >= limit {
            break;
        }
    }
    Ok(issues)
}

/// Issues kept as files: one file, or the HTML and markdown files of a folder, the
/// newest `limit` by the date in their names (as from a feed; undated ones last).
fn from_files(path: &Path, limit: usize) -> anyhow::Result<Vec<ArchiveIssue>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut files = Vec::new();
    if meta.is_dir() {
        let cannot_read = || format!("cannot read {}", path.display());
        for entry in std::fs::read_dir(path).with_context(cannot_read)? {
            let file = entry.with_context(cannot_read)?.path();
            if issue_format(&file).is_some() {
                files.push(file);
            }
        }
    } else {
        files.push(path.to_path_buf());
    }
    let name = |file: &Path| -> String {
        file.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned()
    };
    files.sort_by_cached_key(|file| {
        let name = name(file);
        (std::cmp::Reverse(date_in_name(&name)), name)
    });
    let mut issues = Vec::new();
    // `--issues` is at most 5,000 (cli.rs): so is what a folder gives.
    for file in files.into_iter().take(limit) {
        let Some(markdown) = issue_format(&file) else {
            continue;
        };
        let size = std::fs::metadata(&file)
            .with_context(|| format!("cannot read {}", file.display()))?
            .len();
        if size > MAX_FILE_BYTES {
            anyhow::bail!(
                "{} is larger than {} bytes; is it one issue?",
                file.display(),
                MAX_FILE_BYTES
            );
        }
        let bytes =
            std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let issue = issue_from_file(&name(&file), &String::from_utf8_lossy(&bytes), markdown);
        if issue.published.is_none() {
            eprintln!(
                "{}: no date in its name (YYYY-MM-DD), so its links are not recorded as picks",
                file.display()
            );
        }
        issues.push(issue);
    }
    Ok(issues)
}

/// Whether a file is an issue gleaner reads: `Some(true)` for markdown, `Some(false)`
/// for HTML.
fn issue_format(file: &Path) -> Option<bool> {
    let ext = file.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "md" | "markdown" => Some(true),
        "html" | "htm" => Some(false),
        _ => None,
    }
}
