//! JSON Feed: invalid UTF-8 replaced, a missing or `http://` version read as 1.1, fields
//! of the wrong type converted or dropped.

use super::{Fix, Repaired, add};

/// The JSON Feed version feed-rs reads a repaired document as.
pub(super) const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";

/// Repairs a JSON Feed document; `None` when there is nothing this module can repair
/// (including JSON that is not well-formed).
pub fn repair_json(body: &[u8]) -> Option<Repaired> {
    let mut fixes = Vec::new();
    let text = match String::from_utf8_lossy(body) {
        std::borrow::Cow::Borrowed(text) => std::borrow::Cow::Borrowed(text),
        std::borrow::Cow::Owned(text) => {
            fixes.push(Fix::InvalidUtf8);
            std::borrow::Cow::Owned(text)
        }
    };
    let mut doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(doc) => doc,
        Err(_) => {
            return (!fixes.is_empty()).then(|| Repaired {
                body: text.into_owned().into_bytes(),
                fixes,
            });
        }
    };
    drop(text);
    let feed = doc.as_object_mut()?;
    // Only a document with items is taken for a JSON Feed whatever its version says.
    if feed.get("items").is_some_and(serde_json::Value::is_array) {
        let version = feed.get("version").and_then(serde_json::Value::as_str);
        if !version.is_some_and(|v| v.starts_with("https://jsonfeed.org/version/1")) {
            feed.insert("version".into(), JSON_FEED_VERSION.into());
            add(&mut fixes, Fix::JsonVersion);
        }
    }
    let mut typed = false;
    typed |= required_string(feed, "title");
    for key in [
        "version",
        "home_page_url",
        "feed_url",
        "language",
        "description",
        "icon",
        "favicon",
    ] {
        typed |= optional_string(feed, key);
    }
    typed |= authors(feed);
    match feed.get_mut("items") {
        Some(serde_json::Value::Array(items)) => {
            items.retain(serde_json::Value::is_object);
            for item in items
                .iter_mut()
                .filter_map(serde_json::Value::as_object_mut)
            {
                for key in [
                    "id",
                    "url",
                    "external_url",
                    "title",
                    "content_html",
                    "content_text",
                    "summary",
                    "date_published",
                    "date_modified",
                ] {
                    typed |= optional_string(item, key);
                }
                typed |= authors(item);
                if let Some(tags) = item.get_mut("tags") {
                    match tags {
                        serde_json::Value::String(tag) => {
                            *tags = vec![std::mem::take(tag)].into();
                            add(&mut fixes, Fix::JsonTagsString);
                        }
                        serde_json::Value::Array(list) => typed |= strings_only(list),
                        serde_json::Value::Null => {}
                        _ => {
                            item.remove("tags");
                            typed = true;
                        }
                    }
                }
                typed |= attachments(item);
            }
        }
        Some(_) => {
            feed.insert("items".into(), serde_json::Value::Array(Vec::new()));
            typed = true;
        }
        None => {}
    }
    if typed {
        add(&mut fixes, Fix::JsonFieldTypes);
    }
    if fixes.is_empty() {
        return None;
    }
    Some(Repaired {
        body: serde_json::to_vec(&doc).ok()?,
        fixes,
    })
}

pub(super) type JsonObject = serde_json::Map<String, serde_json::Value>;

/// A string field that may be absent: numbers and booleans become their text, other
/// types are dropped. Whether anything changed.
pub(super) fn optional_string(object: &mut JsonObject, key: &str) -> bool {
    match object.get(key) {
        None | Some(serde_json::Value::String(_) | serde_json::Value::Null) => false,
        Some(serde_json::Value::Number(n)) => {
            let text = n.to_string();
            object.insert(key.into(), text.into());
            true
        }
        Some(serde_json::Value::Bool(b)) => {
            let text = b.to_string();
            object.insert(key.into(), text.into());
            true
        }
        Some(_) => {
            object.remove(key);
            true
        }
    }
}

/// A string field feed-rs requires: missing or unusable becomes empty.
pub(super) fn required_string(object: &mut JsonObject, key: &str) -> bool {
    let changed = optional_string(object, key);
    match object.get(key) {
        Some(serde_json::Value::String(_)) => changed,
        _ => {
            object.insert(key.into(), String::new().into());
            true
        }
    }
}

/// Keeps the strings of a list (numbers as their text).
pub(super) fn strings_only(list: &mut Vec<serde_json::Value>) -> bool {
    let before = list.len();
    let mut changed = false;
    list.retain_mut(|v| match v {
        serde_json::Value::String(_) => true,
        serde_json::Value::Number(n) => {
            *v = n.to_string().into();
            changed = true;
            true
        }
        _ => false,
    });
    changed || list.len() != before
}

/// `author` (an object) and `authors` (a list of them); a bare name string is an
/// author with that name.
pub(super) fn authors(object: &mut JsonObject) -> bool {
    let mut changed = false;
    let fix_author = |v: &mut serde_json::Value, changed: &mut bool| -> bool {
        if let serde_json::Value::String(name) = v {
            *v = serde_json::json!({ "name": std::mem::take(name) });
            *changed = true;
        }
        match v.as_object_mut() {
            Some(author) => {
                *changed |= optional_string(author, "name");
                *changed |= optional_string(author, "url");
                true
            }
            None => {
                *changed = true;
                false
            }
        }
    };
    if let Some(author) = object.get_mut("author")
        && !author.is_null()
        && !fix_author(author, &mut changed)
    {
        object.remove("author");
    }
    match object.get_mut("authors") {
        Some(serde_json::Value::Array(list)) => {
            list.retain_mut(|a| fix_author(a, &mut changed));
        }
        None | Some(serde_json::Value::Null) => {}
        Some(other) => {
            let mut one = std::mem::take(other);
            let keep = fix_author(&mut one, &mut changed);
            changed = true;
            if keep {
                object.insert("authors".into(), vec![one].into());
            } else {
                object.remove("authors");
            }
        }
    }
    changed
}

/// Attachments feed-rs can read: each with a string `url` and `mime_type`.
pub(super) fn attachments(item: &mut JsonObject) -> bool {
    match item.get_mut("attachments") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Array(list)) => {
            let before = list.len();
            let mut changed = false;
            list.retain_mut(|a| {
                let Some(a) = a.as_object_mut() else {
                    return false;
                };
                let usable = ["url", "mime_type"]
                    .iter()
                    .all(|k| a.get(*k).is_some_and(serde_json::Value::is_string));
                changed |= optional_string(a, "title");
                if a.get("size_in_bytes")
                    .is_some_and(|s| !s.is_u64() && !s.is_null())
                {
                    a.remove("size_in_bytes");
                    changed = true;
                }
                usable
            });
            changed || list.len() != before
        }
        Some(_) => {
            item.remove("attachments");
            true
        }
    }
}
