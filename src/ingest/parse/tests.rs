//! Parse's tests: real-world oddities, each recovery, the bounds.

use super::limits::{count_json_items, count_xml_entries, thousands};
use super::*;
use crate::ingest::normalize::MAX_ENTRIES_PER_FEED;
use chrono::DateTime;

#[test]
fn dates_in_the_wild() {
    let cases = [
        ("2024-03-05T10:00:00Z", "2024-03-05T10:00:00+00:00"),
        ("2024-03-05T12:00:00+02:00", "2024-03-05T10:00:00+00:00"),
        ("Tue, 05 Mar 2024 10:00:00 GMT", "2024-03-05T10:00:00+00:00"),
        (
            "Tue, 05 Mar 2024 10:00:00 +0000",
            "2024-03-05T10:00:00+00:00",
        ),
        (
            "Tuesday, 05 March 2024 10:00:00 UTC",
            "2024-03-05T10:00:00+00:00",
        ),
        ("2024-03-05 10:00:00", "2024-03-05T10:00:00+00:00"),
        ("2024-03-05T10:00:00", "2024-03-05T10:00:00+00:00"),
        ("2024-03-05", "2024-03-05T00:00:00+00:00"),
        (
            "Tue, 05 Mar 2024 10:00:00 CEST",
            "2024-03-05T10:00:00+00:00",
        ),
    ];
    for (input, want) in cases {
        let got = parse_date(input).map(|d| d.to_rfc3339());
        assert_eq!(got.as_deref(), Some(want), "{input}");
    }
    for bad in ["", "yesterday", "32/13/2024", "Tue, 99 Foo 2024"] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
}

#[test]
fn rss_without_version_is_read_as_rss2() {
    let body = b"<?xml version=\"1.0\"?><rss><channel><title>t</title><item><title>a</title><link>https://x.example/a</link></item></channel></rss>";
    let feed = parse_feed(body, None, "https://x.example/feed")
        .unwrap()
        .feed;
    assert_eq!(feed.entries.len(), 1);
    let body = b"<rss version=\"0.94\"><channel><title>t</title><item><title>b</title></item></channel></rss>";
    assert_eq!(
        parse_feed(body, None, "https://x.example/")
            .unwrap()
            .feed
            .entries
            .len(),
        1
    );
}

#[test]
fn entries_without_guid_get_an_empty_id() {
    let body = b"<rss version=\"2.0\"><channel><item><title>a</title><link>https://x.example/a</link></item><item><guid>g2</guid><title>b</title></item></channel></rss>";
    let feed = parse_feed(body, None, "https://x.example/").unwrap().feed;
    assert_eq!(feed.entries[0].id, "");
    assert_eq!(feed.entries[1].id, "g2");
}

#[test]
fn http_charset_overrides_the_xml_declaration() {
    // "café" in ISO-8859-1, declared as utf-8 in the prolog.
    let mut body =
        b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><item><title>caf"
            .to_vec();
    body.push(0xE9);
    body.extend_from_slice(b"</title></item></channel></rss>");
    let feed = parse_feed(&body, Some("iso-8859-1"), "https://x.example/")
        .unwrap()
        .feed;
    assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "café");
}

#[test]
fn a_wrong_header_charset_does_not_garble_utf8_and_undeclared_latin1_is_read() {
    let body = "<rss version=\"2.0\"><channel><item><title>caf\u{e9} \u{2014} ok</title></item></channel></rss>";
    let feed = parse_feed(body.as_bytes(), Some("iso-8859-1"), "https://x.example/")
        .unwrap()
        .feed;
    assert_eq!(
        feed.entries[0].title.as_ref().unwrap().content,
        "caf\u{e9} \u{2014} ok"
    );
    let mut latin1 = b"<rss version=\"2.0\"><channel><item><title>caf".to_vec();
    latin1.extend_from_slice(&[0xE9, 0x20, 0x93, b'q', 0x94]);
    latin1.extend_from_slice(b"</title></item></channel></rss>");
    let feed = parse_feed(&latin1, None, "https://x.example/")
        .unwrap()
        .feed;
    assert_eq!(
        feed.entries[0].title.as_ref().unwrap().content,
        "caf\u{e9} \u{201c}q\u{201d}"
    );
}

