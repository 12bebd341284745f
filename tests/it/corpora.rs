//! Real-world feeds from other projects' test suites (`../shared/corpora`), through the
//! whole parse → normalize → score → render path: nothing may panic, no markup or
//! unsafe URL survives, and feedparser's own expectations hold where they map onto our
//! model.

use std::path::{Path, PathBuf};

use gleaner::config::Config;
use gleaner::ingest::normalize::{Entry, canonical_url};
use gleaner::ingest::parse::ParseError;
use gleaner::model::Candidate;
use gleaner::score::Scorer;
use gleaner::week::IsoWeek;

fn corpus(sub: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora")
        .join(sub);
    assert!(
        dir.is_dir(),
        "corpus {} is missing: CI must run with shared/ beside the checkout",
        dir.display()
    );
    dir
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if !path.to_string_lossy().ends_with(".serde.json") && !path.ends_with("SOURCE.txt")
        {
            out.push(path);
        }
    }
}

/// The HTTP headers a feedparser case says to serve it with (`Header: Name: value`).
fn case_header(text: &str, name: &str) -> Option<String> {
    text.lines()
        .take_while(|l| !l.contains("-->"))
        .filter_map(|l| l.trim().strip_prefix("Header:"))
        .filter_map(|h| h.trim().split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
}

fn charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        p.trim()
            .strip_prefix("charset=")
            .map(|c| c.trim_matches('"').to_owned())
    })
}

/// Everything a feed's entries turn into: stored fields and every rendered format.
fn outputs(entries: &[Entry], scorer: &Scorer, config: &Config) -> String {
    let week = IsoWeek {
        year: 2026,
        week: 48,
    };
    let candidates: Vec<Candidate> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| Candidate {
            id: i as i64,
            url: e.url.clone(),
            title: e.title.clone(),
            feed: "corpus".into(),
            org: "corpus".into(),
            author: e.author.clone(),
            published: e.published,
            first_seen: crate::util::now(),
            effective_at: crate::util::now(),
            week: week.to_string(),
            score: scorer.score(e, 0.0).total,
            reasons: scorer.score(e, 0.0).reasons,
            also_in: vec![],
            sources: 1,
            copies: vec![],
            excerpt: e.summary.clone(),
            ..Candidate::default()
        })
        .collect();
    let mut all = String::new();
    for e in entries {
        all.push_str(&format!(
            "{}\n{}\n{}\n{:?}\n",
            e.title, e.summary, e.content, e.author
        ));
    }
    all.push_str(&gleaner::render::shortlist_markdown(
        week,
        config.settings.timezone,
        &candidates,
    ));
    all.push_str(&gleaner::render::shortlist_json(&candidates));
    all.push_str(&gleaner::render::shortlist_csv(&candidates));
    all
}

/// Markup and script that must never survive into stored text or any output.
const FORBIDDEN: &[&str] = &[
    "<script",
    "</script",
    "<style",
    "<iframe",
    "<object",
    "<embed",
    "onclick=",
    "onerror=",
    "onload=",
    "onmouseover=",
];

/// Cases whose expectation does not map onto our model, and why. Everything else must
/// hold.
fn unmapped(path: &Path, text: &str) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    // Elements feed-rs does not read into an entry's title or summary: (xhtml:)body,
    // fullitem, Dublin Core title/description, itunes:summary, media:title, an RSS
    // <summary>, and markup left unescaped inside <description>.
    const UNREAD: &[&str] = &[
        "<body",
        "<xhtml:body",
        "<fullitem",
        "<dc:title",
        "<dc:description",
        "<itunes:summary",
        "<media:title",
    ];
    let rss_summary = text.contains("<rss") && text.contains("<summary>");
    let naked_markup = name == "item_description_naked_markup.xml";
    // feedparser keeps the text of <script> and <title> in these; we drop it on purpose.
    let script_text_kept = name.contains("_crazy");
    // feedparser's CSS sanitizer leaves quotes of a font-family value as text.
    let css_quotes = name.starts_with("style_font_family");
    UNREAD.iter().any(|e| text.contains(e))
        || rss_summary
        || naked_markup
        || script_text_kept
        || css_quotes
}

#[derive(Default)]
struct Tally {
    files: usize,
    unmapped: usize,
    parsed: usize,
    checks: usize,
    passed: usize,
    failures: Vec<String>,
}

fn run_corpus(sub: &str, tally: &mut Tally) {
    let config = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml")).unwrap();
    let scorer = config.scorer();
    let mut paths = Vec::new();
    files(&corpus(sub), &mut paths);
    paths.sort();
    for path in &paths {
        tally.files += 1;
        let body = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&body).into_owned();
        let charset = case_header(&text, "Content-type").and_then(|ct| charset(&ct));
        // feedparser's test server served the cases from here; relative links resolve
        // against it unless a Content-Location header says otherwise.
        let base = case_header(&text, "Content-Location")
            .unwrap_or_else(|| "http://127.0.0.1:8097/".into());
        let Ok(parsed) = gleaner::ingest::parse::parse_feed(&body, charset.as_deref(), &base)
        else {
            continue;
        };
        tally.parsed += 1;
        let entries = gleaner::ingest::normalize::normalize_feed(&parsed.feed);
        let out = outputs(&entries, &scorer, &config).to_ascii_lowercase();
        for bad in FORBIDDEN {
            assert!(
                !out.contains(bad),
                "{}: {bad} survived into:\n{out}",
                path.display()
            );
        }
        for e in &entries {
            if let Some(url) = &e.url {
                assert!(
                    url.starts_with("http://") || url.starts_with("https://"),
                    "{}: {url}",
                    path.display()
                );
            }
        }
        if let Some(first) = entries.first() {
            check_expectations(path, &text, first, tally);
        }
    }
}

