//! From past issues to the store: each issue's links become archive picks of its week,
//! and a file's issue gets its title and date from what the file says.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{
    ArchiveIssue, ArchiveLink, issue_week, join_names, parse_issue_html, parse_issue_markdown,
};
use crate::store::{ArchiveCounts, ArchivePick, Store, StoreError};

/// The picks of an issue, or none when its date is unknown (its week would be a
/// guess).
pub fn picks_of(issue: &ArchiveIssue, tz: Tz) -> Vec<ArchivePick> {
    let Some(published) = issue.published else {
        return Vec::new();
    };
    let week = issue_week(published, tz);
    issue
        .links
        .iter()
        .map(|link: &ArchiveLink| ArchivePick {
            url: link.url.clone(),
            title: link.title.clone(),
            blurb: link.blurb.clone(),
            author: Some(join_names(&link.authors)).filter(|a| !a.is_empty()),
            org: link.org.clone(),
            week,
            decided_at: published,
        })
        .collect()
}

/// Records every issue's picks; importing the same issues again adds nothing.
pub fn record(
    store: &mut Store,
    issues: &[ArchiveIssue],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<ArchiveCounts, StoreError> {
    let mut total = ArchiveCounts::default();
    for issue in issues {
        let counts = store.record_archive_issue(&picks_of(issue, tz), now)?;
        total.matched += counts.matched;
        total.added += counts.added;
        total.already += counts.already;
    }
    Ok(total)
}

/// An issue kept as a file: HTML or markdown, its title from `<title>` or the first
/// `# ` heading, its date from the file's name (`2026-06-14-issue-412.md`); without
/// one it has no date, so no picks (when the file was written says nothing of the week
/// it covers). A saved page's canonical address (or `og:url`) is the newsletter's own
/// site: links to it are left out, and relative links resolved against it.
pub fn issue_from_file(name: &str, text: &str, markdown: bool) -> ArchiveIssue {
    let (title, page, links) = if markdown {
        let title = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("# "))
            .map(|t| t.trim().to_owned());
        (title, None, parse_issue_markdown(text, &[]))
    } else {
        let head = &text[..text.floor_char_boundary(HEAD_BYTES)];
        let page = crate::ingest::html::canonical_link(head);
        let own: Vec<&str> = page.iter().map(url::Url::as_str).collect();
        let links = parse_issue_html(text, page.as_ref(), &own);
        (html_title(text), page, links)
    };
    ArchiveIssue {
        title: title.unwrap_or_else(|| name.to_owned()),
        url: page.map(String::from),
        published: date_in_name(name),
        links,
    }
}

/// How much of a saved page is searched for its title and its address: a page's head
/// is a few kilobytes.
const HEAD_BYTES: usize = 64 * 1024;

/// The text of an HTML document's `<title>`.
fn html_title(html: &str) -> Option<String> {
    let lower = html[..html.floor_char_boundary(HEAD_BYTES)].to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = lower[start..].find('>')? + start + 1;
    let close = lower[open_end..].find("</title")? + open_end;
    let title =
        crate::ingest::html::to_text(&html[open_end..close], crate::ingest::normalize::MAX_TITLE);
    (!title.is_empty()).then_some(title)
}

/// A `YYYY-MM-DD` date in a file name, as noon UTC of that day.
pub fn date_in_name(name: &str) -> Option<DateTime<Utc>> {
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let candidate = name.get(i..i + 10)?;
        let date = NaiveDate::parse_from_str(candidate, "%Y-%m-%d").ok()?;
        Some(date.and_hms_opt(12, 0, 0)?.and_utc())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_date_comes_from_its_name_and_its_title_from_its_text() {
        let md = "# Issue 412\n\n## [Retries](https://blog.example/retries)\n\nA blurb.\n\nDana — Example Co\n";
        let issue = issue_from_file("2026-06-14-issue-412.md", md, true);
        assert_eq!(issue.title, "Issue 412");
        assert_eq!(
            issue.published.map(|p| p.to_rfc3339()),
            Some("2026-06-14T12:00:00+00:00".into())
        );
        assert_eq!(issue.links.len(), 1);
        let picks = picks_of(&issue, chrono_tz::UTC);
        assert_eq!(
            picks[0].week.to_string(),
            "2026-W24",
            "a Sunday issue holds its week"
        );
        assert_eq!(picks[0].author.as_deref(), Some("Dana"));

        // A saved page: the site it was saved from is the newsletter's own.
        let saved = r#"<html><head><title>Issue 99</title>
            <link rel="canonical" href="https://www.weekly.example/issue-99/"></head><body>
            <h3><a href="https://weekly.example/issue-50/">Last month's issue</a></h3>
            <h3><a href="/survey">Our survey</a></h3>
            <h3><a href="https://blog.example/retries">Retries</a></h3><p>Jo — Example Co</p>
            </body></html>"#;
        let issue = issue_from_file("2026-06-14-issue-99.html", saved, false);
        let urls: Vec<&str> = issue.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(urls, ["https://blog.example/retries"]);
        assert_eq!(
            issue.url.as_deref(),
            Some("https://www.weekly.example/issue-99/")
        );

        let html = "<html><head><title>Weekly &amp; more</title></head><body></body></html>";
        let undated = issue_from_file("issue.html", html, false);
        assert_eq!(undated.title, "Weekly & more");
        assert!(
            picks_of(&undated, chrono_tz::UTC).is_empty(),
            "no date, no week"
        );
    }
}
