//! Attribution lines, names, sponsor openers, feed pages and issue weeks.

use chrono::{DateTime, Utc};
use url::Url;

use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn attribution_lines() {
    let cases: &[(&str, &[&str], Option<&str>)] = &[
        (
            "Dana Whitfield — Queueworks",
            &["Dana Whitfield"],
            Some("Queueworks"),
        ),
        (
            "Dana Whitfield – Queueworks",
            &["Dana Whitfield"],
            Some("Queueworks"),
        ),
        (
            "Dana Whitfield - Queueworks",
            &["Dana Whitfield"],
            Some("Queueworks"),
        ),
        (
            "Dana Whitfield -- Queueworks",
            &["Dana Whitfield"],
            Some("Queueworks"),
        ),
        (
            "Dana Whitfield—Queueworks",
            &["Dana Whitfield"],
            Some("Queueworks"),
        ),
        (
            "Jean-Luc Picard — Starfleet",
            &["Jean-Luc Picard"],
            Some("Starfleet"),
        ),
        (
            "Sam Ortiz and Lee Chen — Northwind Labs",
            &["Sam Ortiz", "Lee Chen"],
            Some("Northwind Labs"),
        ),
        (
            "Ana Souza, Bo Lin, Chidi Okafor, and Dee Park — Cloudscale",
            &["Ana Souza", "Bo Lin", "Chidi Okafor", "Dee Park"],
            Some("Cloudscale"),
        ),
        (
            "Ana Souza, Bo Lin and Dee Park",
            &["Ana Souza", "Bo Lin", "Dee Park"],
            None,
        ),
        (
            "Ana Souza, Bo Lin, and Dee Park, with Eve Tan",
            &["Ana Souza", "Bo Lin", "Dee Park", "Eve Tan"],
            None,
        ),
        ("Tom Kim and Ana Souza", &["Tom Kim", "Ana Souza"], None),
        ("Julia Evans", &["Julia Evans"], None),
        ("Admiral Cloudberg", &["Admiral Cloudberg"], None),
        ("Robert Poston, MD", &["Robert Poston, MD"], None),
        ("Coinbase", &[], Some("Coinbase")),
        ("Incident Labs", &[], Some("Incident Labs")),
        ("The New Stack", &[], Some("The New Stack")),
        ("rachelbythebay", &[], Some("rachelbythebay")),
        ("Shoreline.io", &[], Some("Shoreline.io")),
        ("Reddit r/sre", &[], Some("Reddit r/sre")),
        ("Google SRE", &[], Some("Google SRE")),
        ("Netflix TechBlog", &[], Some("Netflix TechBlog")),
        (
            "Learning From Incidents",
            &[],
            Some("Learning From Incidents"),
        ),
        (
            "u/pager_fatigue and commenters — Reddit r/sre",
            &["u/pager_fatigue and commenters"],
            Some("Reddit r/sre"),
        ),
        (
            "u/throwaway_ops and other Reddit users",
            &["u/throwaway_ops and other Reddit users"],
            None,
        ),
        ("u/throwaway_ops", &["u/throwaway_ops"], None),
        (
            "Mike Fisher — incident.io",
            &["Mike Fisher"],
            Some("incident.io"),
        ),
        (
            "Colm Mac — AWS (thanks to a reader for the rollup)",
            &["Colm Mac"],
            Some("AWS"),
        ),
        (
            "Thomas A. Limoncelli and Chris Pearce — ACM Queue",
            &["Thomas A. Limoncelli", "Chris Pearce"],
            Some("ACM Queue"),
        ),
        (
            "Danyel Fisher — The New Stack / Honeycomb",
            &["Danyel Fisher"],
            Some("The New Stack / Honeycomb"),
        ),
        ("Lisa Curtis —", &["Lisa Curtis"], None),
        ("— Rootly", &[], Some("Rootly")),
        ("By Jane Doe — Acme Inc.", &["Jane Doe"], Some("Acme Inc.")),
        ("  Jane   Doe \n — \u{a0}Acme ", &["Jane Doe"], Some("Acme")),
        ("", &[], None),
        ("—", &[], None),
    ];
    for &(line, authors, org) in cases {
        let got = parse_attribution(line);
        assert_eq!(got.authors, authors, "{line:?}");
        assert_eq!(got.org.as_deref(), org, "{line:?}");
    }
}

