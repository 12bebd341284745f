//! The queue page: the week's counts, the filters, one card per post (a blurb field and
//! Pick, Reject, Defer in one form), the week's decisions with their notes (editable)
//! and undo; and the confirmation page of "reject the rest of this feed".

use std::fmt::Write as _;

use super::{PageAuth, foot, head, hidden, href, nav};
use crate::model::Source;
use crate::model::{Candidate, Decision};
use crate::render::{attribution, html_escape, html_title_link_new_tab};
use crate::review::overview::{Overview, ViewFilter, ViewItem};
use crate::week::IsoWeek;

/// Everything the queue page shows.
pub struct QueuePage<'a> {
    pub overview: &'a Overview,
    /// The posts shown, best first.
    pub items: &'a [ViewItem],
    /// How many posts matched the filter (more than `items` when cut).
    pub matched: usize,
    pub filter: &'a ViewFilter,
    /// The editor's previous visit, which "new" counts from.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub auth: &'a PageAuth<'a>,
    /// Sites to subscribe to (`gleaner sources`), the top few.
    pub sources: &'a [Source],
    /// The configured zone, which the cards' dates are in (as the shortlist's are).
    pub timezone: chrono_tz::Tz,
}

/// The week's queue page.
pub fn queue_page(page: &QueuePage<'_>) -> String {
    let o = page.overview;
    let week = o.week;
    let mut out = head(&format!("Queue {week}"));
    nav(&mut out, week, "queue", o.counts.picked);
    counts(&mut out, page);
    filters(&mut out, page);
    keys(&mut out);
    if page.items.is_empty() {
        let text = if *page.filter == ViewFilter::default() {
            "Nothing left to review this week."
        } else {
            "Nothing matches."
        };
        let _ = writeln!(out, "<p class=\"empty\">{text}</p>");
    }
    if page.matched > page.items.len() {
        let _ = writeln!(
            out,
            "<p class=\"meta\">Showing the best {} of {} (filter to see others).</p>",
            page.items.len(),
            page.matched
        );
    }
    for (pos, item) in page.items.iter().enumerate() {
        let rest = o.left_in(&item.item.candidate.feed);
        card(&mut out, page, item, pos, rest);
    }
    decided(&mut out, week, &o.decided, page.auth);
    suggested_sources(&mut out, page.sources);
    foot(&mut out);
    out
}

fn counts(out: &mut String, page: &QueuePage<'_>) {
    let (c, week) = (&page.overview.counts, page.overview.week.to_string());
    let new = page.overview.new_since(page.since);
    let _ = write!(
        out,
        "<p class=\"counts\" id=\"counts\" data-candidates=\"{}\" data-reviewed=\"{}\" data-picked=\"{}\" \
         data-rejected=\"{}\" data-deferred=\"{}\" data-remaining=\"{}\" data-held-back=\"{}\" \
         data-below-min=\"{}\" data-new=\"{}\"><strong>{} of {} reviewed</strong> · {} picked · {} rejected · \
         {} deferred · <strong>{} remaining</strong>",
        c.candidates,
        c.reviewed,
        c.picked,
        c.rejected,
        c.deferred,
        c.remaining,
        c.held_back,
        c.below_min,
        new,
        c.reviewed,
        c.candidates,
        c.picked,
        c.rejected,
        c.deferred,
        c.remaining,
    );
    if c.held_back > 0 {
        let _ = write!(out, " · {} held back", c.held_back);
    }
    let _ = write!(out, " · {} below min_score", c.below_min);
    if page.filter.all {
        let _ = write!(
            out,
            " · <a href=\"{}\">the queue only</a>",
            href("/", &[("week", &week)])
        );
    } else if c.held_back + c.below_min > 0 {
        let _ = write!(
            out,
            " · <a href=\"{}\" id=\"show-all\">show them all</a>",
            href("/", &[("week", &week), ("all", "1")])
        );
    }
    if new > 0 {
        let _ = write!(
            out,
            " · <span class=\"tag new\">{new} new since your last visit</span>"
        );
    }
    out.push_str("</p>\n");
}

