//! Subscriptions: editing `feeds.toml` (add, remove, import) while keeping its
//! comments and layout, and reading and writing OPML.
//!
//! Every edit is validated as a whole config before the file is replaced (written to a
//! temporary file and renamed), so an edit can never leave an invalid or half-written
//! `feeds.toml` behind. Duplicates are refused by name and by canonical URL.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use quick_xml::events::Event;
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use crate::config::Config;
use crate::normalize::canonical_url;

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not valid TOML: {message}; fix it (gleaner check) before editing it with gleaner", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("the edit would make the config invalid: {0}")]
    Invalid(String),
    #[error("not an OPML file: {0}")]
    Opml(String),
}

/// A feed found in an OPML file.
#[derive(Debug, Clone, PartialEq)]
pub struct OpmlFeed {
    pub title: String,
    pub xml_url: String,
    /// Enclosing outlines' names and the `category` attribute.
    pub tags: Vec<String>,
}

/// A new `[[feed]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFeed {
    pub name: String,
    pub url: String,
    pub org: Option<String>,
    pub tags: Vec<String>,
}

/// Why a feed was not added.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    NameTaken(String),
    UrlTaken { url: String, by: String },
    BadUrl(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NameTaken(name) => write!(
                f,
                "a feed named `{name}` is already subscribed; pass --name"
            ),
            Refusal::UrlTaken { url, by } => write!(f, "{url} is already subscribed as `{by}`"),
            Refusal::BadUrl(url) => write!(f, "`{url}` is not an http(s) URL"),
        }
    }
}

/// `feeds.toml` open for editing.
pub struct FeedsFile {
    path: PathBuf,
    doc: DocumentMut,
    names: HashSet<String>,
    /// Canonical URL → feed name.
    urls: std::collections::HashMap<String, String>,
}

