//! The review page's forms, each a POST that changes the store: `/decide` (pick,
//! reject, defer, undo, undo a batch), `/note` (a decision's note), `/move` (reorder
//! the draft) and `/reject-feed` (the rest of a feed's week, once confirmed). Every form
//! is checked for the form token and a same-site origin before anything is written, and
//! answers with a redirect back to where the editor was.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::guard::cross_site;
use super::pages::{bad_request, view_filter};
use super::server::{ServerState, with_writer};
use crate::rank::shortlist::Ranker;
use crate::render::html_escape;
use crate::review::overview::overview;
use crate::review::{
    Verdict, decide_one, edit_note, move_pick as move_one, reject_batch, tidy_note,
};
use crate::week::IsoWeek;

/// The week a form names: the page writes an ISO week (`2026-W48`) into every form.
fn form_week(text: &str) -> Result<IsoWeek, Box<Response>> {
    text.parse::<IsoWeek>().map_err(|_| {
        Box::new(bad_request(format_args!(
            "bad week `{}`: a form names an ISO week like 2026-W48; reload the page",
            shown(text)
        )))
    })
}

/// A form value as an answer quotes it: at most 64 characters. Answers are plain
/// text (`nosniff`), so nothing in it is markup.
fn shown(value: &str) -> &str {
    &value[..value.char_indices().nth(64).map_or(value.len(), |(i, _)| i)]
}

/// Refuses a form that looks cross-site (see [`cross_site`]); the answer keeps the
/// text the editor typed, so a refused blurb is not lost.
fn refused(
    state: &ServerState,
    headers: &HeaderMap,
    csrf: &str,
    typed: Option<&str>,
) -> Option<Response> {
    let reason = cross_site(headers, csrf, &state.secrets.csrf)?;
    let kept = typed
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            format!(
                "<p>What you typed, to copy:</p><textarea readonly rows=\"6\" cols=\"70\">{}</textarea>",
                html_escape(t)
            )
        })
        .unwrap_or_default();
    Some(
        (
            StatusCode::FORBIDDEN,
            Html(format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>gleaner · refused</title></head><body>\
                 <p>refused: {reason}; nothing was changed. <a href=\"/\">Reload the queue</a> and try again.</p>{kept}</body></html>\n"
            )),
        )
            .into_response(),
    )
}

/// `path?week=…&…#anchor`, each value percent-encoded.
fn location(path: &str, query: &[(&str, Option<&str>)], anchor: &str) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in query {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            serializer.append_pair(key, v);
        }
    }
    let query = serializer.finish();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{path}{query}{anchor}")
}

#[derive(Deserialize)]
pub struct DecisionForm {
    id: i64,
    action: String,
    week: String,
    #[serde(default)]
    pos: usize,
    #[serde(default)]
    note: Option<String>,
    csrf: String,
    #[serde(default)]
    batch: Option<i64>,
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    feed: Option<String>,
}

enum Action {
    Decide(Verdict),
    Undo,
    UndoBatch(i64),
}

