//! The review desk outside the browser: `gleaner note`, a pick that keeps its blurb,
//! the draft's credits (every author, joined as the newsletter joins them), `explain`
//! on a post below `min_score`, the shortlist as an Atom feed, and the "new since your
//! last visit" count.

use crate::util::{
    Daemon, FeedServer, Item, RULES, Route, Workspace, http_get, http_get_raw, now,
    response_header, rss, xml_escape,
};

fn id_of(ws: &Workspace, title: &str) -> String {
    ws.post_id(title).to_string()
}

fn note_of(ws: &Workspace, id: &str) -> Option<String> {
    let db = rusqlite::Connection::open(ws.db()).unwrap();
    db.query_row(
        "SELECT note FROM decisions WHERE post_id = ?1 AND undone = 0 ORDER BY id DESC LIMIT 1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

/// An RSS item with several `<dc:creator>`s, as WordPress writes co-authored posts.
fn item_by(guid: &str, title: &str, authors: &[&str]) -> String {
    let creators: String = authors
        .iter()
        .map(|a| format!("<dc:creator>{}</dc:creator>", xml_escape(a)))
        .collect();
    format!(
        "<item><guid isPermaLink=\"false\">{guid}</guid><link>https://blog.example/{guid}</link>\
         <title>{}</title><description>{}</description><pubDate>{}</pubDate>{creators}</item>",
        xml_escape(title),
        if title.contains("Gardening") {
            "Tomatoes."
        } else {
            "An incident."
        },
        crate::util::recently().to_rfc2822()
    )
}

fn workspace() -> (FeedServer, Workspace) {
    let server = FeedServer::start();
    let items = [
        item_by(
            "five",
            "Outage at scale, by five",
            &["Ana Souza", "Tom Kim", "Lee Park", "Sam Roe", "Kai Moe"],
        ),
        item_by("two", "Incident review, by two", &["Ana Souza", "Tom Kim"]),
        item_by(
            "own",
            "Our outage, by ourselves",
            &["Example Co Engineering"],
        ),
        item_by("quiet", "Gardening notes", &["Ana Souza"]),
    ]
    .concat();
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>T</title><link>http://example.com/</link>{items}</channel></rss>"
    );
    server.route("/f", Route::feed(feed));
    let ws = Workspace::new("", &[("F", &server.url("/f"), Some("Example Co"))], RULES);
    ws.ok(&["poll"]);
    (server, ws)
}

#[test]
fn notes_are_edited_after_the_decision_and_a_new_pick_keeps_the_blurb() {
    let (_server, ws) = workspace();
    let (a, b) = (
        id_of(&ws, "Outage at scale, by five"),
        id_of(&ws, "Incident review, by two"),
    );
    let (code, _, err) = ws.run(&["note", &a, "Too early."]);
    assert_eq!(code, 1, "no decision to note yet");
    assert!(
        err.contains(&format!("#{a} has no decision to note")),
        "{err}"
    );

    ws.ok(&["pick", &a, "--note", "First try."]);
    assert_eq!(
        ws.ok(&["note", &a, "Five authors, one clear timeline."]),
        format!("set the blurb of #{a} (picked)\n")
    );
    assert_eq!(
        note_of(&ws, &a).as_deref(),
        Some("Five authors, one clear timeline.")
    );
    // Picking again without --note keeps the blurb (it once wiped it), after an undo too.
    ws.ok(&["pick", &a]);
    ws.ok(&["undo", &a]);
    ws.ok(&["undo", &a]);
    ws.ok(&["pick", &a]);
    assert_eq!(
        note_of(&ws, &a).as_deref(),
        Some("Five authors, one clear timeline.")
    );
    // A rejection's note is edited, and cleared, the same way.
    ws.ok(&["reject", &b, "--note", "vendor"]);
    assert_eq!(
        ws.ok(&["note", &b, "not ours to link"]),
        format!("set the note of #{b} (rejected)\n")
    );
    assert_eq!(
        ws.ok(&["note", &b, ""]),
        format!("cleared the note of #{b} (rejected)\n")
    );
    assert_eq!(note_of(&ws, &b), None);
}

#[test]
fn the_draft_credits_every_author_as_the_newsletter_does_and_warns_of_missing_blurbs() {
    let (_server, ws) = workspace();
    let (five, two, own) = (
        id_of(&ws, "Outage at scale, by five"),
        id_of(&ws, "Incident review, by two"),
        id_of(&ws, "Our outage, by ourselves"),
    );
    ws.ok(&["pick", &five, "--note", "All five named."]);
    ws.ok(&["pick", &two, "--note", "Two."]);
    ws.ok(&["pick", &own]);

    let (code, md, err) = ws.run(&["draft"]);
    assert_eq!(code, 3, "a pick has no blurb: {err}");
    assert!(
        err.contains(&format!("1 of 3 picks have no blurb yet (#{own})"))
            && err.contains("--allow-todo"),
        "{err}"
    );
    for credit in [
        "&emsp;&emsp;Ana Souza, Tom Kim, Lee Park, Sam Roe, and Kai Moe — Example Co\n",
        "&emsp;&emsp;Ana Souza and Tom Kim — Example Co\n",
        "_TODO: blurb_\n\n&emsp;&emsp;Example Co\n",
    ] {
        assert!(md.contains(credit), "{credit:?} missing in\n{md}");
    }
    assert_eq!(ws.run(&["draft", "--allow-todo"]).0, 0);
    ws.ok(&["note", &own, "Their own words."]);
    let (code, _, err) = ws.run(&["draft"]);
    assert_eq!((code, err.as_str()), (0, ""));
    // Nothing picked keeps meaning 1.
    let (code, _, _) = ws.run(&["draft", "--week", "2020-W01"]);
    assert_eq!(code, 1);
}

#[test]
fn explain_says_when_a_post_is_below_min_score() {
    let (_server, ws) = workspace();
    let quiet = id_of(&ws, "Gardening notes");
    let text = ws.ok(&["explain", &quiet]);
    assert!(
        text.contains("candidate: no: below min_score (1), so in no shortlist or queue"),
        "{text}"
    );
    let json = ws.json(&["explain", &quiet, "--format", "json"]);
    assert_eq!(json["below_min_score"], true);
    let loud = id_of(&ws, "Outage at scale, by five");
    ws.ok(&["pick", &loud, "--note", "Yes."]);
    let text = ws.ok(&["explain", &loud]);
    assert!(text.contains("candidate: yes (min_score 1)"), "{text}");
    assert!(text.contains("decision:  picked in "), "{text}");
    assert!(text.ends_with(": Yes.\n"), "{text}");
}

#[test]
fn the_shortlist_is_a_valid_atom_feed() {
    let server = FeedServer::start();
    let mut hostile = Item::new(
        "h",
        "https://blog.example/h",
        "<script>alert(1)</script>Outage & retries",
        "<img src=x onerror=alert(2)>An incident, with retries.",
    );
    hostile.author = Some("Dana \"Ops\" O'Neil & <i>co</i>");
    server.route(
        "/f",
        Route::feed(rss(&[
            hostile,
            Item::new(
                "b",
                "https://blog.example/b",
                "Incident review",
                "An outage.",
            ),
            Item::new("c", "https://blog.example/c", "Gardening notes", ""),
        ])),
    );
    let ws = Workspace::new("", &[("F", &server.url("/f"), Some("Example Co"))], RULES);
    let (_daemon, addr) = Daemon::start_polled(&ws);
    let (status, raw) = http_get_raw(&addr, "/shortlist.atom", &[]);
    assert_eq!(status, 200);
    assert_eq!(
        response_header(&raw, "content-type").as_deref(),
        Some("application/atom+xml; charset=utf-8")
    );
    let xml = raw.split_once("\r\n\r\n").unwrap().1;

    // Well-formed XML, start to end.
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "not well-formed at {}: {e}\n{xml}",
                reader.buffer_position()
            ),
        }
    }
    // RFC 4287: every entry has an id, a title, an updated date, a link and an author.
    let entries: Vec<&str> = xml.split("<entry>").skip(1).collect();
    assert_eq!(entries.len(), 2, "the week's candidates:\n{xml}");
    for entry in &entries {
        for element in [
            "<id>",
            "<title",
            "<updated>",
            "<link rel=\"alternate\"",
            "<author><name>",
        ] {
            assert!(entry.contains(element), "{element} missing in {entry}");
        }
    }
    assert!(!xml.contains("<script>") && !xml.contains("<img"), "{xml}");

    // A feed reader's parser reads it without complaint, best first like the shortlist.
    let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert!(
        feed.title
            .unwrap()
            .content
            .starts_with("gleaner shortlist ")
    );
    let shortlist = ws.json(&["shortlist", "--format", "json"]);
    let shortlist = shortlist.as_array().unwrap();
    assert!(!shortlist.is_empty(), "the week has a shortlist to compare");
    assert_eq!(feed.entries.len(), shortlist.len());
    for (entry, candidate) in feed.entries.iter().zip(shortlist) {
        assert_eq!(
            entry.title.as_ref().unwrap().content,
            candidate["title"].as_str().unwrap()
        );
        assert_eq!(entry.links[0].href, candidate["url"].as_str().unwrap());
        assert!(entry.updated.is_some() && !entry.id.is_empty());
        assert!(!entry.authors.is_empty());
        let summary = &entry.summary.as_ref().unwrap().content;
        assert!(
            summary.contains(&format!(
                "score {:.2}",
                candidate["score"].as_f64().unwrap()
            )) && summary.contains("why: incident (title)"),
            "{summary}"
        );
    }
    assert_eq!(
        feed.entries[0].authors[0].name.as_deref(),
        Some("Dana \"Ops\" O'Neil & co"),
        "the author, its markup gone and the rest escaped right"
    );
}