fn filters(out: &mut String, page: &QueuePage<'_>) {
    let f = page.filter;
    let _ = write!(
        out,
        "<form class=\"filter\" method=\"get\" action=\"/\" role=\"search\">{}\
         <input type=\"search\" name=\"q\" id=\"filter-words\" value=\"{}\" placeholder=\"filter by words (/)\" aria-label=\"filter by words\">\
         <select name=\"feed\" aria-label=\"feed\"><option value=\"\">every feed</option>",
        hidden(&[("week", &page.overview.week.to_string())]),
        html_escape(f.words.as_deref().unwrap_or("")),
    );
    for (feed, n) in &page.overview.feeds {
        let selected = if f.feed.as_deref() == Some(feed.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<option value=\"{0}\"{selected}>{0} ({n})</option>",
            html_escape(feed)
        );
    }
    let checked = if f.all { " checked" } else { "" };
    let _ = writeln!(
        out,
        "</select><label><input type=\"checkbox\" name=\"all\" value=\"1\"{checked}> held back and below min_score too</label> <button>Filter</button></form>"
    );
}

fn keys(out: &mut String) {
    out.push_str(
        "<details id=\"keys\" class=\"keys\"><summary>Keys <kbd>?</kbd></summary><p>\
         <kbd>j</kbd>/<kbd>k</kbd> next/previous · <kbd>p</kbd> pick · <kbd>x</kbd> reject · <kbd>d</kbd> defer · \
         <kbd>b</kbd> or <kbd>Enter</kbd> write the blurb (<kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd> picks with it, \
         <kbd>Esc</kbd> leaves it) · <kbd>o</kbd> or <kbd>v</kbd> open the article in a new tab · <kbd>e</kbd> the full text · \
         <kbd>/</kbd> filter by words · <kbd>u</kbd> undo the latest decision · <kbd>?</kbd> these keys</p></details>\n",
    );
}

/// The day a card shows: published, else first seen, in the configured zone.
fn card_date(c: &Candidate, timezone: chrono_tz::Tz) -> String {
    let at = c.published.unwrap_or(c.first_seen);
    at.with_timezone(&timezone).format("%Y-%m-%d").to_string()
}

/// The URL a card opens with `o`, when it is http(s).
pub(super) fn card_url(c: &Candidate) -> &str {
    crate::render::http_url(c.url.as_deref()).unwrap_or("")
}

fn card(out: &mut String, page: &QueuePage<'_>, view: &ViewItem, pos: usize, rest: usize) {
    let (c, week) = (&view.item.candidate, page.overview.week.to_string());
    let mut tags = String::new();
    if let Some(tag) = view.item.tag() {
        let _ = write!(tags, " <span class=\"tag\">{tag}</span>");
    }
    if view.new {
        tags.push_str(" <span class=\"tag new\">new</span>");
    }
    let reason = view.standing.reason(&page.overview.thresholds);
    let class = match (reason.is_some(), view.new) {
        (true, _) => "entry held",
        (false, true) => "entry new",
        (false, false) => "entry",
    };
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
        "<article class=\"{class}\" id=\"e{id}\" data-card data-id=\"{id}\" data-pos=\"{pos}\" data-url=\"{url}\">\n\
         <h3>{heading}{tags}</h3>\n<p class=\"meta\">{by} · feed {feed}{discussion} · {date} · score {score:.2} · #{id}</p>\n\
         <p class=\"why\">why: {why}</p>\n",
        id = c.id,
        url = html_escape(card_url(c)),
        heading = html_title_link_new_tab(&c.title, c.url.as_deref()),
        by = html_escape(&attribution(c)),
        feed = html_escape(&feed),
        date = card_date(c, page.timezone),
        score = c.score,
        why = html_escape(&crate::score::reasons_line(&c.reasons)),
    );
    if let Some(reason) = reason {
        let _ = writeln!(out, "<p class=\"standing\">{}</p>", html_escape(&reason));
    }
    let _ = writeln!(out, "<p class=\"excerpt\">{}</p>", html_escape(&c.excerpt));
    if view.text.trim().chars().count() > c.excerpt.trim_end_matches('…').chars().count() {
        let _ = writeln!(
            out,
            "<details class=\"full\"><summary>Full text <kbd>e</kbd></summary><div class=\"text\">{}</div></details>",
            html_escape(&view.text)
        );
    }
    let f = page.filter;
    let mut fields = vec![
        ("id", c.id.to_string()),
        ("week", week.clone()),
        ("pos", pos.to_string()),
        ("csrf", page.auth.csrf.to_owned()),
    ];
    if f.all {
        fields.push(("all", "1".into()));
    }
    for (name, value) in [("q", &f.words), ("feed", &f.feed)] {
        if let Some(v) = value {
            fields.push((name, v.clone()));
        }
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _ = write!(
        out,
        "<form method=\"post\" action=\"/decide\" class=\"decide\">{}\
         <label class=\"note\">Blurb (a pick's) or note <textarea name=\"note\" rows=\"2\" maxlength=\"4000\" \
         placeholder=\"what the newsletter says about it\"></textarea></label>\n<div class=\"actions\">\
         <button name=\"action\" value=\"pick\" data-key=\"p\" data-primary>Pick</button>\
         <button name=\"action\" value=\"reject\" data-key=\"x\">Reject</button>\
         <button name=\"action\" value=\"defer\" data-key=\"d\">Defer</button>",
        hidden(&fields),
    );
    if rest > 1 {
        let _ = write!(
            out,
            "<a class=\"quiet\" href=\"{}\">Reject the rest of {} ({rest})…</a>",
            href("/reject-feed", &[("week", &week), ("feed", &c.feed)]),
            html_escape(&c.feed),
        );
    }
    out.push_str("</div></form>\n</article>\n");
}

