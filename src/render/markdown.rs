//! The weekly shortlist as markdown, the form the daemon writes to
//! `data/shortlists/<week>.md`.

use std::fmt::Write as _;

use chrono_tz::Tz;

use super::{attribution, md_escape, md_link, reasons_line};
use crate::model::Candidate;
use crate::week::IsoWeek;

/// The weekly shortlist as markdown, the form the daemon writes to
/// `data/shortlists/<week>.md`.
pub fn shortlist_markdown(week: IsoWeek, tz: Tz, candidates: &[Candidate]) -> String {
    let (start, end) = week.bounds(tz);
    let last_day = (end - chrono::Duration::seconds(1))
        .with_timezone(&tz)
        .date_naive();
    let mut out = format!(
        "# Shortlist for {week} ({} to {}, {tz})\n\n",
        start.with_timezone(&tz).date_naive(),
        last_day
    );
    if candidates.is_empty() {
        out.push_str("No candidates this week.\n");
        return out;
    }
    for (i, c) in candidates.iter().enumerate() {
        let _ = writeln!(out, "{}. {}  ", i + 1, md_link(&c.title, c.url.as_deref()));
        let _ = writeln!(out, "   {}  ", md_escape(&attribution(c)));
        let mut facts = vec![format!("feed: {}", md_escape(&c.feed))];
        if !c.also_in.is_empty() {
            facts.push(format!("also in: {}", md_escape(&c.also_in.join(", "))));
        }
        if !c.via.is_empty() {
            facts.push(format!("via: {}", md_escape(&c.via.join(", "))));
        }
        facts.push(match c.published {
            Some(p) => format!("published {}", p.with_timezone(&tz).format("%Y-%m-%d")),
            None => format!(
                "first seen {}",
                c.first_seen.with_timezone(&tz).format("%Y-%m-%d")
            ),
        });
        facts.push(format!("score {:.2}", c.score));
        facts.push(format!("id {}", c.id));
        let _ = writeln!(out, "   {}  ", facts.join(" · "));
        if !c.discussion.is_empty() {
            let links: Vec<String> = c
                .discussion
                .iter()
                .map(|url| md_link(&super::link_host(url), Some(url)))
                .collect();
            let _ = writeln!(out, "   discussion: {}  ", links.join(", "));
        }
        let _ = writeln!(out, "   why: {}", md_escape(&reasons_line(c)));
        if !c.excerpt.is_empty() {
            let _ = writeln!(out, "\n   > {}", md_escape(&c.excerpt));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::score::Reason;

    pub(crate) fn candidate() -> Candidate {
        Candidate {
            id: 7,
            url: Some("https://x.example/a_(b)".into()),
            title: "<script>alert(1)</script> *Outage* [report]".into(),
            feed: "X Blog".into(),
            org: "X".into(),
            author: Some("Dana".into()),
            published: DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
                .ok()
                .map(|d| d.with_timezone(&Utc)),
            first_seen: DateTime::parse_from_rfc3339("2026-11-24T11:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            effective_at: DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            week: "2026-W48".into(),
            score: 6.0,
            reasons: vec![Reason {
                rule: "outage".into(),
                field: "title".into(),
                points: 6.0,
            }],
            also_in: vec!["Y".into()],
            sources: 2,
            copies: vec![],
            excerpt: "We broke it.".into(),
            ..Candidate::default()
        }
    }

    #[test]
    fn markdown_escapes_feed_text_and_link_targets() {
        let md = shortlist_markdown(
            IsoWeek {
                year: 2026,
                week: 48,
            },
            chrono_tz::UTC,
            &[candidate()],
        );
        assert!(
            md.starts_with("# Shortlist for 2026-W48 (2026-11-23 to 2026-11-29, UTC)"),
            "{md}"
        );
        assert!(md.contains(r"1. [\<script\>alert(1)\</script\> \*Outage\* \[report\]](https://x.example/a_%28b%29)"), "{md}");
        assert!(md.contains("Dana — X"));
        assert!(md.contains("also in: Y"));
        assert!(md.contains("why: outage (title) +6.00"));
        assert!(!md.contains("<script>"));
    }

    #[test]
    fn attribution_falls_back_to_the_org() {
        let mut c = candidate();
        assert_eq!(attribution(&c), "Dana — X");
        c.author = None;
        assert_eq!(attribution(&c), "X");
        c.author = Some("X".into());
        assert_eq!(attribution(&c), "X");
    }
}
