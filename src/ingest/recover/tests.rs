//! The repairs, one malformation at a time.

use super::json::JSON_FEED_VERSION;
use super::structure::{decode_base64, near_miss};
use super::*;

fn repaired(xml: &str) -> (String, Vec<String>) {
    let r = repair_xml(xml.as_bytes()).expect("something to repair");
    (
        String::from_utf8(r.body).unwrap(),
        r.fixes.iter().map(ToString::to_string).collect(),
    )
}

#[test]
fn bare_ampersands_are_escaped_and_references_kept() {
    let (body, fixes) = repaired(
        "<rss><channel><link>https://x.example/?a=1&b=2&amp;c=3</link><title>AT&T &#38; &#x26; &nbsp;&eacute; & ;&#;&x y;</title></channel></rss>",
    );
    assert_eq!(
        body,
        "<rss><channel><link>https://x.example/?a=1&amp;b=2&amp;c=3</link><title>AT&amp;T &#38; &#x26; &nbsp;&eacute; &amp; ;&amp;#;&amp;x y;</title></channel></rss>"
    );
    assert_eq!(fixes, ["bare ampersands escaped"]);
}

#[test]
fn a_declaration_whose_quote_is_not_ascii_is_read_not_a_panic() {
    // Not UTF-8, with 0xE9 where the declaration's quotes should be: still read in the
    // encoding it names.
    let body = b"<?xml version=\"1.0\" encoding=\xe9iso-8859-1\xe9?><rss><channel><title>caf\xe9 & co</title></channel></rss>";
    let r = repair_xml(body).expect("the bare ampersand is repaired");
    let text = String::from_utf8(r.body).unwrap();
    assert!(text.contains("<title>café &amp; co</title>"), "{text}");
}

#[test]
fn ampersands_in_cdata_and_comments_are_left_alone() {
    let xml = "<rss><!-- a & b --><channel><title><![CDATA[a & b]]></title></channel></rss>";
    assert_eq!(repair_xml(xml.as_bytes()), None);
}

#[test]
fn control_characters_are_removed_raw_and_as_references() {
    let (body, fixes) = repaired(
        "<rss><channel><title>a\u{1}b\u{b}c&#0;d&#x1F;e&#9;<![CDATA[f\u{0}]]></title></channel></rss>",
    );
    assert_eq!(
        body,
        "<rss><channel><title>abcde&#9;<![CDATA[f]]></title></channel></rss>"
    );
    assert_eq!(fixes, ["invalid control characters removed"]);
    let (body, fixes) = repaired("<rss><channel><title>&#X41;&#x42;</title></channel></rss>");
    assert_eq!(
        body,
        "<rss><channel><title>&#x41;&#x42;</title></channel></rss>"
    );
    assert_eq!(fixes, ["malformed character references repaired"]);
}

#[test]
fn a_bare_less_than_is_escaped() {
    let (body, fixes) = repaired("<rss><channel><title>1 < 2 <3</title></channel></rss>");
    assert_eq!(
        body,
        "<rss><channel><title>1 &lt; 2 &lt;3</title></channel></rss>"
    );
    assert_eq!(fixes, ["bare < characters escaped"]);
}

#[test]
fn misspelt_and_unclosed_end_tags_are_repaired() {
    let (body, fixes) = repaired(
        "<rss><channel><language>en</langauge><item><description>a<br>b</description></item></p></channel></rss>",
    );
    assert_eq!(
        body,
        "<rss><channel><language>en</language><item><description>a<br>b</br></description></item></channel></rss>"
    );
    assert_eq!(fixes, ["mismatched end tags repaired"]);
}

#[test]
fn near_misses() {
    assert!(near_miss("language", "langauge"));
    assert!(near_miss("pubDate", "pubdate"));
    assert!(near_miss("channel", "chanel"));
    assert!(!near_miss("channel", "p"));
    assert!(!near_miss("item", "link"));
}

#[test]
fn a_cut_off_document_keeps_its_complete_entries() {
    let (body, fixes) = repaired(
        "<rss><channel><title>t</title><item><title>a</title></item><item><title>b</title></item><item><title>c</ti",
    );
    assert_eq!(
        body,
        "<rss><channel><title>t</title><item><title>a</title></item><item><title>b</title></item></channel></rss>"
    );
    assert_eq!(fixes, ["cut-off document: kept the 2 complete entries"]);
    // Cut inside CDATA, before any entry is complete: nothing worth recovering.
    assert_eq!(
        repair_xml(b"<rss><channel><title>t</title><item><title><![CD"),
        None
    );
    // Only the closing tags are missing.
    let (body, fixes) = repaired("<feed><entry><title>a</title></entry>\n</fe");
    assert_eq!(body, "<feed><entry><title>a</title></entry>\n</feed>");
    assert_eq!(fixes, ["cut-off document: kept the 1 complete entry"]);
    // A feed without entries that lost only its last end tags is recovered...
    let (body, fixes) = repaired("<rss><channel><title>t</title></channel>\n</rss");
    assert_eq!(body, "<rss><channel><title>t</title></channel>\n</rss>");
    assert_eq!(fixes, ["cut-off document: kept the 0 complete entries"]);
    // ...one cut before any of its content ended is not.
    assert_eq!(
        repair_xml(b"<rss><channel><title>t</title><description>d"),
        None
    );
    // Unreadable from some point on: the complete entries before it are kept.
    let (body, fixes) = repaired(
        "<rss><channel><item><title>a</title></item><item><title>b</title><!X></item></channel></rss>",
    );
    assert_eq!(
        body,
        "<rss><channel><item><title>a</title></item></channel></rss>"
    );
    assert_eq!(
        fixes,
        ["unreadable XML from about byte 65 on: kept the 1 complete entry before it"]
    );
}

