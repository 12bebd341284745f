//! Who wrote a post, as the newsletter credits it: every author named and joined
//! `A`, `A and B`, `A, B, and C`, then ` — Org`; the org alone for the org's own post.
//!
//! A post's authors are stored as one string: a feed's several authors joined with
//! `, `, or whatever one author field held (`A, B and C`, `A & B`, `A; B`).

/// Suffixes after a comma that belong to the name before them (`Robert Poston, MD`).
const CREDENTIALS: &[&str] = &[
    "md", "phd", "jr", "sr", "ii", "iii", "iv", "mba", "rn", "pe", "esq",
];

/// The names in a stored author string, in order, each once.
pub fn split_authors(raw: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for piece in raw.split([',', ';', '&']) {
        let mut rest = piece.trim();
        // `A, B, and C`: the Oxford comma leaves `and C`.
        for lead in ["and ", "And "] {
            rest = rest.strip_prefix(lead).unwrap_or(rest);
        }
        for name in rest.split(" and ").map(str::trim) {
            if name.is_empty() {
                continue;
            }
            let bare = name.trim_end_matches('.').to_lowercase();
            if CREDENTIALS.contains(&bare.as_str())
                && let Some(prev) = names.last_mut()
            {
                prev.push_str(", ");
                prev.push_str(name);
            } else if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

pub use crate::archive::join_names;

/// The draft's attribution line: `A and B — Org`, or `Org` alone when no person is
/// named (an author field holding the org's own name, `Netflix Technology Blog` for
/// Netflix, names no person).
pub fn credit(author: Option<&str>, org: &str) -> String {
    let org_words = words(org);
    let people: Vec<String> = split_authors(author.unwrap_or(""))
        .into_iter()
        .filter(|name| {
            // `Netflix Technology Blog` for Netflix, `Cloudflare` for Cloudflare Blog.
            let name = words(name);
            org_words.is_empty() || !(name.starts_with(&org_words) || org_words.starts_with(&name))
        })
        .collect();
    match (people.is_empty(), org.trim().is_empty()) {
        (true, _) => org.trim().to_owned(),
        (false, true) => join_names(&people),
        (false, false) => format!("{} — {}", join_names(&people), org.trim()),
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_strings_split_into_names() {
        let cases: &[(&str, &[&str])] = &[
            ("Dana Ops", &["Dana Ops"]),
            ("A and B", &["A", "B"]),
            ("A, B and C", &["A", "B", "C"]),
            ("A, B, and C", &["A", "B", "C"]),
            ("A & B", &["A", "B"]),
            ("A; B; C", &["A", "B", "C"]),
            (
                "Robert Poston, MD and Jane Roe",
                &["Robert Poston, MD", "Jane Roe"],
            ),
            ("Sam, Sam", &["Sam"]),
            ("", &[]),
            (" , ", &[]),
        ];
        for (raw, names) in cases {
            assert_eq!(split_authors(raw), *names, "{raw:?}");
        }
    }

    #[test]
    fn names_join_as_the_newsletter_writes_them() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(join_names(&names(&["A"])), "A");
        assert_eq!(join_names(&names(&["A", "B"])), "A and B");
        assert_eq!(join_names(&names(&["A", "B", "C"])), "A, B, and C");
        assert_eq!(
            join_names(&names(&["A", "B", "C", "D", "E"])),
            "A, B, C, D, and E",
            "all five named"
        );
    }

    #[test]
    fn the_credit_names_people_and_the_org() {
        assert_eq!(
            credit(Some("Ana Souza, Tom Kim, Lee Park"), "Netflix"),
            "Ana Souza, Tom Kim, and Lee Park — Netflix"
        );
        assert_eq!(
            credit(Some("Netflix Technology Blog"), "Netflix"),
            "Netflix"
        );
        assert_eq!(credit(Some("Cloudflare"), "Cloudflare"), "Cloudflare");
        assert_eq!(credit(None, "Example Co"), "Example Co");
        assert_eq!(credit(Some("Dana Ops"), ""), "Dana Ops");
        assert_eq!(
            credit(Some("Al Chen"), "Alibaba Cloud"),
            "Al Chen — Alibaba Cloud"
        );
    }
}
