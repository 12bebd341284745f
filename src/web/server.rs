//! The daemon's HTTP listener (`[server] listen`, default 127.0.0.1:8311): the review
//! page, `/metrics` and `/healthz`.
//!
//! - `/` (`?week=YYYY-Www`): the review page, the week's queue ([`crate::render::page`]);
//!   `/draft`: the week's draft; `POST /decide`: pick, reject, defer or undo.
//! - `/metrics`: every metric of [`crate::web::metrics`], OpenMetrics text.
//! - `/healthz`: 200 `ok: …` while polls finish on schedule and the database answers;
//!   503 with the reason when the last poll is overdue (its next scheduled slot plus a
//!   grace period has passed) or the database is unusable.
//!
//! It binds loopback by default; config validation refuses any other address unless
//! `[server] token` is set, and then every request must carry the token (as
//! `Authorization: Bearer <token>` or `?token=<token>`).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Query};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, Redirect};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::rank::shortlist::Ranker;
use crate::render::page::{self, PageAuth};
use crate::review::{DraftOrder, Verdict, decide_one, draft_items, queue_items};
use crate::store::{Store, off_async};
use crate::web::metrics::Metrics;
use crate::week::{IsoWeek, WeekSpec};

/// What `/healthz` needs to know about the polls.
pub struct PollClock {
    started: DateTime<Utc>,
    last_poll: Mutex<Option<DateTime<Utc>>>,
    /// Why the last poll could not write to the database, when it could not.
    storage_failure: Mutex<Option<String>>,
    /// When the poll after one finishing at the given time is due.
    next_after: Box<dyn Fn(DateTime<Utc>) -> Option<DateTime<Utc>> + Send + Sync>,
    /// How late a poll may finish before the daemon is unhealthy.
    grace: chrono::Duration,
}

impl PollClock {
    pub fn new(
        started: DateTime<Utc>,
        next_after: impl Fn(DateTime<Utc>) -> Option<DateTime<Utc>> + Send + Sync + 'static,
        grace: chrono::Duration,
    ) -> PollClock {
        PollClock {
            started,
            last_poll: Mutex::new(None),
            storage_failure: Mutex::new(None),
            next_after: Box::new(next_after),
            grace,
        }
    }

    /// Notes a finished poll, and whether the database refused its writes (then the
    /// daemon is unhealthy until a poll writes again).
    pub fn poll_finished(&self, at: DateTime<Utc>, storage_failure: Option<String>) {
        *self.last_poll.lock().expect("clock lock") = Some(at);
        *self.storage_failure.lock().expect("clock lock") = storage_failure;
    }

    /// `Ok(description)` when polls are on schedule and stored, `Err(reason)` when
    /// overdue or when the last poll could not write to the database.
    pub fn verdict(&self, now: DateTime<Utc>) -> Result<String, String> {
        if let Some(why) = self.storage_failure.lock().expect("clock lock").clone() {
            return Err(format!(
                "the last poll could not write to the database: {why}"
            ));
        }
        let last = *self.last_poll.lock().expect("clock lock");
        poll_verdict(now, self.started, last, &*self.next_after, self.grace)
    }
}

/// Polls are on schedule when the last one (or, before any, the start) was recent
/// enough that the next slot plus `grace` has not passed.
pub fn poll_verdict(
    now: DateTime<Utc>,
    started: DateTime<Utc>,
    last_poll: Option<DateTime<Utc>>,
    next_after: &dyn Fn(DateTime<Utc>) -> Option<DateTime<Utc>>,
    grace: chrono::Duration,
) -> Result<String, String> {
    let since = last_poll.unwrap_or(started);
    let due = next_after(since).unwrap_or(since) + grace;
    let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match last_poll {
        Some(last) if now <= due => Ok(format!("last poll finished {}", fmt(last))),
        None if now <= due => Ok(format!(
            "starting: first poll running since {}",
            fmt(started)
        )),
        Some(last) => Err(format!(
            "last poll finished {}; the next one was due by {}",
            fmt(last),
            fmt(due)
        )),
        None => Err(format!(
            "no poll has finished since the start at {}; one was due by {}",
            fmt(started),
            fmt(due)
        )),
    }
}

