//! Escapers: every string from a feed goes through one of these before it reaches a
//! format that could interpret it (markdown, HTML). Only http(s) URLs become links.

use crate::ingest::normalize::is_bidi_override;

/// Backslash-escapes markdown punctuation and drops control characters, so feed text
/// can neither format nor inject HTML into a rendered draft.
pub fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '!' | '~'
        ) {
            out.push('\\');
            out.push(c);
        } else if c == '\n' || c == '\r' || c == '\t' {
            out.push(' ');
        } else if !c.is_control() && !is_bidi_override(c) {
            out.push(c);
        }
    }
    out
}

/// `[title](url)`, or the bare escaped title when there is no link.
pub fn md_link(title: &str, url: Option<&str>) -> String {
    match url {
        Some(url) => {
            let target: String = url
                .chars()
                .map(|c| match c {
                    '(' => "%28".into(),
                    ')' => "%29".into(),
                    ' ' => "%20".into(),
                    '<' => "%3C".into(),
                    '>' => "%3E".into(),
                    c => c.to_string(),
                })
                .collect();
            format!("[{}]({target})", md_escape(title))
        }
        None => md_escape(title),
    }
}

/// `text` safe in HTML text and in quoted attribute values: the five special
/// characters escaped, control characters other than line breaks dropped.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c if is_bidi_override(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// The URL when it may be rendered as a link: http(s) only, never `javascript:` or
/// `data:`.
pub fn http_url(url: Option<&str>) -> Option<&str> {
    url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

/// A title, escaped, as a link when its URL is http(s).
pub fn html_title_link(title: &str, url: Option<&str>) -> String {
    title_link(title, url, "")
}

/// [`html_title_link`] opening in a new tab: the review page's links, so the queue stays
/// where the editor left it.
pub fn html_title_link_new_tab(title: &str, url: Option<&str>) -> String {
    title_link(title, url, " target=\"_blank\"")
}

fn title_link(title: &str, url: Option<&str>, attributes: &str) -> String {
    let title = html_escape(title);
    match http_url(url) {
        Some(url) => format!(
            "<a href=\"{}\"{attributes} rel=\"noopener noreferrer\">{title}</a>",
            html_escape(url)
        ),
        None => title,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_never_reach_a_page_or_a_draft() {
        let title = "Invoice \u{202e}fdp.exe\u{2066} outage";
        assert_eq!(html_escape(title), "Invoice fdp.exe outage");
        assert_eq!(md_escape(title), "Invoice fdp.exe outage");
    }

    #[test]
    fn html_escaping_covers_attributes_and_text() {
        assert_eq!(
            html_escape("<a href=\"x\" onclick='y'>&"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;"
        );
    }
}