#[test]
fn atom_text_constructs_of_other_types_are_retyped_decoded_or_skipped() {
    let (body, fixes) = repaired(concat!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text/plain">t</title>"#,
        r#"<subtitle type="application/x-custom">not base64!</subtitle>"#,
        r#"<entry><title type="application/octet-stream">aGVsbG8gJiDDqQ==</title>"#,
        r#"<summary type="application/xhtml+xml"><div>s</div></summary>"#,
        r#"<rights type="image/png" /></entry><entry><title type="">evil</title></entry></feed>"#
    ));
    assert_eq!(
        body,
        concat!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">t</title>"#,
            r#"<entry><title type="text">hello &amp; &#233;</title>"#,
            r#"<summary type="xhtml"><div>s</div></summary>"#,
            r#"</entry><entry><title type="text">evil</title></entry></feed>"#
        )
    );
    assert_eq!(
        fixes,
        [
            "atom text construct of type text/plain read as text",
            "atom text construct of type application/x-custom skipped",
            "atom text construct of type application/octet-stream decoded",
            "atom text construct of type application/xhtml+xml read as xhtml",
            "atom text construct of type image/png skipped",
            r#"atom text construct of type "" read as text"#,
        ]
    );
}

#[test]
fn rss_titles_with_a_type_are_not_atom_text_constructs() {
    let xml = r#"<rss><channel><item><title type="application/x-custom">t</title></item></channel></rss>"#;
    assert_eq!(repair_xml(xml.as_bytes()), None);
}

#[test]
fn base64() {
    assert_eq!(decode_base64(b"aGVsbG8=").as_deref(), Some(&b"hello"[..]));
    assert_eq!(decode_base64(b"aGVs\nbG8").as_deref(), Some(&b"hello"[..]));
    assert_eq!(decode_base64(b"not base64!"), None);
    assert_eq!(decode_base64(b""), None);
    assert_eq!(decode_base64(b"a"), None);
}

#[test]
fn a_well_formed_document_needs_no_repair() {
    let xml = "<?xml version=\"1.0\"?><!DOCTYPE rss><rss version=\"2.0\"><channel><title>a &amp; b</title><item><title>x</title><br/></item></channel></rss>";
    assert_eq!(repair_xml(xml.as_bytes()), None);
}

#[test]
fn a_document_needing_too_many_tag_repairs_is_left_alone() {
    let xml = format!(
        "<rss><channel>{}</channel></rss>",
        "</x>".repeat(MAX_TAG_REPAIRS + 1)
    );
    assert_eq!(repair_xml(xml.as_bytes()), None);
}

fn repaired_json(json: &[u8]) -> (serde_json::Value, Vec<String>) {
    let r = repair_json(json).expect("something to repair");
    (
        serde_json::from_slice(&r.body).unwrap(),
        r.fixes.iter().map(ToString::to_string).collect(),
    )
}

#[test]
fn json_feed_version_tags_and_types() {
    let (doc, fixes) = repaired_json(
        br#"{"version":"http://jsonfeed.org/version/1","title":"t","items":[{"id":7,"tags":"sre","author":"Dana"}]}"#,
    );
    assert_eq!(doc["version"], JSON_FEED_VERSION);
    assert_eq!(doc["items"][0]["id"], "7");
    assert_eq!(doc["items"][0]["tags"], serde_json::json!(["sre"]));
    assert_eq!(doc["items"][0]["author"]["name"], "Dana");
    assert_eq!(
        fixes,
        [
            "JSON Feed version missing or misspelt, read as 1.1",
            "JSON Feed tags given as a string read as one tag",
            "mistyped or missing JSON Feed fields fixed",
        ]
    );
    let (doc, fixes) = repaired_json(br#"{"title":"t","items":[]}"#);
    assert_eq!(doc["version"], JSON_FEED_VERSION);
    assert_eq!(
        fixes,
        ["JSON Feed version missing or misspelt, read as 1.1"]
    );
}

#[test]
fn json_invalid_utf8_is_replaced() {
    let (doc, fixes) = repaired_json(
        b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"caf\xc3\xa9 \xff\",\"items\":[]}",
    );
    assert_eq!(doc["title"], "caf\u{e9} \u{fffd}");
    assert_eq!(fixes, ["invalid UTF-8 bytes replaced"]);
}

#[test]
fn a_valid_json_feed_needs_no_repair() {
    let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","tags":["a"]}]}"#;
    assert_eq!(repair_json(json), None);
}
