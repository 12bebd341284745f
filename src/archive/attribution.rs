//! Attribution lines (`Author — Org`), name lists, and the text tests that find
//! attribution lines and sponsor blocks in an issue. Pure.

use serde::Serialize;

use super::dom::clean;
use crate::ingest::normalize::MAX_AUTHOR;

/// Most names kept from one attribution line.
pub const MAX_AUTHORS: usize = 20;
/// Longest attribution line read, in characters.
pub const MAX_ATTRIBUTION: usize = 400;

/// Who wrote a linked article: the people, and the organisation they wrote for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attribution {
    pub authors: Vec<String>,
    pub org: Option<String>,
}

/// Separators between the names and the organisation, earliest first wins. A bare
/// hyphen is a separator only between spaces (`Jean-Luc` is a name).
const SEPARATORS: &[&str] = &[" — ", "—", " – ", " -- ", " - "];
/// Words that make a lone name an organisation (compared lower-cased, without a
/// trailing `.` or `,`).
const ORG_WORDS: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "gmbh",
    "corp",
    "corporation",
    "company",
    "labs",
    "lab",
    "blog",
    "engineering",
    "team",
    "reddit",
    "news",
    "journal",
    "magazine",
    "queue",
    "weekly",
    "podcast",
    "university",
    "institute",
    "foundation",
    "systems",
    "technologies",
    "software",
    "cloud",
    "group",
    "press",
    "times",
    "stack",
    "hq",
    "agency",
    "board",
    "commission",
    "sre",
    "tech",
    "techblog",
    "incidents",
];
/// A last name-list part starting with one of these words is not a person but the
/// people around the previous one (`u/name and commenters`): it stays with that name.
const COLLECTIVE: &[&str] = &[
    "others",
    "other",
    "commenters",
    "friends",
    "colleagues",
    "contributors",
    "co-authors",
    "coauthors",
    "team",
    "many",
];
/// Suffixes after a comma that belong to the name before them (`Robert Poston, MD`).
const CREDENTIALS: &[&str] = &[
    "md", "phd", "jr", "sr", "ii", "iii", "iv", "mba", "rn", "pe", "esq", "dds",
];
/// Lower-case words allowed inside a person's name.
const NAME_PARTICLES: &[&str] = &[
    "and", "of", "the", "by", "de", "del", "della", "van", "von", "der", "den", "da", "di", "du",
    "la", "le", "y", "bin", "ibn", "al", "el", "with", "et", "al.",
];

/// Parses an attribution line: `Author — Org` (em dash, en dash, ` - ` or ` -- `),
/// `A and B — Org`, `A, B, and C — Org`, or one name alone.
///
/// A lone name is an organisation when it looks like one (see [`is_org_name`]),
/// else a person (or people: `A and B`). A collective tail stays with the name before it
/// (`u/name and commenters — Reddit r/sre` has the one author `u/name and commenters`,
/// so the line round-trips through [`join_names`]); a credential stays too
/// (`Robert Poston, MD`). A trailing parenthetical is a note, not part of a name
/// (`AWS (thanks to …)` is `AWS`). Empty sides are absent: `Jane Doe —` has no org.
pub fn parse_attribution(line: &str) -> Attribution {
    let text = clean(line, MAX_ATTRIBUTION).replace('\n', " ");
    let dashes: &[char] = &['—', '–', '-', ' '];
    let text = text.trim_matches(dashes);
    let text = strip_prefix_ci(text, "by ").unwrap_or(text).trim();
    match split_separator(text) {
        Some((names, org)) => Attribution {
            authors: split_names(names),
            org: clean_part(org),
        },
        None if is_org_name(text) => Attribution {
            authors: Vec::new(),
            org: clean_part(text),
        },
        None => Attribution {
            authors: split_names(text),
            org: None,
        },
    }
}

/// Names joined as the newsletter writes them: `A`, `A and B`, `A, B, and C`.
pub fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