#[test]
fn attribution_is_bounded() {
    let many = vec!["Ann Lee"; 500].join(", ");
    let got = parse_attribution(&many);
    assert_eq!(got.authors.len(), attribution::MAX_AUTHORS);
    let long = format!("{} — {}", "A".repeat(5_000), "B".repeat(5_000));
    let got = parse_attribution(&long);
    assert!(got.authors.iter().all(|a| a.chars().count() <= 201));
    assert!(got.org.is_none_or(|o| o.chars().count() <= 201));
}

#[test]
fn names_join_as_the_newsletter_writes_them() {
    let cases: &[(&[&str], &str)] = &[
        (&[], ""),
        (&["A"], "A"),
        (&["A", "B"], "A and B"),
        (&["A", "B", "C"], "A, B, and C"),
        (&["A", "B", "C", "D"], "A, B, C, and D"),
    ];
    for &(names, want) in cases {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        assert_eq!(join_names(&names), want);
        // What is joined parses back to the same names.
        if !names.is_empty() {
            let line = format!("{} — Org", join_names(&names));
            assert_eq!(parse_attribution(&line).authors, names, "{line}");
        }
    }
}

#[test]
fn lines_that_read_as_attributions() {
    let cases = [
        ("Dana Whitfield — Queueworks", true),
        ("neda — ReadySet", true),
        ("Biju Chacko — squadcast", true),
        ("Julia Evans", true),
        ("Coinbase", true),
        ("u/pager_fatigue and commenters — Reddit r/sre", true),
        ("Dale Markowitz — LOGIC Magazine (Issue #5)", true),
        ("Acme Inc.", true),
        ("Great read.", false),
        ("Worth printing and taping to the wall", false),
        ("Big outage — worth a read", false),
        ("See https://example.com — Org", false),
        ("Five questions to answer at every handoff.", false),
        ("Highly recommended!", false),
    ];
    for (line, want) in cases {
        assert_eq!(attribution::looks_like_attribution(line), want, "{line}");
    }
}

#[test]
fn sponsor_openers_but_not_disclosures() {
    let cases = [
        ("A message from our sponsor, Pagerly:", true),
        ("📣 A message from our sponsor, Pagerly:", true),
        ("Sponsored by Tracewise", true),
        ("[Sponsor] Tracewise finds slow spans", true),
        ("This week's sponsor: Tracewise", true),
        (
            "This article is published by my sponsor, Rootly, but their sponsorship did not influence its inclusion in this issue.",
            false,
        ),
        ("Sponsorship of open source is a reliability issue", false),
    ];
    for (text, want) in cases {
        assert_eq!(attribution::is_sponsor_text(text), want, "{text}");
    }
}

#[test]
fn feed_pages() {
    let feed = Url::parse("https://weekly.example/feed/").unwrap();
    let cases = [
        (1, "https://weekly.example/feed/"),
        (0, "https://weekly.example/feed/"),
        (2, "https://weekly.example/feed/?paged=2"),
        (52, "https://weekly.example/feed/?paged=52"),
    ];
    for (page, want) in cases {
        assert_eq!(next_page_url(&feed, page).as_str(), want);
    }
    let with_query = Url::parse("https://weekly.example/?feed=rss2&paged=3&cat=7").unwrap();
    assert_eq!(
        next_page_url(&with_query, 4).as_str(),
        "https://weekly.example/?feed=rss2&cat=7&paged=4"
    );
    assert_eq!(
        next_page_url(&with_query, 1).as_str(),
        "https://weekly.example/?feed=rss2&cat=7"
    );
}

#[test]
fn issue_weeks() {
    let ny = chrono_tz::America::New_York;
    let utc_tz = chrono_tz::UTC;
    let cases = [
        // SRE Weekly's Sunday evening in New York is Monday in UTC: the same week.
        ("2026-06-15T01:12:38Z", ny, "2026-W24"),
        ("2026-06-15T01:12:38Z", utc_tz, "2026-W24"),
        // A mid-week issue holds the week before.
        ("2026-06-17T09:00:00Z", utc_tz, "2026-W24"),
        ("2026-06-19T09:00:00Z", utc_tz, "2026-W24"),
        // A Saturday issue closes its own week.
        ("2026-06-13T09:00:00Z", utc_tz, "2026-W24"),
        // Across a year's end: Monday 2026-01-05 holds 2026-W01; Monday 2025-12-29
        // holds 2025-W52.
        ("2026-01-05T08:00:00Z", utc_tz, "2026-W01"),
        ("2025-12-29T08:00:00Z", utc_tz, "2025-W52"),
        ("2026-01-04T23:00:00Z", ny, "2026-W01"),
    ];
    for (at, tz, want) in cases {
        assert_eq!(issue_week(utc(at), tz).to_string(), want, "{at} {tz}");
    }
}