/// Posts first seen since the editor's last visit are marked; the visit is kept in a
/// cookie (a page load writes nothing to the database).
#[test]
fn posts_new_since_the_last_visit_are_marked() {
    let server = FeedServer::start();
    server.route(
        "/f",
        Route::feed(rss(&[
            Item::new("a", "https://blog.example/a", "Outage: retry storm", ""),
            Item::new("b", "https://blog.example/b", "Incident review", ""),
        ])),
    );
    let ws = Workspace::new("", &[("F", &server.url("/f"), None)], RULES);
    let (_daemon, addr) = Daemon::start_polled(&ws);
    let new_count = |html: &str| -> String {
        html.split("data-new=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    // The first visit marks nothing, and starts remembering.
    let (_, raw) = http_get_raw(&addr, "/", &[]);
    assert_eq!(new_count(&raw), "0");
    let cookie = response_header(&raw, "set-cookie").unwrap();
    assert!(cookie.starts_with("gleaner_visit=-."), "{cookie}");
    // Back two hours after a visit that ended before the posts came: both are new.
    let before = (now() - chrono::Duration::hours(2)).timestamp();
    let visit = format!("gleaner_visit=-.{before}");
    let (_, html) = http_get(&addr, "/", &[("Cookie", &visit)]);
    assert_eq!(new_count(&html), "2");
    assert_eq!(
        html.matches("<span class=\"tag new\">new</span>").count(),
        2
    );
    assert!(html.contains("2 new since your last visit"), "{html}");
    // A visit that began after they came: nothing is new.
    let after = now().timestamp() + 60;
    let visit = format!("gleaner_visit={after}.{after}");
    let (_, html) = http_get(&addr, "/", &[("Cookie", &visit)]);
    assert_eq!(new_count(&html), "0");
}
