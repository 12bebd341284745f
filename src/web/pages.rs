//! The review page's pages, which only read: the queue (`/`,
//! `?week=YYYY-Www&all=1&q=…&feed=…`), the draft (`/draft`), the confirmation before
//! rejecting the rest of a feed's week (`GET /reject-feed`), the page's script and style
//! (`/static/`), and the week's shortlist as a feed (`/shortlist.atom`). Reads go
//! through the page's own reader; the forms that write are in [`super::forms`].

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::guard::cookie;
use super::readers::{Freshness, Reader};
use super::server::{ServerState, with_reader};
use crate::rank::shortlist::{self, Ranker};
use crate::render::page::{self, PageAuth, QueuePage};
use crate::review::overview::{ViewFilter, overview, view_items};
use crate::review::{DraftOrder, draft_items};
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

pub(super) fn view_filter(
    all: Option<String>,
    q: Option<String>,
    feed: Option<String>,
) -> ViewFilter {
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

pub(super) fn bad_request(why: impl std::fmt::Display) -> Response {
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
}