pub struct ServerState {
    pub metrics: Arc<Metrics>,
    pub clock: Arc<PollClock>,
    pub store: Arc<Mutex<Store>>,
    /// The daemon's current config (re-read before each poll).
    pub config: Arc<Mutex<Arc<Config>>>,
    pub token: Option<String>,
    /// Random per daemon start; every form carries it back.
    pub csrf: String,
}

pub fn router(state: Arc<ServerState>) -> Router {
    Router::new()
        .route("/", get(queue_page))
        .route("/draft", get(draft_page))
        .route("/decide", post(decide))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state)
}

#[derive(serde::Deserialize)]
struct WeekQuery {
    week: Option<String>,
}

#[derive(serde::Deserialize)]
struct DecisionForm {
    id: i64,
    action: String,
    week: String,
    #[serde(default)]
    pos: usize,
    #[serde(default)]
    note: Option<String>,
    csrf: String,
}

/// Runs `f` with the store and the current config, off the async threads.
async fn with_store<T: Send + 'static>(
    state: &Arc<ServerState>,
    f: impl FnOnce(&mut Store, &Config) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, Response> {
    let config = state.config.lock().expect("config lock").clone();
    off_async(&state.store, move |store| f(store, &config))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response())
}

fn week_of(state: &ServerState, query: Option<&str>) -> Result<IsoWeek, Box<Response>> {
    let tz = state.config.lock().expect("config lock").settings.timezone;
    query
        .unwrap_or("this")
        .parse::<WeekSpec>()
        .map(|spec| spec.resolve(crate::clock::now(), tz))
        .map_err(|e| Box::new((StatusCode::BAD_REQUEST, format!("{e}\n")).into_response()))
}