impl FeedsFile {
    pub fn open(path: &Path) -> Result<FeedsFile, SubscriptionError> {
        let text = std::fs::read_to_string(path).map_err(|source| SubscriptionError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let doc: DocumentMut =
            text.parse()
                .map_err(|e: toml_edit::TomlError| SubscriptionError::Toml {
                    path: path.to_path_buf(),
                    message: e.message().to_owned(),
                })?;
        let mut file = FeedsFile {
            path: path.to_path_buf(),
            doc,
            names: HashSet::new(),
            urls: Default::default(),
        };
        for table in file.feeds().iter() {
            let name = table
                .get("name")
                .and_then(Item::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(url) = table
                .get("url")
                .and_then(Item::as_str)
                .and_then(canonical_url)
            {
                file.urls.insert(url, name.clone());
            }
            file.names.insert(name);
        }
        Ok(file)
    }

    fn feeds(&self) -> ArrayOfTables {
        self.doc
            .get("feed")
            .and_then(Item::as_array_of_tables)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether a feed with this canonical URL is subscribed, and under which name.
    pub fn subscribed_as(&self, url: &str) -> Option<&str> {
        canonical_url(url)
            .and_then(|u| self.urls.get(&u))
            .map(String::as_str)
    }

    pub fn has_name(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// A free name: `name`, else `name (2)`, `name (3)`…
    pub fn free_name(&self, name: &str) -> String {
        let name = name.trim();
        let name = if name.is_empty() { "feed" } else { name };
        (1..)
            .map(|n| {
                if n == 1 {
                    name.to_owned()
                } else {
                    format!("{name} ({n})")
                }
            })
            .find(|candidate| !self.has_name(candidate))
            .expect("some suffix is free")
    }

    /// Appends a `[[feed]]` after the last one, refusing duplicates.
    pub fn add(&mut self, feed: &NewFeed) -> Result<(), Refusal> {
        let Some(canonical) = canonical_url(&feed.url) else {
            return Err(Refusal::BadUrl(feed.url.clone()));
        };
        if let Some(by) = self.urls.get(&canonical) {
            return Err(Refusal::UrlTaken {
                url: feed.url.clone(),
                by: by.clone(),
            });
        }
        if self.has_name(&feed.name) {
            return Err(Refusal::NameTaken(feed.name.clone()));
        }
        let mut table = Table::new();
        table["name"] = value(feed.name.as_str());
        table["url"] = value(feed.url.as_str());
        if let Some(org) = &feed.org {
            table["org"] = value(org.as_str());
        }
        if !feed.tags.is_empty() {
            table["tags"] = value(feed.tags.iter().map(String::as_str).collect::<Array>());
        }
        // Right after the last [[feed]], so new feeds stay with the others, above the rules.
        let last = self.feeds().iter().filter_map(Table::position).max();
        if let Some(position) = last {
            table.set_position(Some(position));
        }
        let feeds = self
            .doc
            .entry("feed")
            .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
        if let Some(array) = feeds.as_array_of_tables_mut() {
            array.push(table);
        }
        self.names.insert(feed.name.clone());
        self.urls.insert(canonical, feed.name.clone());
        Ok(())
    }

    /// Removes the `[[feed]]` named `name`; false when there is none.
    pub fn remove(&mut self, name: &str) -> bool {
        let Some(array) = self
            .doc
            .get_mut("feed")
            .and_then(Item::as_array_of_tables_mut)
        else {
            return false;
        };
        let before = array.len();
        array.retain(|t| t.get("name").and_then(Item::as_str) != Some(name));
        let removed = array.len() < before;
        if removed {
            self.names.remove(name);
            self.urls.retain(|_, n| n != name);
        }
        removed
    }

    /// Validates the edited file as a config, then replaces the file atomically.
    pub fn save(&self) -> Result<(), SubscriptionError> {
        let text = self.doc.to_string();
        Config::from_str(&self.path, &text)
            .map_err(|e| SubscriptionError::Invalid(e.to_string()))?;
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(".feeds.toml.tmp");
        let write = |p: &Path| SubscriptionError::Write {
            path: p.to_path_buf(),
            source: std::io::Error::last_os_error(),
        };
        std::fs::write(&tmp, text).map_err(|_| write(&tmp))?;
        std::fs::rename(&tmp, &self.path).map_err(|_| write(&self.path))
    }
}

/// Paths tried, in order, when a page links no feed.
pub const COMMON_FEED_PATHS: &[&str] = &[
    "/feed",
    "/feed.xml",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/blog/feed",
    "/blog/rss.xml",
];

/// A feed found for a URL the user gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovered {
    pub url: String,
    pub title: Option<String>,
}

enum Attempt {
    Feed(Discovered),
    /// An HTML page, with the feeds it links.
    Page(Vec<String>),
    NotFeed,
    Unreachable(String),
}

/// Finds the feed for `url`: the URL itself if it is a feed; else the feeds its page
/// links with `<link rel="alternate">`; else the first of [`COMMON_FEED_PATHS`] on its
/// host that is a feed.
pub async fn discover(fetcher: &crate::fetch::Fetcher, url: &str) -> Result<Discovered, String> {
    let mut candidates = match attempt(fetcher, url).await {
        Attempt::Feed(found) => return Ok(found),
        Attempt::Unreachable(why) => return Err(format!("cannot fetch {url}: {why}")),
        Attempt::Page(links) => links,
        Attempt::NotFeed => Vec::new(),
    };
    if let Ok(base) = url::Url::parse(url) {
        candidates.extend(
            COMMON_FEED_PATHS
                .iter()
                .filter_map(|p| base.join(p).ok())
                .map(String::from),
        );
    }
    for candidate in candidates {
        if let Attempt::Feed(found) = attempt(fetcher, &candidate).await {
            return Ok(found);
        }
    }
    Err(format!(
        "no feed found for {url}: it is not a feed, its page links none, and none of {} is one; pass the feed's own URL",
        COMMON_FEED_PATHS.join(", ")
    ))
}

async fn attempt(fetcher: &crate::fetch::Fetcher, url: &str) -> Attempt {
    use crate::fetch::FetchOutcome;
    match fetcher
        .fetch(url, &crate::fetch::Validators::default())
        .await
    {
        FetchOutcome::Fetched(f) => {
            match crate::parse::parse_feed(&f.body, f.charset.as_deref(), &f.final_url) {
                Ok(feed) => Attempt::Feed(Discovered {
                    url: f.moved_to.unwrap_or_else(|| url.to_owned()),
                    title: feed
                        .title
                        .map(|t| crate::html::to_text(&t.content, 200))
                        .filter(|t| !t.is_empty()),
                }),
                Err(crate::parse::ParseError::HtmlPage { feeds }) => Attempt::Page(feeds),
                Err(_) => Attempt::NotFeed,
            }
        }
        FetchOutcome::NotModified { .. } => Attempt::NotFeed,
        FetchOutcome::Failed(err) => Attempt::Unreachable(err.message),
    }
}

/// The feeds of an OPML 1.0 or 2.0 document: every outline with an `xmlUrl`, tagged
/// with the names of the outlines it is nested in and its `category` attribute.
pub fn parse_opml(text: &str) -> Result<Vec<OpmlFeed>, SubscriptionError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut feeds = Vec::new();
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
    Ok(feeds)
}

/// The subscriptions as OPML 2.0, each feed's tags as its `category`.
pub fn export_opml(config: &Config) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>gleaner subscriptions</title>\n",
    );
    out.push_str(&format!(
        "    <dateCreated>{}</dateCreated>\n  </head>\n  <body>\n",
        chrono::Utc::now().to_rfc2822()
    ));
    for feed in &config.feeds {
        let name = xml_attr(&feed.name);
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{name}\" title=\"{name}\" xmlUrl=\"{}\"",
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
        let feeds = parse_opml(&exported).unwrap();
        assert_eq!(feeds.len(), 1);
        assert_eq!(feeds[0].title, "Ops & <Reliability> \"Weekly\" it's");
        assert_eq!(feeds[0].xml_url, "https://ops.example/feed?a=1&b=2");
        assert_eq!(feeds[0].tags, ["sre", "db's"]);
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
        let feeds = parse_opml(opml).unwrap();
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
        assert!(parse_opml("<rss/>").is_err());
    }

