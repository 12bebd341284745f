//! The draft page: the week's picks in the draft's order, each with its blurb (edited
//! in place) and Up/Down to reorder; a warning while a pick has no blurb; the draft as
//! markdown and as HTML, each with a copy button.

use std::fmt::Write as _;

use super::queue::card_url;
use super::{PageAuth, foot, head, hidden, nav};
use crate::render::draft::{draft_html, draft_markdown, item_credit, missing_blurbs};
use crate::render::{html_escape, html_title_link_new_tab};
use crate::review::DraftItem;
use crate::week::IsoWeek;

/// The week's draft page.
pub fn draft_page(week: IsoWeek, items: &[DraftItem], auth: &PageAuth<'_>) -> String {
    let mut out = head(&format!("Draft {week}"));
    nav(&mut out, week, "draft", items.len());
    let missing = missing_blurbs(items);
    if !missing.is_empty() {
        let titles: Vec<String> = missing
            .iter()
            .map(|i| {
                format!(
                    "<a href=\"#d{}\">{}</a>",
                    i.candidate.id,
                    html_escape(&i.candidate.title)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"warning\" id=\"todo\" role=\"status\">{} of {} picks have no blurb yet: {}. \
             Until each has one, <code>gleaner draft</code> exits with status 3 (unless <code>--allow-todo</code>).</p>",
            missing.len(),
            items.len(),
            titles.join(", ")
        );
    }
    if items.is_empty() {
        out.push_str("<p class=\"empty\">Nothing picked yet.</p>\n");
    }
    let week_s = week.to_string();
    out.push_str("<ol class=\"picks\">\n");
    for (pos, item) in items.iter().enumerate() {
        let c = &item.candidate;
        let id = c.id.to_string();
        let pos_s = pos.to_string();
        let fields = |extra: &[(&'static str, &str)]| {
            let mut all: Vec<(&str, &str)> = vec![
                ("id", &id),
                ("week", &week_s),
                ("pos", &pos_s),
                ("csrf", auth.csrf),
            ];
            all.extend_from_slice(extra);
            hidden(&all)
        };
        let disabled = |off: bool| if off { " disabled" } else { "" };
        let _ = writeln!(
            out,
            "<li class=\"pick{todo}\" id=\"d{id}\" data-card data-id=\"{id}\" data-pos=\"{pos}\" data-url=\"{url}\">\n\
             <h3>{title}</h3>\n<form method=\"post\" action=\"/note\" class=\"blurb\">{blurb_fields}\
             <label class=\"note\">Blurb <textarea name=\"note\" rows=\"2\" maxlength=\"4000\">{note}</textarea></label>\
             <div class=\"actions\"><button data-primary>Save the blurb</button></div></form>\n\
             <p class=\"attribution\">{credit}</p>\n<div class=\"actions move\">\
             <form method=\"post\" action=\"/move\">{up_fields}<button data-key=\"K\"{up_off}>↑ Up</button></form>\
             <form method=\"post\" action=\"/move\">{down_fields}<button data-key=\"J\"{down_off}>↓ Down</button></form></div>\n</li>",
            todo = if missing.iter().any(|m| m.candidate.id == c.id) {
                " todo"
            } else {
                ""
            },
            url = html_escape(card_url(c)),
            title = html_title_link_new_tab(&c.title, c.url.as_deref()),
            blurb_fields = fields(&[("back", "draft")]),
            note = html_escape(item.note.as_deref().unwrap_or("")),
            credit = html_escape(&item_credit(item)),
            up_fields = fields(&[("dir", "up")]),
            down_fields = fields(&[("dir", "down")]),
            up_off = disabled(pos == 0),
            down_off = disabled(pos + 1 == items.len()),
        );
    }
    out.push_str("</ol>\n");
    let _ = writeln!(
        out,
        "<p class=\"copy\"><button type=\"button\" id=\"copy-md\">Copy markdown</button> \
         <button type=\"button\" id=\"copy-html\">Copy HTML</button> <span id=\"copy-status\" role=\"status\"></span></p>\n\
         <h2>Markdown</h2>\n<textarea id=\"markdown\" readonly rows=\"14\">{}</textarea>\n\
         <details><summary>HTML</summary><textarea id=\"draft-html\" readonly rows=\"14\">{}</textarea></details>\n\
         <details id=\"keys\" class=\"keys\"><summary>Keys <kbd>?</kbd></summary><p><kbd>j</kbd>/<kbd>k</kbd> next/previous · \
         <kbd>K</kbd>/<kbd>J</kbd> move the pick up/down · <kbd>b</kbd> or <kbd>Enter</kbd> edit the blurb \
         (<kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd> saves it) · <kbd>o</kbd> open the article · <kbd>?</kbd> these keys</p></details>",
        html_escape(&draft_markdown(week, items)),
        html_escape(&draft_html(week, items)),
    );
    foot(&mut out);
    out
}
