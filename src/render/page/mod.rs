//! The review page: the week's queue and the draft as server-rendered HTML. Pure
//! functions.
//!
//! Every decision is a `<form method="post">` carrying the page's form token, so the
//! page works without JavaScript. With it ([`SCRIPT`], served as `/static/page.js`), keys
//! drive the page (`?` lists them). The page has no inline script or style: both are
//! served from `/static/`, so the server's Content-Security-Policy can allow only those.
//! Every string from a feed goes through [`html_escape`]; only http(s) URLs become
//! links, and those open in a new tab without a referrer.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | what every page shares: head, navigation, the assets and their version |
//! | [`queue`] | the queue: the week's counts, filters, the cards, the decided list; the batch-reject confirmation |
//! | [`draft`] | the draft: picks in order with their blurbs, reorder, copy as markdown or HTML |
//! | `page.js`, `page.css` | the script and the style sheet |

pub mod draft;
pub mod queue;

use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::render::html_escape;
use crate::week::IsoWeek;

pub use draft::draft_page;
pub use queue::{QueuePage, confirm_reject_page, queue_page};

/// The page's script.
pub const SCRIPT: &str = include_str!("page.js");
/// The page's style sheet (light and dark, phone widths included).
pub const STYLE: &str = include_str!("page.css");

/// A short hash of the script and style, put in their URLs so a browser never runs a
/// cached old script against a new page.
pub fn asset_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest([SCRIPT, STYLE].concat().as_bytes());
        crate::model::hex(&digest[..6])
    })
}

/// What every page needs besides its content.
pub struct PageAuth<'a> {
    /// The token every form echoes back.
    pub csrf: &'a str,
}

/// `path?query`, the query's values percent-encoded and the whole HTML-escaped.
pub fn href(path: &str, query: &[(&str, &str)]) -> String {
    let query: Vec<(&str, &str)> = query
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if query.is_empty() {
        return path.to_owned();
    }
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    html_escape(&format!("{path}?{encoded}"))
}

fn head(title: &str) -> String {
    let v = asset_version();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>gleaner · {}</title><link rel=\"stylesheet\" href=\"/static/page.css?v={v}\">\
         <script src=\"/static/page.js?v={v}\" defer></script></head>\n<body>\n",
        html_escape(title)
    )
}

fn foot(out: &mut String) {
    out.push_str("</body></html>\n");
}

/// The navigation bar: the week, its neighbours, the queue and the draft.
fn nav(out: &mut String, week: IsoWeek, current: &str, picked: usize) {
    let path = if current == "draft" { "/draft" } else { "/" };
    let link = |path: &str, w: IsoWeek, text: &str, here: bool| {
        let mark = if here { " aria-current=\"page\"" } else { "" };
        format!(
            "<a href=\"{}\"{mark}>{text}</a>",
            href(path, &[("week", &w.to_string())])
        )
    };
    let _ = writeln!(
        out,
        "<nav><h1>gleaner · {week}</h1><span class=\"links\">{} {} {} {} <a href=\"/shortlist.atom\">feed</a></span></nav>",
        link(path, week.previous(), "← previous", false),
        link(path, week.next(), "next →", false),
        link("/", week, "queue", current == "queue"),
        link(
            "/draft",
            week,
            &format!("draft ({picked})"),
            current == "draft"
        ),
    );
}

/// The hidden fields every form carries.
fn hidden(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                html_escape(value)
            )
        })
        .collect()
}