/// Checks `entries[0]['title'|'link'|'summary'|'description'] == '…'` clauses of a
/// feedparser `Expect:` line against our entry: titles and summaries as plain text
/// (feedparser keeps sanitized HTML; we keep its text), links canonicalized.
fn check_expectations(path: &Path, text: &str, entry: &Entry, tally: &mut Tally) {
    let Some(expect) = text.lines().find_map(|l| l.trim().strip_prefix("Expect:")) else {
        return;
    };
    if unmapped(path, text) {
        tally.unmapped += 1;
        return;
    }
    for clause in expect.split(" and ") {
        let clause = clause.trim();
        let Some(rest) = clause.strip_prefix("entries[0]['") else {
            continue;
        };
        let Some((key, value)) = rest.split_once("'] == ") else {
            continue;
        };
        let Some(expected) = python_string(value) else {
            continue;
        };
        let (got, want) = match key {
            "title" => (
                entry.title.clone(),
                gleaner::ingest::html::to_text(&expected, 10_000),
            ),
            "summary" | "description" => {
                let ours = if entry.summary.is_empty() {
                    &entry.content
                } else {
                    &entry.summary
                };
                (
                    ours.clone(),
                    gleaner::ingest::html::to_text(&expected, 10_000),
                )
            }
            "link" => (
                entry.url.clone().unwrap_or_default(),
                canonical_url(&expected).unwrap_or_default(),
            ),
            _ => continue,
        };
        tally.checks += 1;
        if got == want {
            tally.passed += 1;
        } else {
            tally.failures.push(format!(
                "{}: {key}: want {want:?}, got {got:?}",
                path.display()
            ));
        }
    }
}

/// A Python string expression: `'a'`, `u"b"`, and `'a' + 'b'` concatenations.
fn python_string(expr: &str) -> Option<String> {
    let mut out = String::new();
    for part in expr.split(" + ") {
        let part = part.trim().trim_start_matches(['u', 'b']);
        let quote = part.chars().next()?;
        if !(quote == '\'' || quote == '"') || part.len() < 2 || !part.ends_with(quote) {
            return None;
        }
        let mut chars = part[1..part.len() - 1].chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'x' => out.push(char::from_u32(
                    u32::from_str_radix(&chars.by_ref().take(2).collect::<String>(), 16).ok()?,
                )?),
                'u' => out.push(char::from_u32(
                    u32::from_str_radix(&chars.by_ref().take(4).collect::<String>(), 16).ok()?,
                )?),
                'U' => out.push(char::from_u32(
                    u32::from_str_radix(&chars.by_ref().take(8).collect::<String>(), 16).ok()?,
                )?),
                other => out.push(other),
            }
        }
    }
    Some(out)
}

#[test]
fn every_feed_rs_fixture_goes_through_without_a_panic() {
    let mut tally = Tally::default();
    run_corpus("feed-rs", &mut tally);
    assert!(tally.files >= 60, "only {} files", tally.files);
    // All but the deliberately truncated feed and non-feed XML parse.
    assert!(
        tally.parsed * 10 >= tally.files * 9,
        "{} of {} parsed",
        tally.parsed,
        tally.files
    );
}

#[test]
fn every_feedparser_case_goes_through_and_its_expectations_hold() {
    let mut tally = Tally::default();
    for sub in ["wellformed", "illformed", "encoding", "entities"] {
        run_corpus(&format!("feedparser/tests/{sub}"), &mut tally);
    }
    println!(
        "feedparser corpus: {} of {} files parsed; title/link/summary expectations that map onto our model: {} of {} pass ({:.1}%); {} cases do not map",
        tally.parsed,
        tally.files,
        tally.passed,
        tally.checks,
        100.0 * tally.passed as f64 / tally.checks.max(1) as f64,
        tally.unmapped
    );
    for f in &tally.failures {
        println!("  {f}");
    }
    assert!(tally.files >= 1500, "only {} files", tally.files);
    assert!(
        tally.checks >= 400,
        "only {} expectations mapped",
        tally.checks
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {} expectations fail",
        tally.failures.len(),
        tally.checks
    );
}

/// Inputs the fuzzer (tests/fuzz) crashed on, kept so they never crash again.
#[test]
fn fuzzer_crashes_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/regressions");
    let config = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml")).unwrap();
    let scorer = config.scorer();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let body = std::fs::read(entry.unwrap().path()).unwrap();
        // The fuzz target's first byte picks the charset; these run with every one.
        for charset in [
            None,
            Some("utf-8"),
            Some("iso-8859-1"),
            Some("utf-16"),
            Some("shift_jis"),
        ] {
            for input in [&body[..], &body[1..]] {
                let result = gleaner::ingest::pipeline::score_document(
                    input,
                    charset,
                    "https://fuzz.example/feed",
                    &scorer,
                    0.0,
                    &Default::default(),
                );
                assert!(
                    !matches!(result, Err(ParseError::ParserPanicked)),
                    "the parser panicked on {charset:?}"
                );
            }
        }
        n += 1;
    }
    assert!(n >= 1, "no regression inputs in {}", dir.display());
}

#[test]
fn python_strings_of_expect_lines() {
    assert_eq!(python_string("u'caf\\xe9'").as_deref(), Some("café"));
    assert_eq!(python_string("'a' + 'b\\n'").as_deref(), Some("ab\n"));
    assert_eq!(python_string("entries[1]['link']"), None);
}
