//! The review page: the week's queue as server-rendered HTML. Pure functions.
//!
//! It works without JavaScript: every decision is a `<form method="post">` carrying
//! the page's CSRF token. With JavaScript, `j`/`k` move the selection and `p`/`x`/`d`
//! pick, reject or defer the selected entry, `u` undoes the latest decision. Every
//! string from a feed goes through [`html_escape`]; only http(s) URLs become links.

use std::fmt::Write as _;

use crate::model::Candidate;
use crate::model::Decision;
use crate::render::draft::{draft_html, draft_markdown};
use crate::render::html_title_link;
use crate::render::{attribution, html_escape};
use crate::review::{DraftItem, QueueItem};
use crate::week::IsoWeek;

/// What every page needs besides its content.
pub struct PageAuth<'a> {
    /// The per-daemon token forms must echo back.
    pub csrf: &'a str,
    /// `token=…` when the server is guarded by `[server] token`, else empty.
    pub access: &'a str,
}

impl PageAuth<'_> {
    /// `path?query` with the access token appended when there is one.
    fn href(&self, path: &str, query: &str) -> String {
        let joined: Vec<&str> = [query, self.access]
            .into_iter()
            .filter(|q| !q.is_empty())
            .collect();
        if joined.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", html_escape(&joined.join("&")))
        }
    }
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:56rem;margin:1.5rem auto;padding:0 1rem;color:#222}
nav{display:flex;gap:1rem;align-items:baseline;margin-bottom:1rem}nav h1{font-size:1.3rem;margin:0 auto 0 0}
article.entry{border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;margin:.6rem 0}
article.entry.selected{border-color:#2563eb;box-shadow:0 0 0 2px #bfdbfe}
.meta,.why{color:#555;font-size:.88rem}.excerpt{margin:.3rem 0}.tag{background:#fef3c7;border-radius:3px;padding:0 .3rem;font-size:.8rem}
form{display:inline}.actions{margin-top:.4rem;display:flex;gap:.4rem;flex-wrap:wrap}input[name=note]{width:22rem;max-width:100%}
button{cursor:pointer}kbd{border:1px solid #bbb;border-radius:3px;padding:0 .25rem;font-size:.8rem}textarea{width:100%;height:20rem}";

const SCRIPT: &str = "(function(){var items=[].slice.call(document.querySelectorAll('article.entry'));var i=0;
function sel(n){if(!items.length)return;i=Math.max(0,Math.min(items.length-1,n));items.forEach(function(e){e.classList.remove('selected')});items[i].classList.add('selected');items[i].scrollIntoView({block:'nearest'});}
document.addEventListener('keydown',function(e){if(e.target.matches('input,textarea')||e.ctrlKey||e.metaKey||e.altKey)return;
var act={p:'pick',x:'reject',d:'defer'}[e.key];
if(e.key==='j')sel(i+1);else if(e.key==='k')sel(i-1);
else if(act&&items[i]){var f=items[i].querySelector('form[data-action='+act+']');if(f)f.submit();}
else if(e.key==='u'){var u=document.querySelector('form[data-action=undo]');if(u)u.submit();}});
sel(parseInt(location.hash.slice(1),10)||0);})();";

/// The week's queue, with the week's decisions below it (each with an undo button).
pub fn queue_page(
    week: IsoWeek,
    items: &[QueueItem],
    decided: &[(Candidate, Decision)],
    auth: &PageAuth<'_>,
) -> String {
    let mut out = head(&format!("Queue {week}"));
    nav(&mut out, week, "queue", auth);
    if items.is_empty() {
        out.push_str("<p>Nothing left to review this week.</p>\n");
    }
    for (pos, item) in items.iter().enumerate() {
        entry(&mut out, item, pos, week, auth);
    }
    if !decided.is_empty() {
        out.push_str("<h2>Decided</h2>\n<ul class=\"decided\">\n");
        for (c, d) in decided {
            let _ = writeln!(
                out,
                "<li>{} <strong>{}</strong> {} {}</li>",
                html_escape(&d.state),
                html_escape(&c.title),
                d.note
                    .as_deref()
                    .map(|n| format!("— {}", html_escape(n)))
                    .unwrap_or_default(),
                decision_form(c.id, "undo", "Undo", week, 0, auth, false),
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<p class=\"meta\">Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>p</kbd> pick, <kbd>x</kbd> reject, <kbd>d</kbd> defer, <kbd>u</kbd> undo the latest decision.</p>\n");
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

fn entry(out: &mut String, item: &QueueItem, pos: usize, week: IsoWeek, auth: &PageAuth<'_>) {
    let c = &item.candidate;
    let heading = html_title_link(&c.title, c.url.as_deref());
    let mark = item
        .tag()
        .map(|t| format!(" <span class=\"tag\">{t}</span>"))
        .unwrap_or_default();
    let date = c.published.unwrap_or(c.first_seen).format("%Y-%m-%d");
    let why = crate::score::reasons_line(&c.reasons);
    let mut feed = if c.also_in.is_empty() {
        c.feed.clone()
    } else {
        format!("{} (also in {})", c.feed, c.also_in.join(", "))
    };
    if !c.via.is_empty() {
        feed = format!("{feed} · via {}", c.via.join(", "));
    }
    let discussion: Vec<String> = c
        .discussion
        .iter()
        .map(|url| crate::render::html_title_link(&crate::render::link_host(url), Some(url)))
        .collect();
    let discussion = if discussion.is_empty() {
        String::new()
    } else {
        format!(" · discussion {}", discussion.join(", "))
    };
    let _ = write!(
        out,
        "<article class=\"entry\" id=\"e{id}\" data-id=\"{id}\">\n<h3>{heading}{mark}</h3>\n\
         <div class=\"meta\">{by} · feed {feed}{discussion} · {date} · score {score:.2} · #{id}</div>\n\
         <div class=\"why\">why: {why}</div>\n<p class=\"excerpt\">{excerpt}</p>\n<div class=\"actions\">\n",
        id = c.id,
        by = html_escape(&attribution(c)),
        feed = html_escape(&feed),
        score = c.score,
        why = html_escape(&why),
        excerpt = html_escape(&c.excerpt),
    );
    out.push_str(&decision_form(
        c.id, "pick", "Pick (p)", week, pos, auth, true,
    ));
    out.push_str(&decision_form(
        c.id,
        "reject",
        "Reject (x)",
        week,
        pos,
        auth,
        false,
    ));
    out.push_str(&decision_form(
        c.id,
        "defer",
        "Defer (d)",
        week,
        pos,
        auth,
        false,
    ));
    out.push_str("</div>\n</article>\n");
}

/// A POST form for one decision; `with_note` adds the blurb field.
fn decision_form(
    id: i64,
    action: &str,
    label: &str,
    week: IsoWeek,
    pos: usize,
    auth: &PageAuth<'_>,
    with_note: bool,
) -> String {
    let note = if with_note {
        "<input name=\"note\" placeholder=\"blurb for the draft\" maxlength=\"2000\"> "
    } else {
        ""
    };
    format!(
        "<form method=\"post\" action=\"{action_url}\" data-action=\"{action}\">{note}\
         <input type=\"hidden\" name=\"id\" value=\"{id}\"><input type=\"hidden\" name=\"action\" value=\"{action}\">\
         <input type=\"hidden\" name=\"week\" value=\"{week}\"><input type=\"hidden\" name=\"pos\" value=\"{pos}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button>{label}</button></form>\n",
        action_url = auth.href("/decide", ""),
        csrf = html_escape(auth.csrf),
    )
}

/// The week's draft: the markdown to copy (with a copy button) and a preview.
pub fn draft_page(week: IsoWeek, items: &[DraftItem], auth: &PageAuth<'_>) -> String {
    let mut out = head(&format!("Draft {week}"));
    nav(&mut out, week, "draft", auth);
    let _ = write!(
        out,
        "<p><button id=\"copy\">Copy markdown</button> <span id=\"copied\" class=\"meta\"></span></p>\n\
         <textarea id=\"markdown\" readonly>{}</textarea>\n<h2>Preview</h2>\n{}\n\
         <script>document.getElementById('copy').onclick=function(){{var t=document.getElementById('markdown');t.select();\
         (navigator.clipboard?navigator.clipboard.writeText(t.value):Promise.resolve(document.execCommand('copy')))\
         .then(function(){{document.getElementById('copied').textContent='copied';}});}};</script>\n</body></html>\n",
        html_escape(&draft_markdown(week, items)),
        draft_html(week, items)
    );
    out
}

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>gleaner · {}</title><style>{STYLE}</style></head>\n<body>\n",
        html_escape(title)
    )
}

fn nav(out: &mut String, week: IsoWeek, current: &str, auth: &PageAuth<'_>) {
    let link = |path: &str, w: IsoWeek, text: &str| {
        format!(
            "<a href=\"{}\">{text}</a>",
            auth.href(path, &format!("week={w}"))
        )
    };
    let path = if current == "draft" { "/draft" } else { "/" };
    let _ = writeln!(
        out,
        "<nav><h1>gleaner · {week}</h1>{} {} {} {}</nav>",
        link(path, week.previous(), "← previous week"),
        link(path, week.next(), "next week →"),
        link("/", week, "queue"),
        link("/draft", week, "draft"),
    );
}
