//! Real-world feeds from other projects' test suites (`../shared/corpora`), through the
//! whole parse → normalize → score → render path: nothing may panic, no markup or
//! unsafe URL survives, no fewer files parse than today, and feedparser's own
//! expectations hold where they map onto our model. The expected side is computed here,
//! by rules of this file's own (never gleaner's `to_text` or `canonical_url`, so a bug
//! the two shared would not pass both sides).

use std::path::Path;

use gleaner::config::{Config, FeedKind};
use gleaner::ingest::normalize::Entry;
use gleaner::ingest::parse::ParseError;
use gleaner::ingest::reach::ReachPolicy;
use gleaner::model::Candidate;
use gleaner::score::Scorer;
use gleaner::week::IsoWeek;

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

/// Why a case's expectations do not map onto our model, if they do not. Everything
/// else must hold.
fn unmapped(path: &Path, text: &str) -> Option<&'static str> {
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
    let reasons: &[(bool, &str)] = &[
        (
            UNREAD.iter().any(|e| text.contains(e))
                || text.contains("<rss") && text.contains("<summary>")
                || name == "item_description_naked_markup.xml",
            "an element feed-rs does not read into title or summary",
        ),
        // feedparser keeps the text of <script> and <title> in these; we drop it.
        (name.contains("_crazy"), "script text kept by feedparser"),
        // feedparser's CSS sanitizer leaves quotes of a font-family value as text.
        (
            name.starts_with("style_font_family"),
            "CSS quotes kept as text",
        ),
    ];
    reasons
        .iter()
        .find(|(applies, _)| *applies)
        .map(|(_, reason)| *reason)
}

/// Why a case may give no entry at all, if it may: formats and shapes feed-rs reads
/// no entry from (none seen in engineering blogs' feeds today). Any other case with
/// an expectation on its first entry must give one.
fn may_give_no_entry(text: &str) -> Option<&'static str> {
    let reasons: &[(bool, &str)] = &[
        (text.contains("purl.org/atom/ns#"), "Atom 0.3"),
        (text.contains("<CHANNEL"), "Microsoft CDF"),
        (
            text.contains("backend.userland.com/rss2"),
            "RSS 2.0 in a namespace of its own",
        ),
        (
            text.contains("<rss") && !text.contains("<channel"),
            "RSS items outside any channel",
        ),
        (
            text.contains("<rdf:RDF") && !text.contains("<link"),
            "RSS 1.0/0.90 items without the link the spec requires",
        ),
    ];
    reasons
        .iter()
        .find(|(applies, _)| *applies)
        .map(|(_, reason)| *reason)
}

#[derive(Default)]
struct Tally {
    files: usize,
    /// Cases whose expectations do not map, by why (see [`unmapped`]).
    unmapped: std::collections::BTreeMap<&'static str, usize>,
    parsed: usize,
    /// Files that did not parse, by name.
    unparsed: Vec<String>,
    checks: usize,
    passed: usize,
    /// Cases that gave no entry, with expectations on one, excused by
    /// [`may_give_no_entry`], by why.
    no_entry: std::collections::BTreeMap<&'static str, usize>,
    /// Expectations left out because their HTML holds a named entity the expected
    /// side does not know (see [`expected_text`]).
    undecodable: usize,
    failures: Vec<String>,
}

fn run_corpus(sub: &str, tally: &mut Tally) {
    let config = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml")).unwrap();
    let scorer = config.scorer();
    for path in &crate::util::corpus_files(sub) {
        tally.files += 1;
        let body = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&body).into_owned();
        let charset = case_header(&text, "Content-type").and_then(|ct| charset(&ct));
        // feedparser's test server served the cases from here; relative links resolve
        // against it unless a Content-Location header says otherwise.
        let base = case_header(&text, "Content-Location")
            .unwrap_or_else(|| "http://127.0.0.1:8097/".into());
        let entries = match gleaner::ingest::parse::parse_feed(&body, charset.as_deref(), &base) {
            Ok(parsed) => {
                tally.parsed += 1;
                gleaner::ingest::normalize::normalize_feed(&parsed.feed)
            }
            Err(_) => {
                tally.unparsed.push(path.display().to_string());
                Vec::new()
            }
        };
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
        // A file that did not parse, or gave no entry, fails every expectation it has.
        check_expectations(path, &text, entries.first(), tally);
    }
}