#[test]
fn utf16_with_and_without_bom_is_read() {
    let xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><item><title>caf\u{e9}</title></item></channel></rss>";
    let be: Vec<u8> = xml.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let le: Vec<u8> = xml.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let with_bom = [&[0xFE, 0xFF][..], &be].concat();
    for body in [be, le, with_bom] {
        let feed = parse_feed(&body, None, "https://x.example/").unwrap().feed;
        assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "caf\u{e9}");
    }
}

#[test]
fn a_late_xml_declaration_is_dropped_not_fatal() {
    let body = b"<!-- x --><?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><item><title>t</title></item></channel></rss>";
    assert_eq!(
        parse_feed(body, None, "https://x.example/")
            .unwrap()
            .feed
            .entries
            .len(),
        1
    );
}

#[test]
fn html_pages_and_empty_bodies_are_explained() {
    let page = b"<!DOCTYPE html><html><head><link rel=alternate type=application/atom+xml href=/atom.xml></head></html>";
    assert_eq!(
        parse_feed(page, None, "https://b.example/blog"),
        Err(ParseError::HtmlPage {
            feeds: vec!["https://b.example/atom.xml".into()]
        })
    );
    assert_eq!(
        parse_feed(b"  \n", None, "https://b.example/"),
        Err(ParseError::Empty)
    );
    assert!(matches!(
        parse_feed(
            b"<rss version=\"2.0\"><channel><item>",
            None,
            "https://b.example/"
        ),
        Err(ParseError::Invalid(_))
    ));
}

fn parsed(body: &[u8]) -> Parsed {
    parse_feed(body, None, "https://x.example/feed").expect("parses")
}

