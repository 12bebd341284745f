//! The review page's handlers: the queue (`/`, `?week=YYYY-Www&all=1&q=…&feed=…`), the
//! draft (`/draft`), the forms that change them (`POST /decide`: pick, reject, defer,
//! undo, undo a batch; `POST /note`: edit a decision's note; `POST /move`: reorder the
//! draft; `/reject-feed`: confirm, then reject the rest of a feed's week), the page's
//! script and style (`/static/`), and the week's shortlist as a feed
//! (`/shortlist.atom`).
//!
//! Reads go through the page's own reader; every form is checked for the form token
//! and a same-site origin before anything is written, and answers with a redirect back
//! to where the editor was.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::guard::{cookie, cross_site};
use super::readers::{Freshness, Reader};
use super::server::{ServerState, with_reader, with_writer};
use crate::rank::shortlist::{self, Ranker};
use crate::render::html_escape;
use crate::render::page::{self, PageAuth, QueuePage};
use crate::review::overview::{ViewFilter, overview, view_items};
use crate::review::{
    DraftOrder, Verdict, decide_one, draft_items, edit_note, move_pick as move_one, reject_batch,
    tidy_note,
};
use crate::subscriptions::sources::suggest;
use crate::week::{IsoWeek, WeekSpec};

/// The cookie that remembers the editor's visits: `<since>.<last>` in Unix seconds
/// (`-` for no previous visit). Kept in the browser, so a page load writes nothing.
pub const VISIT_COOKIE: &str = "gleaner_visit";
/// Page loads closer together than this are one visit.
const VISIT_GAP_SECS: i64 = 30 * 60;

/// The previous visit's last page load, given the visit cookie at `now` (a load after
/// a gap of `VISIT_GAP_SECS` starts a new visit, whose "new" is counted from the last
/// one), and the cookie to set.
pub fn visit(cookie: Option<&str>, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, String) {
    let parsed = cookie.and_then(|c| {
        let (since, last) = c.split_once('.')?;
        let since = since.parse::<i64>().ok();
        Some((since, last.parse::<i64>().ok()?))
    });
    let since = match parsed {
        Some((_, last)) if now.timestamp() - last > VISIT_GAP_SECS => Some(last),
        Some((since, _)) => since,
        None => None,
    };
    let value = format!(
        "{VISIT_COOKIE}={}.{}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict",
        since.map_or("-".to_owned(), |s| s.to_string()),
        now.timestamp()
    );
    (since.and_then(|s| DateTime::from_timestamp(s, 0)), value)
}

#[derive(Deserialize)]
pub struct ViewQuery {
    week: Option<String>,
    all: Option<String>,
    q: Option<String>,
    feed: Option<String>,
}

fn nonempty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn view_filter(all: Option<String>, q: Option<String>, feed: Option<String>) -> ViewFilter {
    ViewFilter {
        all: nonempty(all).is_some_and(|a| a != "0"),
        words: nonempty(q),
        feed: nonempty(feed),
    }
}

fn week_of(state: &ServerState, query: Option<&str>) -> Result<IsoWeek, Box<Response>> {
    let tz = state.config.lock().expect("config lock").settings.timezone;
    query
        .filter(|q| !q.is_empty())
        .unwrap_or("this")
        .parse::<WeekSpec>()
        .map(|spec| spec.resolve(crate::clock::now(), tz))
        .map_err(|e| Box::new(bad_request(e)))
}

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

fn bad_request(why: impl std::fmt::Display) -> Response {
    (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response()
}

/// Sites to subscribe to the queue page suggests.
const SUGGESTED_SOURCES: usize = 3;

pub async fn queue(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Query(q): Query<ViewQuery>,
) -> Response {
    let week = match week_of(&state, q.week.as_deref()) {
        Ok(week) => week,
        Err(response) => return *response,
    };
    let filter = view_filter(q.all, q.q, q.feed);
    let (since, visit_cookie) = visit(cookie(&headers, VISIT_COOKIE), crate::clock::now());
    let csrf = state.secrets.csrf.clone();
    let shared = state.clone();
    let page = with_reader(&state, move |reader, config| {
        let fresh = freshness(&shared, config);
        let ranker = reader_ranker(reader, fresh)?;
        let overview = cached_overview(reader, &ranker, fresh, week)?;
        let (items, matched) = view_items(&reader.store, &ranker, &overview, &filter, since)?;
        let store = &reader.store;
        let sources = reader
            .sources
            .get(store, fresh, || suggest(store, config, SUGGESTED_SOURCES))?;
        Ok(page::queue_page(&QueuePage {
            overview: &overview,
            items: &items,
            matched,
            filter: &filter,
            since,
            auth: &PageAuth { csrf: &csrf },
            sources: &sources,
            timezone: config.settings.timezone,
        }))
    })
    .await;
    match page {
        Ok(html) => {
            let mut response = Html(html).into_response();
            if let Ok(value) = HeaderValue::from_str(&visit_cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(response) => response,
    }
}

/// What the reader's kept overview, suggestions and learned part must still match: read
/// once per request, so that all three are kept against the same moment.
fn freshness<'a>(state: &ServerState, config: &'a Arc<crate::config::Config>) -> Freshness<'a> {
    Freshness {
        config,
        own_writes: state.own_writes.load(std::sync::atomic::Ordering::Relaxed),
        polling: state.clock.is_polling(),
    }
}

/// A ranker with the part the reader learned last, trained again only when a decision
/// or the config changed it.
fn reader_ranker<'a>(
    reader: &mut Reader,
    fresh: Freshness<'a>,
) -> Result<Ranker<'a>, crate::store::StoreError> {
    let learned = reader.learned.get(&reader.store, fresh)?;
    Ok(Ranker::new(fresh.config, learned))
}