    #[test]
    fn edits_keep_comments_refuse_duplicates_and_stay_valid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feeds.toml");
        let original = "# my list\n[settings]\ntimezone = \"UTC\" # keep me\n\n[[feed]]\nname = \"A\" # first\nurl = \"https://a.example/feed\"\n\n# rules below\n[[rule]]\nname = \"r\"\npattern = 'x'\nweight = 1.0\n";
        std::fs::write(&path, original).unwrap();
        let mut file = FeedsFile::open(&path).unwrap();
        let b = NewFeed {
            name: "B".into(),
            url: "https://b.example/feed".into(),
            org: Some("B Inc".into()),
            tags: vec!["x".into()],
        };
        file.add(&b).unwrap();
        assert_eq!(
            file.add(&b),
            Err(Refusal::UrlTaken {
                url: b.url.clone(),
                by: "B".into()
            })
        );
        let same_name = NewFeed {
            url: "https://other.example/".into(),
            ..b.clone()
        };
        assert_eq!(file.add(&same_name), Err(Refusal::NameTaken("B".into())));
        let tracking = NewFeed {
            name: "A2".into(),
            url: "https://A.example/feed?utm_source=x".into(),
            org: None,
            tags: vec![],
        };
        assert!(matches!(file.add(&tracking), Err(Refusal::UrlTaken { .. })));
        assert_eq!(file.free_name("A"), "A (2)");
        file.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for kept in [
            "# my list",
            "# keep me",
            "name = \"A\" # first",
            "# rules below",
        ] {
            assert!(text.contains(kept), "{kept} lost:\n{text}");
        }
        assert!(
            text.find("name = \"B\"").unwrap() < text.find("[[rule]]").unwrap(),
            "new feeds go with the feeds:\n{text}"
        );
        let config = Config::from_str(&path, &text).unwrap();
        assert_eq!(config.feeds.len(), 2);
        assert_eq!(config.feeds[1].org.as_deref(), Some("B Inc"));

        let mut file = FeedsFile::open(&path).unwrap();
        assert!(file.remove("A"));
        assert!(!file.remove("A"));
        file.save().unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(
            config
                .feeds
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["B"]
        );
    }
}