fn access_query(state: &ServerState) -> String {
    state
        .token
        .as_deref()
        .map(|t| {
            format!(
                "token={}",
                url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default()
}

async fn queue_page(State(state): State<Arc<ServerState>>, Query(q): Query<WeekQuery>) -> Response {
    let week = match week_of(&state, q.week.as_deref()) {
        Ok(week) => week,
        Err(response) => return *response,
    };
    let loaded = with_store(&state, move |store, config| {
        let ranker = Ranker::load(store, config)?;
        let items = queue_items(store, &ranker, week)?;
        let decided = store
            .decided(&week.to_string(), &week.next().to_string())?
            .into_iter()
            .map(|(post, decision)| (ranker.candidate(post), decision))
            .collect::<Vec<_>>();
        Ok((items, decided))
    })
    .await;
    match loaded {
        Ok((items, decided)) => {
            let access = access_query(&state);
            let auth = PageAuth {
                csrf: &state.csrf,
                access: &access,
            };
            Html(page::queue_page(week, &items, &decided, &auth)).into_response()
        }
        Err(response) => response,
    }
}

async fn draft_page(State(state): State<Arc<ServerState>>, Query(q): Query<WeekQuery>) -> Response {
    let week = match week_of(&state, q.week.as_deref()) {
        Ok(week) => week,
        Err(response) => return *response,
    };
    match with_store(&state, move |store, config| {
        draft_items(
            store,
            &Ranker::load(store, config)?,
            week,
            DraftOrder::Picked,
        )
    })
    .await
    {
        Ok(items) => {
            let access = access_query(&state);
            Html(page::draft_page(
                week,
                &items,
                &PageAuth {
                    csrf: &state.csrf,
                    access: &access,
                },
            ))
            .into_response()
        }
        Err(response) => response,
    }
}

/// A decision from the page. Refused with 403 when it comes from another site: a
/// foreign `Origin`, a cross-site fetch, or a missing or wrong CSRF token.
async fn decide(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Response {
    if let Some(reason) = cross_site(&headers, &form.csrf, &state.csrf) {
        return (StatusCode::FORBIDDEN, format!("refused: {reason}\n")).into_response();
    }
    let verdict = match form.action.as_str() {
        "pick" => Some(Verdict::Pick),
        "reject" => Some(Verdict::Reject),
        "defer" => Some(Verdict::Defer),
        "undo" => None,
        other => {
            return (
                StatusCode::BAD_REQUEST,
                format!("unknown action `{other}`\n"),
            )
                .into_response();
        }
    };
    let note = form
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let id = form.id;
    let done = with_store(&state, move |store, config| match verdict {
        Some(verdict) => {
            decide_one(store, config, verdict, id, note.as_deref()).map(|d| d.is_some())
        }
        None => store.undo(id).map(|u| u.is_some()),
    })
    .await;
    match done {
        Ok(true) => {
            let access = access_query(&state);
            let week =
                url::form_urlencoded::byte_serialize(form.week.as_bytes()).collect::<String>();
            let query = [format!("week={week}"), access]
                .into_iter()
                .filter(|q| !q.is_empty())
                .collect::<Vec<_>>()
                .join("&");
            Redirect::to(&format!("/?{query}#{}", form.pos)).into_response()
        }
        Ok(false) => (
            StatusCode::NOT_FOUND,
            format!("no entry or decision for #{id}\n"),
        )
            .into_response(),
        Err(response) => response,
    }
}

/// Why a state-changing request looks cross-site, if it does.
fn cross_site(headers: &HeaderMap, given: &str, expected: &str) -> Option<&'static str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site").is_some_and(|site| site == "cross-site") {
        return Some("a cross-site request");
    }
    if let (Some(origin), Some(host)) = (header("origin"), header("host")) {
        let same = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            == Some(host);
        if !same {
            return Some("a request from another origin");
        }
    }
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return Some("a missing or wrong form token; reload the page");
    }
    None
}

async fn healthz(State(state): State<Arc<ServerState>>) -> Response {
    let db = off_async(&state.store, |store| store.ping()).await;
    let db_problem = match db {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(format!("database unusable: {err}")),
        Err(err) => Some(format!("database check failed: {err}")),
    };
    let verdict = match db_problem {
        Some(problem) => Err(problem),
        None => state.clock.verdict(crate::clock::now()),
    };
    match verdict {
        Ok(text) => (StatusCode::OK, format!("ok: {text}\n")).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unhealthy: {reason}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<Arc<ServerState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

async fn require_token(
    State(state): State<Arc<ServerState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = &state.token else {
        return next.run(request).await;
    };
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let query = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    if bearer
        .or(query)
        .is_some_and(|given| constant_time_eq(given.as_bytes(), expected.as_bytes()))
    {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            "a token is required: Authorization: Bearer <token>\n",
        )
            .into_response()
    }
}

/// Compares without stopping at the first difference, so timing reveals nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn health_follows_the_schedule() {
        // Polls every 30 minutes, 5 minutes of grace.
        let next = |after: DateTime<Utc>| Some(after + chrono::Duration::minutes(30));
        let grace = chrono::Duration::minutes(5);
        let start = t("2026-11-23T10:00:00Z");
        let cases = [
            ("2026-11-23T10:01:00Z", None, true),
            ("2026-11-23T10:40:00Z", None, false),
            ("2026-11-23T10:20:00Z", Some("2026-11-23T10:02:00Z"), true),
            ("2026-11-23T10:37:00Z", Some("2026-11-23T10:02:00Z"), true),
            ("2026-11-23T10:38:00Z", Some("2026-11-23T10:02:00Z"), false),
        ];
        for (now, last, healthy) in cases {
            let verdict = poll_verdict(t(now), start, last.map(t), &next, grace);
            assert_eq!(verdict.is_ok(), healthy, "{now} {last:?}: {verdict:?}");
        }
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