/// A few sites gleaner saw through aggregators or an archive, not subscribed to, with
/// the command that adds each (`gleaner sources` lists them all).
fn suggested_sources(out: &mut String, sources: &[Source]) {
    if sources.is_empty() {
        return;
    }
    out.push_str("<section class=\"sources\" id=\"sources\"><h2>Sites to subscribe to</h2><ul>\n");
    for s in sources {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> · picked {} · linked {} · via {} · {}</li>",
            html_escape(&s.site),
            s.picked,
            s.linked,
            html_escape(&s.seen_via.join(", ")),
            s.subscribe.as_deref().map_or_else(
                || "no feed found: watch its article list with <code>gleaner add PAGE --page</code>".to_owned(),
                |command| format!("<code>{}</code>", html_escape(command))
            ),
        );
    }
    out.push_str("</ul><p class=\"meta\"><code>gleaner sources</code> lists them all; <code>gleaner sources dismiss SITE</code> hides one.</p></section>\n");
}

/// The week's decisions, latest first: each with its note (editable) and an undo; the
/// decisions of one batch together, with one undo for them all.
fn decided(
    out: &mut String,
    week: IsoWeek,
    decided: &[(Candidate, Decision)],
    auth: &PageAuth<'_>,
) {
    if decided.is_empty() {
        return;
    }
    let week = week.to_string();
    out.push_str("<section class=\"decided\"><h2>Decided</h2>\n<ul>\n");
    let groups = decided.chunk_by(|(_, a), (_, b)| a.batch.is_some() && a.batch == b.batch);
    for group in groups {
        let (c, d) = &group[0];
        let batch_len = group.len();
        if batch_len > 1 {
            let titles: Vec<String> = group.iter().map(|(c, _)| html_escape(&c.title)).collect();
            let batch = d.batch.unwrap_or_default().to_string();
            let _ = writeln!(
                out,
                "<li class=\"batch\"><span class=\"state state-{state}\">{state}</span> {n} posts of {feed}: {titles} \
                 <form method=\"post\" action=\"/decide\" class=\"inline\">{fields}<button data-undo>Undo all {n}</button></form></li>",
                state = html_escape(&d.state),
                n = batch_len,
                feed = html_escape(&c.feed),
                titles = titles.join("; "),
                fields = hidden(&[
                    ("id", "0"),
                    ("action", "undo_batch"),
                    ("batch", &batch),
                    ("week", &week),
                    ("csrf", auth.csrf),
                ]),
            );
            continue;
        }
        let what = if d.state == "picked" { "blurb" } else { "note" };
        let note = d.note.as_deref().unwrap_or("");
        let id = c.id.to_string();
        let _ = writeln!(
            out,
            "<li id=\"d{id}\"><span class=\"state state-{state}\">{state}</span> {title}{shown}\n\
             <details class=\"edit\"><summary>edit the {what}</summary><form method=\"post\" action=\"/note\">{note_fields}\
             <textarea name=\"note\" rows=\"3\" maxlength=\"4000\" aria-label=\"{what}\">{note}</textarea>\
             <button data-primary>Save the {what}</button></form></details>\n\
             <form method=\"post\" action=\"/decide\" class=\"inline\">{undo_fields}<button data-undo>Undo</button></form></li>",
            state = html_escape(&d.state),
            title = html_title_link_new_tab(&c.title, c.url.as_deref()),
            shown = if note.is_empty() {
                String::new()
            } else {
                format!(" — <span class=\"note-text\">{}</span>", html_escape(note))
            },
            note_fields = hidden(&[
                ("id", &id),
                ("week", &week),
                ("back", "queue"),
                ("csrf", auth.csrf)
            ]),
            note = html_escape(note),
            undo_fields = hidden(&[
                ("id", &id),
                ("action", "undo"),
                ("week", &week),
                ("csrf", auth.csrf)
            ]),
        );
    }
    out.push_str("</ul></section>\n");
}