/// The week's overview, from the page's cache while nothing changed.
fn cached_overview(
    reader: &mut Reader,
    ranker: &Ranker<'_>,
    fresh: Freshness<'_>,
    week: IsoWeek,
) -> Result<Arc<crate::review::overview::Overview>, crate::store::StoreError> {
    let store = &reader.store;
    reader
        .overviews
        .get(store, fresh, week, || overview(store, ranker, week))
}

#[derive(Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
}

pub async fn draft(State(state): State<Arc<ServerState>>, Query(q): Query<WeekQuery>) -> Response {
    let week = match week_of(&state, q.week.as_deref()) {
        Ok(week) => week,
        Err(response) => return *response,
    };
    let csrf = state.secrets.csrf.clone();
    let shared = state.clone();
    let page = with_reader(&state, move |reader, config| {
        let ranker = reader_ranker(reader, freshness(&shared, config))?;
        let items = draft_items(&reader.store, &ranker, week, DraftOrder::Picked)?;
        Ok(page::draft_page(week, &items, &PageAuth { csrf: &csrf }))
    })
    .await;
    page.map_or_else(|r| r, |html| Html(html).into_response())
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
pub struct FeedQuery {
    week: Option<String>,
    feed: String,
}

/// The confirmation of "reject the rest of this feed's posts this week".
pub async fn confirm_reject(
    State(state): State<Arc<ServerState>>,
    Query(q): Query<FeedQuery>,
) -> Response {
    let week = match week_of(&state, q.week.as_deref()) {
        Ok(week) => week,
        Err(response) => return *response,
    };
    let csrf = state.secrets.csrf.clone();
    let shared = state.clone();
    let page = with_reader(&state, move |reader, config| {
        let fresh = freshness(&shared, config);
        let ranker = reader_ranker(reader, fresh)?;
        let overview = cached_overview(reader, &ranker, fresh, week)?;
        let mut posts = Vec::new();
        for id in overview.rest_of_feed(&q.feed) {
            if let Some(post) = reader.store.post(id)? {
                posts.push((id, post.title));
            }
        }
        Ok(page::confirm_reject_page(
            week,
            &q.feed,
            &posts,
            overview.counts.picked,
            &PageAuth { csrf: &csrf },
        ))
    })
    .await;
    page.map_or_else(|r| r, |html| Html(html).into_response())
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

/// This week's shortlist as an Atom feed.
pub async fn atom(State(state): State<Arc<ServerState>>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let shared = state.clone();
    let xml = with_reader(&state, move |reader, config| {
        let now = crate::clock::now();
        let week = WeekSpec::This.resolve(now, config.settings.timezone);
        let ranker = reader_ranker(reader, freshness(&shared, config))?;
        let candidates =
            shortlist::build(&reader.store, &ranker, week, config.settings.shortlist_size)?;
        Ok(crate::render::atom::shortlist_atom(
            week,
            &candidates,
            now,
            &format!("http://{host}"),
        ))
    })
    .await;
    match xml {
        Ok(xml) => (
            [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
            xml,
        )
            .into_response(),
        Err(response) => response,
    }
}

/// The page's script. Its URL carries a version ([`page::asset_version`]), so it may
/// be cached for long.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", page::SCRIPT)
}

pub async fn style() -> Response {
    asset("text/css; charset=utf-8", page::STYLE)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn a_visit_counts_new_posts_from_the_one_before() {
        // The first visit ever marks nothing, on every load of it.
        let (since, cookie) = visit(None, at(10_000));
        assert_eq!(since, None);
        assert!(cookie.starts_with("gleaner_visit=-.10000;"), "{cookie}");
        let (since, cookie) = visit(Some("-.10000"), at(10_600));
        assert_eq!(since, None);
        assert!(cookie.starts_with("gleaner_visit=-.10600;"), "{cookie}");
        // Back after a gap: new since the last load of the visit before.
        let (since, cookie) = visit(Some("-.10600"), at(20_000));
        assert_eq!(since, Some(at(10_600)));
        assert!(cookie.starts_with("gleaner_visit=10600.20000;"), "{cookie}");
        // A reload within the visit keeps counting from the same moment.
        let (since, _) = visit(Some("10600.20000"), at(20_100));
        assert_eq!(since, Some(at(10_600)));
        assert_eq!(visit(Some("garbage"), at(1)).0, None);
    }

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