fn titles(feed: &Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_well_formed_feed_has_no_notes() {
    let p = parsed(
        b"<rss version=\"2.0\"><channel><item><title>a &amp; b</title></item></channel></rss>",
    );
    assert_eq!(titles(&p.feed), ["a & b"]);
    assert!(p.notes.is_empty());
}

#[test]
fn bare_ampersands_are_recovered() {
    let p = parsed(b"<rss version=\"2.0\"><channel><item><title>AT&T &amp; friends&nbsp;now</title><link>https://x.example/get?a=1&b=2</link></item></channel></rss>");
    assert_eq!(titles(&p.feed), ["AT&T & friends&nbsp;now"]);
    assert_eq!(
        p.feed.entries[0].links[0].href,
        "https://x.example/get?a=1&b=2"
    );
    assert_eq!(p.notes, ["recovered: bare ampersands escaped"]);
}

#[test]
fn invalid_control_characters_are_recovered() {
    let p = parsed(b"<rss version=\"2.0\"><channel><item><title>a&#0;b\x01c&#x1b;d</title></item></channel></rss>");
    assert_eq!(titles(&p.feed), ["abcd"]);
    assert_eq!(p.notes, ["recovered: invalid control characters removed"]);
}

#[test]
fn mismatched_end_tags_are_recovered() {
    let p = parsed(b"<rss version=\"2.0\"><channel><title>t</title><language>en</langauge><item><title>a</title><description>x<br>y</description></item><item><title>b</titel></item></channel></rss>");
    assert_eq!(p.feed.language.as_deref(), Some("en"));
    assert_eq!(titles(&p.feed), ["a", "b"]);
    assert_eq!(p.notes, ["recovered: mismatched end tags repaired"]);
}

#[test]
fn a_cut_off_document_keeps_its_complete_entries() {
    let p = parsed(b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>a</title></item><item><title>b</title></item><item><title>c</title><description>half a sent");
    assert_eq!(titles(&p.feed), ["a", "b"]);
    assert_eq!(
        p.notes,
        ["recovered: cut-off document: kept the 2 complete entries"]
    );
    // Cut before any entry is complete: nothing was read, so the feed fails.
    assert!(matches!(
        parse_feed(
            b"<rss version=\"2.0\"><channel><title>t</title><item><title><![CD",
            None,
            "https://x.example/"
        ),
        Err(ParseError::Invalid(_))
    ));
}

#[test]
fn atom_text_constructs_of_other_media_types_are_decoded_or_skipped() {
    let p = parsed(concat!(
        r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">"#,
        r#"<title type="text/plain">Blog</title><subtitle type="application/x-custom">%%%</subtitle>"#,
        r#"<entry><id>1</id><title type="application/octet-stream">UG9zdG1vcnRlbTogY2Fmw6k=</title>"#,
        r#"<summary type="application/xhtml+xml"><div xmlns="http://www.w3.org/1999/xhtml">An <b>outage</b></div></summary></entry>"#,
        r#"<entry><id>2</id><title>Plain</title><rights type="application/x-custom">eA</rights></entry></feed>"#
    ).as_bytes());
    assert_eq!(p.feed.title.as_ref().unwrap().content, "Blog");
    assert_eq!(p.feed.description, None);
    assert_eq!(titles(&p.feed), ["Postmortem: caf\u{e9}", "Plain"]);
    assert!(
        p.feed.entries[0]
            .summary
            .as_ref()
            .unwrap()
            .content
            .contains("<b>outage</b>")
    );
    assert_eq!(
        p.notes,
        [
            "recovered: atom text construct of type text/plain read as text",
            "recovered: atom text construct of type application/x-custom skipped",
            "recovered: atom text construct of type application/octet-stream decoded",
            "recovered: atom text construct of type application/xhtml+xml read as xhtml",
            "recovered: atom text construct of type application/x-custom decoded",
        ]
    );
}

#[test]
fn json_feed_versions_and_string_tags_are_recovered() {
    let p = parsed(br#"{"version":"http://jsonfeed.org/version/1","title":"t","items":[{"id":"1","title":"a","tags":"sre"}]}"#);
    assert_eq!(titles(&p.feed), ["a"]);
    assert_eq!(p.feed.entries[0].categories[0].term, "sre");
    assert_eq!(
        p.notes,
        [
            "recovered: JSON Feed version missing or misspelt, read as 1.1",
            "recovered: JSON Feed tags given as a string read as one tag",
        ]
    );
    let p = parsed(br#"{"title":"t","items":[{"id":1,"title":"b"}]}"#);
    assert_eq!(titles(&p.feed), ["b"]);
    assert_eq!(p.feed.entries[0].id, "1");
    assert_eq!(
        p.notes,
        [
            "recovered: JSON Feed version missing or misspelt, read as 1.1",
            "recovered: mistyped or missing JSON Feed fields fixed",
        ]
    );
}

#[test]
fn json_feed_invalid_utf8_is_replaced_not_read_as_windows_1252() {
    let p = parsed(b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"caf\xc3\xa9\",\"items\":[{\"id\":\"1\",\"title\":\"na\xefve \xe2\x80\x94 ok\"}]}");
    assert_eq!(p.feed.title.as_ref().unwrap().content, "caf\u{e9}");
    assert_eq!(titles(&p.feed), ["na\u{fffd}ve \u{2014} ok"]);
    assert_eq!(p.notes, ["recovered: invalid UTF-8 bytes replaced"]);
}

/// An RSS document of `n` items; item `i` is dated `date(i)`.
fn rss_items(n: usize, date: impl Fn(usize) -> Option<String>) -> String {
    let items: String = (0..n)
        .map(|i| match date(i) {
            Some(d) => format!("<item><title>{i}</title><pubDate>{d}</pubDate></item>"),
            None => format!("<item><title>{i}</title></item>"),
        })
        .collect();
    format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>")
}

#[test]
fn a_feed_over_1000_entries_keeps_its_newest_in_file_order() {
    // Oldest first: item i is i hours after the first; 1,500 items.
    let day = |i: usize| {
        let t = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap()
            + chrono::Duration::hours(i as i64);
        Some(t.to_rfc3339())
    };
    let p = parsed(rss_items(1_500, day).as_bytes());
    let want: Vec<String> = (500..1_500).map(|i| i.to_string()).collect();
    assert_eq!(titles(&p.feed), want);
    assert_eq!(p.notes, ["cut to the newest 1,000 of 1,500 entries"]);
    // Undated entries come after every dated one, in file order.
    let some_dated = |i: usize| if i.is_multiple_of(2) { None } else { day(i) };
    let p = parsed(rss_items(1_500, some_dated).as_bytes());
    let kept = titles(&p.feed);
    assert_eq!(kept.len(), 1_000);
    let odd = kept
        .iter()
        .filter(|t| t.parse::<usize>().unwrap() % 2 == 1)
        .count();
    assert_eq!(odd, 750, "every dated entry is kept");
    assert_eq!(kept[0], "0", "then the first undated ones");
    assert_eq!(kept.last().unwrap(), "1499");
    // At the limit nothing is cut.
    assert!(parsed(rss_items(1_000, day).as_bytes()).notes.is_empty());
}

#[test]
fn a_document_over_20000_entries_is_refused_before_it_is_parsed() {
    let items = "<item/>".repeat(25_000);
    let rss = format!("<rss version=\"2.0\"><channel>{items}</channel></rss>");
    let too_many = Err(ParseError::TooManyEntries {
        count: 25_000,
        limit: MAX_ENTRIES_IN_DOCUMENT,
    });
    assert_eq!(
        parse_feed(rss.as_bytes(), None, "https://x.example/"),
        too_many
    );
    // Counted before feed-rs reads it: this root is one feed-rs would refuse.
    let entries = "<a:entry />".repeat(25_000);
    let other = format!("<nonsense>{entries}");
    assert_eq!(
        parse_feed(other.as_bytes(), None, "https://x.example/"),
        too_many
    );
    let json = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{}{{}}]}}"#,
        "{},".repeat(24_999)
    );
    assert_eq!(
        parse_feed(json.as_bytes(), None, "https://x.example/"),
        too_many
    );
    // Up to the limit a document is read (and cut to its newest entries).
    let items = "<item/>".repeat(MAX_ENTRIES_IN_DOCUMENT);
    let rss = format!("<rss version=\"2.0\"><channel>{items}</channel></rss>");
    let p = parsed(rss.as_bytes());
    assert_eq!(p.feed.entries.len(), MAX_ENTRIES_PER_FEED);
    assert_eq!(p.notes, ["cut to the newest 1,000 of 20,000 entries"]);
}

#[test]
fn entries_are_counted_by_their_start_tags() {
    assert_eq!(
        count_xml_entries(b"<rss><channel><items/><item>a</item><item >b</item><itemx/><rdf:item/>&lt;item></channel></rss>"),
        3
    );
    assert_eq!(
        count_xml_entries(b"<feed><entry/><entry\n/><entryx/></feed>"),
        2
    );
    assert_eq!(
        count_json_items(b"{\"items\":[{},{\"a\":[1]}],\"x\":\"\xff\"}").unwrap(),
        2
    );
    assert!(count_json_items(b"{\"items\":").is_err());
    // Cut off after many items: refused before any model of them is built.
    let cut = format!(
        "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"t\",\"items\":[{}",
        "{},".repeat(10)
    );
    assert!(matches!(
        parse_feed(cut.as_bytes(), None, "https://x.example/"),
        Err(ParseError::Invalid(m)) if m.starts_with("unable to parse JSON: EOF while parsing")
    ));
}

#[test]
fn thousands_are_grouped() {
    assert_eq!(thousands(7), "7");
    assert_eq!(thousands(1_000), "1,000");
    assert_eq!(thousands(1_234_567), "1,234,567");
}