/// Whether a lone name (no separator) is an organisation rather than a person:
/// - a handle (`u/name`, `@name`) is a person;
/// - a name with a domain (`incident.io`), a telling word (`Incident Labs`,
///   `Reddit r/sre`, `ACM Queue`) or a leading `The` is an organisation;
/// - otherwise a single word is an organisation (`Coinbase`, `Heroku`) and several
///   words are a person (`Julia Evans`, `Admiral Cloudberg`).
///
/// The link's host is deliberately not consulted: bloggers name their sites after
/// themselves (a `Dan Luu` link goes to `danluu.com`), so a match says nothing. Known
/// misses: one-word pen names (`Vorner`) read as organisations, and multi-word company
/// names without a telling word (`Hibernating Rhinos`, `Red Hat`) as people.
pub fn is_org_name(name: &str) -> bool {
    let name = name.trim();
    if name.starts_with("u/") || name.starts_with('@') {
        return false;
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.is_empty() {
        return false;
    }
    words.first().is_some_and(|w| *w == "The")
        || words.iter().any(|w| is_domain(w))
        || words.iter().any(|w| {
            let w = w.trim_end_matches(['.', ',']).to_lowercase();
            ORG_WORDS.contains(&w.as_str()) || w.starts_with("r/")
        })
        || words.len() == 1
}

/// `incident.io`, `devops.com`, `Shoreline.io`; not an initial (`A.`) or `Jr.`.
fn is_domain(word: &str) -> bool {
    let word = word.trim_end_matches([',', ')', ';']);
    let Some((head, tld)) = word.rsplit_once('.') else {
        return false;
    };
    !head.is_empty()
        && !head.ends_with('.')
        && (2..=6).contains(&tld.len())
        && tld.chars().all(|c| c.is_ascii_lowercase())
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `(names, org)` at the earliest separator.
fn split_separator(text: &str) -> Option<(&str, &str)> {
    SEPARATORS
        .iter()
        .filter_map(|sep| text.find(sep).map(|at| (at, sep.len())))
        .min_by_key(|&(at, len)| (at, std::cmp::Reverse(len)))
        .map(|(at, len)| (&text[..at], &text[at + len..]))
}

/// A name or org, trimmed, without a trailing parenthetical note, capped; `None` when
/// nothing is left.
fn clean_part(part: &str) -> Option<String> {
    let mut part = part.trim().trim_matches([',', ';']).trim();
    if part.ends_with(')')
        && let Some(open) = part.rfind(" (")
    {
        part = part[..open].trim();
    }
    let part = clean(part, MAX_AUTHOR);
    (!part.is_empty()).then_some(part)
}

/// `A`, `A and B`, `A, B, and C`, `A, B, with C` → the names, with collective tails and
/// credentials kept on the name before them.
fn split_names(text: &str) -> Vec<String> {
    let text = match clean_part(text) {
        Some(t) => t,
        None => return Vec::new(),
    };
    let mut names: Vec<String> = Vec::new();
    for piece in text.split(',') {
        let mut sub: Vec<&str> = Vec::new();
        let mut rest = piece.trim();
        for lead in ["and ", "with "] {
            rest = rest.strip_prefix(lead).unwrap_or(rest).trim_start();
        }
        loop {
            let next = [" and ", " with "]
                .iter()
                .filter_map(|c| rest.find(c).map(|at| (at, c.len())))
                .min();
            match next {
                Some((at, len)) => {
                    sub.push(&rest[..at]);
                    rest = &rest[at + len..];
                }
                None => {
                    sub.push(rest);
                    break;
                }
            }
        }
        for (i, name) in sub.into_iter().enumerate() {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let first = name.split_whitespace().next().unwrap_or("").to_lowercase();
            let bare = name.trim_end_matches('.').to_lowercase();
            match names.last_mut() {
                Some(prev) if i == 0 && CREDENTIALS.contains(&bare.as_str()) => {
                    prev.push_str(", ");
                    prev.push_str(name);
                }
                Some(prev) if COLLECTIVE.contains(&first.as_str()) => {
                    prev.push_str(" and ");
                    prev.push_str(name);
                }
                _ => names.push(name.to_owned()),
            }
        }
    }
    names
        .into_iter()
        .filter_map(|n| clean_part(&n))
        .take(MAX_AUTHORS)
        .collect()
}

/// The shape every attribution line has, whatever its position: short, no URL, and
/// not a sentence (no closing `.`, `!`, `?` or `:` unless after an abbreviation such as
/// `Inc.`).
pub fn attribution_shaped(text: &str) -> bool {
    let text = text.trim();
    let words = text.split_whitespace().count();
    if text.is_empty() || text.chars().count() > 200 || words > 30 || text.contains("://") {
        return false;
    }
    let last = text.split_whitespace().last().unwrap_or("").to_lowercase();
    let abbreviation =
        ["inc.", "ltd.", "co.", "jr.", "sr.", "al.", "corp."].contains(&last.as_str());
    !text.ends_with(['.', '!', '?', ':', ';', ',']) || (text.ends_with('.') && abbreviation)
}

/// An attribution line found by its words alone (no position or markup to go by):
/// [`attribution_shaped`], and either `names — org` with short, name-like names, or a
/// few capitalised words (`Julia Evans`) or one token (`Coinbase`).
pub fn looks_like_attribution(text: &str) -> bool {
    let text = text.trim().trim_start_matches(['—', '–', ' ']);
    if !attribution_shaped(text) || text.contains('\n') {
        return false;
    }
    match split_separator(text) {
        Some((names, org)) => {
            let org_ok = org.split_whitespace().count() <= 10;
            let names_ok = split_names(names)
                .iter()
                .all(|n| n.split_whitespace().count() <= 6 && (name_like(n) || single(n)));
            org_ok && names_ok
        }
        None => single(text) || (text.split_whitespace().count() <= 8 && name_like(text)),
    }
}

fn single(text: &str) -> bool {
    text.split_whitespace().count() == 1
}

/// Every word capitalised, a handle, or a name particle.
fn name_like(text: &str) -> bool {
    text.split_whitespace().all(|w| {
        w.starts_with("u/")
            || w.starts_with("r/")
            || w.starts_with('@')
            || w.chars().next().is_some_and(|c| !c.is_lowercase())
            || NAME_PARTICLES.contains(&w)
            || COLLECTIVE.contains(&w)
    })
}

/// Lines that open a sponsor block, compared at the start of a block, lower-cased.
/// The start matters: SRE Weekly's disclosure line ("This article is published by my
/// sponsor, …, but their sponsorship did not influence its inclusion") follows a real
/// pick and must not hide it.
const SPONSOR_OPENERS: &[&str] = &[
    "a message from our sponsor",
    "a word from our sponsor",
    "message from our sponsor",
    "a message from this week",
    "sponsored by",
    "sponsored:",
    "sponsor:",
    "sponsors:",
    "[sponsor",
    "(sponsor",
    "this issue is sponsored",
    "this week's sponsor",
    "this week’s sponsor",
    "today's sponsor",
    "today’s sponsor",
    "thanks to our sponsor",
    "brought to you by",
    "our sponsor",
];

/// Whether a block of text opens a sponsor block (or is a sponsored item's title).
pub fn is_sponsor_text(text: &str) -> bool {
    let start: String = text
        .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '[' && c != '(')
        .chars()
        .take(40)
        .collect::<String>()
        .to_lowercase();
    SPONSOR_OPENERS.iter().any(|o| start.starts_with(o))
}

/// Section headings whose links are not picks: sponsors, and SRE Weekly's Outages list
/// (news reports titled by the company that had the outage, with neither blurb nor
/// attribution).
pub fn is_skipped_section(heading: &str) -> bool {
    let h = heading.trim().trim_end_matches(':').to_lowercase();
    matches!(
        h.as_str(),
        "outages"
            | "outage"
            | "sponsor"
            | "sponsors"
            | "sponsored"
            | "our sponsor"
            | "our sponsors"
    ) || is_sponsor_text(&h)
}
