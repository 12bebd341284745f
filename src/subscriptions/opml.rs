//! OPML: reading a reader's subscriptions (nested outlines become tags) and writing the
//! configured feeds as OPML 2.0.

use quick_xml::events::Event;

use super::SubscriptionError;
use crate::config::Config;

/// A feed found in an OPML file.
#[derive(Debug, Clone, PartialEq)]
pub struct OpmlFeed {
    pub title: String,
    pub xml_url: String,
    /// Enclosing outlines' names and the `category` attribute.
    pub tags: Vec<String>,
}

/// What an OPML document lists.
#[derive(Debug, Default)]
pub struct Opml {
    pub feeds: Vec<OpmlFeed>,
    /// The `url` of each `type="link"` outline: a page, not a feed (gleaner exports its
    /// watched pages so).
    pub links: Vec<String>,
}

/// What an OPML 1.0 or 2.0 document lists: every outline with an `xmlUrl` as a feed,
/// tagged with the names of the outlines it is nested in and its `category` attribute;
/// and the `url` of every link outline.
pub fn read_opml(text: &str) -> Result<Opml, SubscriptionError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut feeds = Vec::new();
    let mut links = Vec::new();
    // Names of the open category outlines (None for an open feed outline).
    let mut open: Vec<Option<String>> = Vec::new();
    let mut saw_opml = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.name().as_ref() == "opml" => {
                saw_opml = true
            }
            Ok(ev @ (Event::Start(_) | Event::Empty(_))) => {
                let (is_start, e) = match &ev {
                    Event::Start(e) => (true, e),
                    Event::Empty(e) => (false, e),
                    _ => unreachable!(),
                };
                if e.name().as_ref() != "outline" {
                    continue;
                }
                let attr = |name: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref().eq_ignore_ascii_case(name))
                        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
                        .map(|v| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                };
                let title = attr("title").or_else(|| attr("text"));
                match attr("xmlUrl") {
                    Some(xml_url) => {
                        let mut tags: Vec<String> = open.iter().flatten().cloned().collect();
                        for category in attr("category").iter().flat_map(|c| c.split(',')) {
                            let category = category.trim().trim_matches('/');
                            if !category.is_empty() && !tags.iter().any(|t| t == category) {
                                tags.push(category.to_owned());
                            }
                        }
                        feeds.push(OpmlFeed {
                            title: title.unwrap_or_else(|| xml_url.clone()),
                            xml_url,
                            tags,
                        });
                        if is_start {
                            open.push(None);
                        }
                    }
                    None if attr("type").is_some_and(|t| t.eq_ignore_ascii_case("link")) => {
                        links.extend(attr("url"));
                        if is_start {
                            open.push(None);
                        }
                    }
                    None if is_start => open.push(title),
                    None => {}
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == "outline" => {
                open.pop();
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => {
                return Err(SubscriptionError::Opml(format!(
                    "at byte {}: {err}",
                    reader.buffer_position()
                )));
            }
        }
    }
    if !saw_opml {
        return Err(SubscriptionError::Opml("no <opml> element".into()));
    }
    Ok(Opml { feeds, links })
}

/// The subscriptions as OPML 2.0, each feed's tags as its `category`. A `kind = "page"`
/// feed is no feed another reader could poll: it is an outline of OPML's `link` type,
/// its page as the `url` (readers, gleaner's import too, skip those).
pub fn export_opml(config: &Config) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>gleaner subscriptions</title>\n",
    );
    out.push_str(&format!(
        "    <dateCreated>{}</dateCreated>\n  </head>\n  <body>\n",
        crate::clock::now().to_rfc2822()
    ));
    for feed in &config.feeds {
        let name = xml_attr(&feed.name);
        let (kind, url_attribute) = match feed.kind {
            Some(crate::config::FeedKind::Page) => ("link", "url"),
            _ => ("rss", "xmlUrl"),
        };
        out.push_str(&format!(
            "    <outline type=\"{kind}\" text=\"{name}\" title=\"{name}\" {url_attribute}=\"{}\"",
            xml_attr(feed.url.as_str())
        ));
        if !feed.tags.is_empty() {
            out.push_str(&format!(" category=\"{}\"", xml_attr(&feed.tags.join(","))));
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

/// `text` as an XML attribute value: escaped as HTML is (valid XML too), with line
/// breaks as spaces (what an XML parser reads them as).
fn xml_attr(text: &str) -> String {
    crate::render::html_escape(&text.replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn exported_names_and_tags_read_back_as_written() {
        let toml = r#"
[[feed]]
name = "Ops & <Reliability> \"Weekly\" it's"
url = "https://ops.example/feed?a=1&b=2"
tags = ["sre", "db's"]
"#;
        let config = Config::from_str(Path::new("feeds.toml"), toml).unwrap();
        let exported = export_opml(&config);
        assert!(!exported.contains("<Reliability>"), "{exported}");
        let feeds = read_opml(&exported).unwrap().feeds;
        assert_eq!(feeds.len(), 1);
        assert_eq!(feeds[0].title, "Ops & <Reliability> \"Weekly\" it's");
        assert_eq!(feeds[0].xml_url, "https://ops.example/feed?a=1&b=2");
        assert_eq!(feeds[0].tags, ["sre", "db's"]);
    }

    #[test]
    fn a_watched_page_is_exported_as_a_link_not_a_feed() {
        let toml = r#"
[[feed]]
name = "Blog"
url = "https://blog.example/feed"

[[feed]]
name = "Drills"
url = "https://drills.example/articles"
kind = "page"
"#;
        let config = Config::from_str(Path::new("feeds.toml"), toml).unwrap();
        let exported = export_opml(&config);
        assert!(
            exported.contains(
                r#"type="link" text="Drills" title="Drills" url="https://drills.example/articles""#
            ),
            "{exported}"
        );
        let opml = read_opml(&exported).unwrap();
        let urls: Vec<&str> = opml.feeds.iter().map(|f| f.xml_url.as_str()).collect();
        assert_eq!(urls, ["https://blog.example/feed"]);
        assert_eq!(opml.links, ["https://drills.example/articles"]);
    }

    #[test]
    fn nested_outlines_become_tags() {
        let opml = r#"<?xml version="1.0"?><opml version="1.0"><body>
            <outline text="SRE"><outline text="Vendors">
              <outline type="rss" text="A &amp; B" xmlUrl="https://a.example/feed" category="/ops,db"/>
            </outline></outline>
            <outline type="rss" title="C" text="ignored" xmlUrl="https://c.example/rss"/>
            <outline text="empty folder"/>
          </body></opml>"#;
        let feeds = read_opml(opml).unwrap().feeds;
        assert_eq!(
            feeds,
            vec![
                OpmlFeed {
                    title: "A & B".into(),
                    xml_url: "https://a.example/feed".into(),
                    tags: vec!["SRE".into(), "Vendors".into(), "ops".into(), "db".into()]
                },
                OpmlFeed {
                    title: "C".into(),
                    xml_url: "https://c.example/rss".into(),
                    tags: vec![]
                },
            ]
        );
        assert!(read_opml("<rss/>").is_err());
    }
}
