//! `feeds.toml` open for editing: add and remove `[[feed]]`s keeping the file's comments
//! and layout, refusing duplicates by name and by canonical URL.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use super::{NewFeed, Refusal, SubscriptionError};
use crate::config::Config;
use crate::ingest::normalize::canonical_url;

/// `feeds.toml` open for editing, locked against other editors (other `gleaner add`,
/// `remove` or `import` processes) from the read to the write: without the lock, two
/// edits read the same file and the second write loses the first's change.
pub struct FeedsFile {
    /// Held until dropped: an exclusive lock on `.<name>.lock` beside the file (not
    /// the file itself, which every save replaces with a new one).
    _lock: std::fs::File,
    path: PathBuf,
    doc: DocumentMut,
    names: HashSet<String>,
    /// Canonical URL → feed name.
    urls: std::collections::HashMap<String, String>,
}

impl FeedsFile {
    pub fn open(path: &Path) -> Result<FeedsFile, SubscriptionError> {
        let lock = lock_beside(path).map_err(|source| SubscriptionError::Read {
            path: path.to_path_buf(),
            cause: source,
        })?;
        let text = std::fs::read_to_string(path).map_err(|source| SubscriptionError::Read {
            path: path.to_path_buf(),
            cause: source,
        })?;
        let doc: DocumentMut =
            text.parse()
                .map_err(|e: toml_edit::TomlError| SubscriptionError::Toml {
                    path: path.to_path_buf(),
                    message: e.message().to_owned(),
                })?;
        let mut file = FeedsFile {
            _lock: lock,
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
        if let Some(page) = &feed.page {
            table["kind"] = value("page");
            if let Some(links) = &page.links {
                table["links"] = value(links.as_str());
            }
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
        crate::files::write_atomically(&self.path, text.as_bytes()).map_err(|source| {
            SubscriptionError::Write {
                path: self.path.clone(),
                cause: source,
            }
        })
    }
}

/// Takes the exclusive lock of the file at `path` (through a symlink, of its target),
/// waiting for another editor to finish.
fn lock_beside(path: &Path) -> std::io::Result<std::fs::File> {
    let target = std::fs::canonicalize(path)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "feeds.toml".into());
    let lock_path = target.with_file_name(format!(".{name}.lock"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path)?;
    lock.lock()?;
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            page: None,
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
            page: None,
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

        // An open file holds the lock until dropped.
        drop(file);
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
