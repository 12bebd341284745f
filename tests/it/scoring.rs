//! "How scores work", through the real program: a summary repeated as the content
//! counts once, and a rule change reaches stored entries at the next read.

use serde_json::Value;

use crate::util::{FeedServer, Item, RULES, Route, Workspace, by_url, recently, rss};

/// `(rule, field, points)` of a candidate's reasons.
fn reasons(candidate: &Value) -> Vec<(String, String, f64)> {
    candidate["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_owned(),
                r["field"].as_str().unwrap().to_owned(),
                r["points"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn reason(rule: &str, field: &str, points: f64) -> (String, String, f64) {
    (rule.to_owned(), field.to_owned(), points)
}

/// An RSS item with both a description and a `content:encoded`.
fn item_with_content(guid: &str, title: &str, description: &str, content: &str) -> String {
    format!(
        "<item><guid>{guid}</guid><link>https://blog.example/{guid}</link><title>{title}</title>\
         <pubDate>{}</pubDate><description>{}</description>\
         <content:encoded><![CDATA[{content}]]></content:encoded></item>",
        recently().to_rfc2822(),
        crate::util::xml_escape(description),
    )
}

#[test]
fn a_summary_repeated_as_the_content_counts_once() {
    let body = format!(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>T</title>{}{}{}</channel></rss>",
        // The same words, in the same markup.
        item_with_content(
            "same",
            "Notes from the week",
            "<p>An incident, explained.</p>",
            "<p>An incident, explained.</p>"
        ),
        // The same words, in other markup: the same plain text.
        item_with_content(
            "marked",
            "More notes from the week",
            "<p>An incident, explained.</p>",
            "An <b>incident</b>, <i>explained</i>."
        ),
        // A content that says more: both fields count.
        item_with_content(
            "more",
            "Yet more notes from the week",
            "An incident, in short.",
            "<p>The whole incident, with its timeline.</p>"
        ),
    );
    let (_server, ws) = Workspace::polled(Route::feed(body));
    let list = ws.json(&["shortlist", "--format", "json"]);
    // incident: weight 3; summary × 1, content × 0.5.
    for url in ["https://blog.example/same", "https://blog.example/marked"] {
        let c = by_url(&list, url);
        assert_eq!(reasons(c), [reason("incident", "summary", 3.0)], "{url}");
        assert_eq!(c["score"], 3.0, "{url}");
    }
    let more = by_url(&list, "https://blog.example/more");
    assert_eq!(
        reasons(more),
        [
            reason("incident", "summary", 3.0),
            reason("incident", "content", 1.5)
        ]
    );
    assert_eq!(more["score"], 4.5);
}

/// Edited rules reach stored entries at the next command that reads them: no
/// `rescore`, no fetch; the new scores are stored, and explained part by part.
#[test]
fn stored_entries_are_rescored_at_the_next_read_after_a_rule_change() {
    let server = FeedServer::start();
    server.route(
        "/f",
        Route::feed(rss(&[
            Item::new(
                "k",
                "https://blog.example/k",
                "TCP keepalives and an outage",
                "",
            ),
            Item::new("r", "https://blog.example/r", "Retry storms", ""),
        ])),
    );
    let feeds = [("F", server.url("/f"))];
    let feeds: Vec<(&str, &str, Option<&str>)> =
        feeds.iter().map(|(n, u)| (*n, u.as_str(), None)).collect();
    let ws = Workspace::new("", &feeds, RULES);
    ws.ok(&["poll"]);
    let stored = |url: &str| {
        ws.sql_count(&format!(
            "SELECT CAST(round(score * 100) AS INTEGER) FROM posts WHERE url = '{url}'"
        )) as f64
            / 100.0
    };
    // incident in the title (3 × 2); retries in the title (2 × 2).
    assert_eq!(stored("https://blog.example/k"), 6.0);
    assert_eq!(stored("https://blog.example/r"), 4.0);

    // A new rule, and a new weight for an old one.
    let rules = format!(
        "{}\n[[rule]]\nname = \"networking\"\npattern = '(?i)\\bkeepalives?\\b'\nweight = 2.5\n",
        RULES.replace("weight = 2.0", "weight = 0.5")
    );
    ws.write_config("", &feeds, &rules);
    let list = ws.json(&["shortlist", "--format", "json"]);
    let k = by_url(&list, "https://blog.example/k");
    assert_eq!(
        reasons(k),
        [
            reason("incident", "title", 6.0),
            reason("networking", "title", 5.0)
        ]
    );
    assert_eq!(k["score"], 11.0);
    assert_eq!(by_url(&list, "https://blog.example/r")["score"], 1.0);
    // Stored, not only shown.
    assert_eq!(stored("https://blog.example/k"), 11.0);
    assert_eq!(stored("https://blog.example/r"), 1.0);
    let explained = ws.ok(&["explain", &k["id"].to_string()]);
    assert!(
        explained.contains("+5.00  networking  in title"),
        "{explained}"
    );
    assert_eq!(server.seen("/f").len(), 1, "nothing was fetched again");
}