/// A decision from the page: pick (the note is its blurb), reject or defer (the note
/// is kept with it), undo one, or undo a batch.
pub async fn decide(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Response {
    if let Some(response) = refused(&state, &headers, &form.csrf, form.note.as_deref()) {
        return response;
    }
    let action = match (form.action.as_str(), form.batch) {
        ("pick", _) => Action::Decide(Verdict::Pick),
        ("reject", _) => Action::Decide(Verdict::Reject),
        ("defer", _) => Action::Decide(Verdict::Defer),
        ("undo", _) => Action::Undo,
        ("undo_batch", Some(batch)) => Action::UndoBatch(batch),
        (other, _) => {
            return bad_request(format_args!("unknown action `{}`", shown(other)));
        }
    };
    let note = form.note.as_deref().and_then(tidy_note);
    let id = form.id;
    let done = with_writer(&state, move |store, config| match action {
        Action::Decide(verdict) => {
            decide_one(store, config, verdict, id, note.as_deref()).map(|d| d.is_some())
        }
        Action::Undo => store.undo(id).map(|u| u.is_some()),
        Action::UndoBatch(batch) => store.undo_batch(batch).map(|n| n > 0),
    })
    .await;
    match done {
        Ok(true) => {
            let filter = view_filter(form.all, form.q, form.feed);
            Redirect::to(&location(
                "/",
                &[
                    ("week", Some(&form.week)),
                    ("all", filter.all.then_some("1")),
                    ("q", filter.words.as_deref()),
                    ("feed", filter.feed.as_deref()),
                ],
                &format!("#{}", form.pos),
            ))
            .into_response()
        }
        Ok(false) => (
            StatusCode::NOT_FOUND,
            format!("no entry or decision for #{id}\n"),
        )
            .into_response(),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    id: i64,
    #[serde(default)]
    note: String,
    week: String,
    csrf: String,
    #[serde(default)]
    back: Option<String>,
}

/// Edits (or clears) the note of a post's current decision: a pick's blurb, a
/// rejection's reason.
pub async fn note(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Form(form): Form<NoteForm>,
) -> Response {
    if let Some(response) = refused(&state, &headers, &form.csrf, Some(&form.note)) {
        return response;
    }
    let (id, note) = (form.id, form.note);
    match with_writer(&state, move |store, _| edit_note(store, id, &note)).await {
        Ok(Some(_)) => {
            let path = if form.back.as_deref() == Some("draft") {
                "/draft"
            } else {
                "/"
            };
            Redirect::to(&location(
                path,
                &[("week", Some(&form.week))],
                &format!("#d{id}"),
            ))
            .into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, format!("#{id} has no decision\n")).into_response(),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    id: i64,
    dir: String,
    week: String,
    csrf: String,
}

/// Moves a pick up or down in the week's draft.
pub async fn move_pick(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Form(form): Form<MoveForm>,
) -> Response {
    if let Some(response) = refused(&state, &headers, &form.csrf, None) {
        return response;
    }
    let by = match form.dir.as_str() {
        "up" => -1,
        "down" => 1,
        other => {
            return bad_request(format_args!("unknown direction `{}`", shown(other)));
        }
    };
    let week = match form_week(&form.week) {
        Ok(week) => week,
        Err(response) => return *response,
    };
    let id = form.id;
    let moved = with_writer(&state, move |store, _| move_one(store, week, id, by)).await;
    match moved {
        Ok(_) => Redirect::to(&location(
            "/draft",
            &[("week", Some(&week.to_string()))],
            &format!("#d{id}"),
        ))
        .into_response(),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct RejectFeedForm {
    week: String,
    feed: String,
    /// The confirmed posts' ids, comma-separated: exactly what the editor saw listed.
    ids: String,
    #[serde(default)]
    note: Option<String>,
    csrf: String,
}

/// Rejects the confirmed posts of a feed as one batch: those still undecided in the
/// week's queue (a post decided meanwhile, or one a poll added after the confirmation,
/// is left alone).
pub async fn reject_feed(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Form(form): Form<RejectFeedForm>,
) -> Response {
    if let Some(response) = refused(&state, &headers, &form.csrf, form.note.as_deref()) {
        return response;
    }
    let week = match form_week(&form.week) {
        Ok(week) => week,
        Err(response) => return *response,
    };
    let confirmed: Vec<i64> = form
        .ids
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    let (feed, note) = (form.feed, form.note.as_deref().and_then(tidy_note));
    let done = with_writer(&state, move |store, config| {
        let ranker = Ranker::load(store, config)?;
        let rest = overview(store, &ranker, week)?.rest_of_feed(&feed);
        let ids: Vec<i64> = confirmed
            .into_iter()
            .filter(|id| rest.contains(id))
            .collect();
        reject_batch(store, week, &ids, note.as_deref())
    })
    .await;
    match done {
        Ok(_) => {
            Redirect::to(&location("/", &[("week", Some(&week.to_string()))], "")).into_response()
        }
        Err(response) => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_keep_only_what_is_set() {
        assert_eq!(
            location("/", &[("week", Some("2026-W48")), ("all", None)], "#0"),
            "/?week=2026-W48#0"
        );
        assert_eq!(
            location("/", &[("week", Some("2026-W48")), ("q", Some("a b&c"))], ""),
            "/?week=2026-W48&q=a+b%26c"
        );
    }
}