/// The confirmation of "reject the rest of this feed's posts this week": what would be
/// rejected, and the one form that does it.
pub fn confirm_reject_page(
    week: IsoWeek,
    feed: &str,
    posts: &[(i64, String)],
    picked: usize,
    auth: &PageAuth<'_>,
) -> String {
    let mut out = head(&format!("Reject the rest of {feed}"));
    nav(&mut out, week, "queue", picked);
    let week_s = week.to_string();
    let back = href("/", &[("week", &week_s)]);
    if posts.is_empty() {
        let _ = writeln!(
            out,
            "<p>{} has nothing left in {week}'s queue. <a href=\"{back}\">Back to the queue</a></p>",
            html_escape(feed)
        );
        foot(&mut out);
        return out;
    }
    let _ = writeln!(
        out,
        "<h2>Reject the rest of {feed}'s posts this week?</h2>\n<p>These {n} posts of {feed} are still undecided in {week}'s queue (held-back ones included). One undo takes them all back.</p>\n<ol>",
        feed = html_escape(feed),
        n = posts.len()
    );
    for (_, title) in posts {
        let _ = writeln!(out, "<li>{}</li>", html_escape(title));
    }
    let ids: Vec<String> = posts.iter().map(|(id, _)| id.to_string()).collect();
    let _ = writeln!(
        out,
        "</ol>\n<form method=\"post\" action=\"/reject-feed\" class=\"confirm\">{}\
         <label class=\"note\">Note (optional) <textarea name=\"note\" rows=\"2\" maxlength=\"4000\"></textarea></label>\
         <div class=\"actions\"><button data-primary id=\"confirm\">Reject these {}</button> <a href=\"{back}\">Cancel</a></div></form>",
        hidden(&[
            ("week", &week_s),
            ("feed", feed),
            ("ids", &ids.join(",")),
            ("csrf", auth.csrf)
        ]),
        posts.len()
    );
    foot(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cards_date_is_the_day_in_the_configured_zone() {
        let late_evening_in_new_york = chrono::DateTime::parse_from_rfc3339("2026-11-30T02:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut c = Candidate {
            published: Some(late_evening_in_new_york),
            ..Candidate::default()
        };
        assert_eq!(card_date(&c, chrono_tz::America::New_York), "2026-11-29");
        assert_eq!(card_date(&c, chrono_tz::UTC), "2026-11-30");
        c.published = None;
        c.first_seen = late_evening_in_new_york;
        assert_eq!(card_date(&c, chrono_tz::Asia::Tokyo), "2026-11-30");
        assert_eq!(card_date(&c, chrono_tz::America::Los_Angeles), "2026-11-29");
    }
}