/// Checks `entries[0]['title'|'link'|'summary'|'description'] == '…'` clauses of a
/// feedparser `Expect:` line against our entry (none when the file gave none: then
/// each such clause fails): titles and summaries as plain text (feedparser keeps
/// sanitized HTML; we keep its text, compared with white space collapsed), links in
/// canonical form.
fn check_expectations(path: &Path, text: &str, entry: Option<&Entry>, tally: &mut Tally) {
    let Some(expect) = text.lines().find_map(|l| l.trim().strip_prefix("Expect:")) else {
        return;
    };
    if let Some(reason) = unmapped(path, text) {
        *tally.unmapped.entry(reason).or_default() += 1;
        return;
    }
    let excused = entry
        .is_none()
        .then(|| may_give_no_entry(text))
        .flatten()
        .filter(|_| expect.contains("entries[0]['"));
    if let Some(reason) = excused {
        *tally.no_entry.entry(reason).or_default() += 1;
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
        let want = match key {
            "title" | "summary" | "description" => match expected_text(&expected) {
                Some(text) => squash(&text),
                None => {
                    tally.undecodable += 1;
                    continue;
                }
            },
            "link" => expected_link(&expected),
            _ => continue,
        };
        tally.checks += 1;
        let Some(entry) = entry else {
            tally.failures.push(format!(
                "{}: {key}: want {want:?}, but the file gave no entry",
                path.display()
            ));
            continue;
        };
        let got = match key {
            "title" => squash(&entry.title),
            "link" => entry.url.clone().unwrap_or_default(),
            _ if entry.summary.is_empty() => squash(&entry.content),
            _ => squash(&entry.summary),
        };
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

/// White space collapsed to single spaces, none at either end.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The plain text of feedparser's expected (sanitized) HTML, by this file's own rules:
/// comments, and scripts, styles, SVG and MathML with their content, are dropped (the
/// last two feedparser keeps; the README says we do not); block elements and line
/// breaks separate words; other tags are dropped; the XML entities, `&nbsp;` and
/// numeric references are decoded. `None` when it holds another named entity.
fn expected_text(html: &str) -> Option<String> {
    const HIDDEN: &[&str] = &["script", "style", "svg", "math"];
    const BREAKS: &[&str] = &[
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "hr",
        "dl",
        "dt",
        "dd",
        "img",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
    ];
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&decode(&rest[..open])?);
        rest = &rest[open..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.split_once("-->").map_or("", |(_, after)| after);
            continue;
        }
        let Some(close) = rest.find('>') else {
            // A `<` that opens no tag is text.
            text.push_str(&decode(rest)?);
            rest = "";
            break;
        };
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if !tag.starts_with('/') && HIDDEN.contains(&name.as_str()) {
            let end = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = lower
                .find(&end)
                .and_then(|i| rest[i..].find('>').map(|j| &rest[i + j + 1..]))
                .unwrap_or("");
            continue;
        }
        if BREAKS.contains(&name.as_str()) {
            text.push(' ');
        }
    }
    text.push_str(&decode(rest)?);
    Some(text)
}

/// Character references in text: the five XML entities, `&nbsp;`, decimal and hex;
/// `None` for any other named one. A `&` that starts no reference is itself.
fn decode(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest[1..].find(';').map(|i| i + 1) else {
            break;
        };
        let name = &rest[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => match name.strip_prefix('#') {
                Some(hex) if hex.starts_with(['x', 'X']) => u32::from_str_radix(&hex[1..], 16)
                    .ok()
                    .and_then(char::from_u32),
                Some(dec) => dec.parse().ok().and_then(char::from_u32),
                None if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) => {
                    return None;
                }
                None => None,
            },
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The link feedparser expects, in the canonical form we store, by this file's own
/// rules: nothing for a link that is not http(s); otherwise scheme and host lower-cased,
/// the default port and the fragment dropped.
fn expected_link(link: &str) -> String {
    let link = link.trim();
    let Some((scheme, rest)) = link.split_once("://") else {
        return String::new();
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return String::new();
    }
    let rest = rest.split('#').next().unwrap_or_default();
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut host = authority.to_ascii_lowercase();
    let default_port = if scheme == "http" { ":80" } else { ":443" };
    if let Some(bare) = host.strip_suffix(default_port) {
        host = bare.to_owned();
    }
    let path = if path.is_empty() || path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    format!("{scheme}://{host}{path}")
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
    // All but the deliberately truncated feed and the XML that is no feed (64 of 68
    // files today); any other failing to parse is a regression, and so is the
    // truncated one parsing.
    let unparsed: Vec<String> = tally
        .unparsed
        .iter()
        .map(|p| p.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        unparsed,
        [
            "rss_2.0_invalid_1.xml",
            "xml_iso8859.xml",
            "xml_sample_1.xml",
            "xml_sample_2.xml"
        ],
        "{} of {} parsed",
        tally.parsed,
        tally.files
    );
}

/// How many of feedparser's cases parse today, of how many.
const FEEDPARSER_PARSED: usize = 2035;
const FEEDPARSER_FILES: usize = 2106;

#[test]
fn every_feedparser_case_goes_through_and_its_expectations_hold() {
    let mut tally = Tally::default();
    for sub in ["wellformed", "illformed", "encoding", "entities"] {
        run_corpus(&format!("feedparser/tests/{sub}"), &mut tally);
    }
    println!(
        "feedparser corpus: {} of {} files parsed; title/link/summary expectations that map onto our model: {} of {} pass ({:.1}%); {} left out for an entity the expected side does not decode; cases that do not map: {:?}; cases of formats that give no entry: {:?}",
        tally.parsed,
        tally.files,
        tally.passed,
        tally.checks,
        100.0 * tally.passed as f64 / tally.checks.max(1) as f64,
        tally.undecodable,
        tally.unmapped,
        tally.no_entry
    );
    for f in &tally.failures {
        println!("  {f}");
    }
    assert!(tally.files >= 1500, "only {} files", tally.files);
    assert!(
        tally.parsed * FEEDPARSER_FILES >= FEEDPARSER_PARSED * tally.files,
        "{} of {} parsed (the floor is {FEEDPARSER_PARSED} of {FEEDPARSER_FILES}); these did not:\n{}",
        tally.parsed,
        tally.files,
        tally.unparsed.join("\n")
    );
    assert!(
        tally.checks >= 400,
        "only {} expectations mapped",
        tally.checks
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {} expectations fail:\n{}",
        tally.failures.len(),
        tally.checks,
        tally.failures.join("\n")
    );
}

/// Inputs the fuzzer (tests/fuzz) crashed on, kept so they never crash again.
#[test]
fn fuzzer_crashes_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/regressions");
    let config = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml")).unwrap();
    let scorer = config.scorer();
    // Each input is read as a feed and as a watched page (`kind = "page"`).
    let feed = ReachPolicy::default();
    let page = ReachPolicy {
        kind: Some(FeedKind::Page),
        ..ReachPolicy::default()
    };
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
                for policy in [&feed, &page] {
                    let result = gleaner::ingest::pipeline::score_document(
                        input,
                        charset,
                        "https://fuzz.example/feed",
                        &scorer,
                        0.0,
                        policy,
                    );
                    assert!(
                        !matches!(
                            result,
                            Err(ParseError::ParserPanicked | ParseError::Crashed)
                        ),
                        "a reader panicked on {charset:?} as {:?}",
                        policy.kind
                    );
                }
            }
        }
        n += 1;
    }
    assert!(n >= 1, "no regression inputs in {}", dir.display());
}

#[test]
fn the_expected_side_reads_html_and_links_by_its_own_rules() {
    let text = |html: &str| expected_text(html).map(|t| squash(&t));
    assert_eq!(
        text("History of the &lt;blink&gt; tag").as_deref(),
        Some("History of the <blink> tag")
    );
    assert_eq!(text("<p>one</p><p>two</p>").as_deref(), Some("one two"));
    assert_eq!(text("<b>bold</b>er").as_deref(), Some("bolder"));
    assert_eq!(
        text("safe<script>alert(1)</script><!-- x --> text").as_deref(),
        Some("safe text")
    );
    assert_eq!(text("AT&T &#169; &#x41;").as_deref(), Some("AT&T \u{a9} A"));
    assert_eq!(text("caf&eacute;"), None);
    assert_eq!(
        expected_link("HTTP://Example.COM:80/a?b=1#c"),
        "http://example.com/a?b=1"
    );
    assert_eq!(expected_link("https://example.com"), "https://example.com/");
    assert_eq!(expected_link("javascript:alert(1)"), "");
}

#[test]
fn python_strings_of_expect_lines() {
    assert_eq!(python_string("u'caf\\xe9'").as_deref(), Some("café"));
    assert_eq!(python_string("'a' + 'b\\n'").as_deref(), Some("ab\n"));
    assert_eq!(python_string("entries[1]['link']"), None);
}
