//! The daemon's HTTP listener (`[server] listen`, default 127.0.0.1:8311): the review
//! page ([`super::pages`]), `/metrics` and `/healthz`, behind [`super::guard`].
//!
//! - `/metrics`: every metric of [`crate::web::metrics`], OpenMetrics text.
//! - `/healthz`: 200 `ok: …` while polls finish on schedule and the database answers;
//!   503 with the reason when the last poll is overdue (its next scheduled slot plus a
//!   grace period has passed) or the database is unusable.
//!
//! Pages read through a connection of their own (the reader, read-only), so a page
//! load never waits for a poll's writes; decisions write through the daemon's store.
//! It binds loopback by default; config validation refuses any other address unless
//! `[server] token` is set.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};

use super::guard::{self, Secrets};
use super::readers::{Reader, Readers};
use super::{forms, pages};
use crate::config::Config;
use crate::model::rfc3339;
use crate::store::{Store, StoreError, off_async};
use crate::web::metrics::Metrics;

/// What `/healthz` needs to know about the polls.
pub struct PollClock {
    started: DateTime<Utc>,
    /// Set while a poll runs.
    running: AtomicBool,
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
            running: AtomicBool::new(false),
            last_poll: Mutex::new(None),
            storage_failure: Mutex::new(None),
            next_after: Box::new(next_after),
            grace,
        }
    }

    /// Marks a poll as running until the returned guard is dropped.
    pub fn poll_running(&self) -> PollRunning<'_> {
        self.running.store(true, Ordering::Relaxed);
        PollRunning(self)
    }

    /// Whether a poll is running now.
    pub fn is_polling(&self) -> bool {
        self.running.load(Ordering::Relaxed)
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

/// A running poll, for [`PollClock::is_polling`].
pub struct PollRunning<'a>(&'a PollClock);

impl Drop for PollRunning<'_> {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::Relaxed);
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
    match last_poll {
        Some(last) if now <= due => Ok(format!("last poll finished {}", rfc3339(last))),
        None if now <= due => Ok(format!(
            "starting: first poll running since {}",
            rfc3339(started)
        )),
        Some(last) => Err(format!(
            "last poll finished {}; the next one was due by {}",
            rfc3339(last),
            rfc3339(due)
        )),
        None => Err(format!(
            "no poll has finished since the start at {}; one was due by {}",
            rfc3339(started),
            rfc3339(due)
        )),
    }
}

pub struct ServerState {
    pub metrics: Arc<Metrics>,
    pub clock: Arc<PollClock>,
    /// The daemon's store: decisions are written through it.
    pub store: Arc<Mutex<Store>>,
    /// The page's own read-only connections.
    pub readers: Readers,
    /// The daemon's current config (re-read before each poll).
    pub config: Arc<Mutex<Arc<Config>>>,
    pub token: Option<String>,
    /// The form token and session cookie, derived from the database's secret.
    pub secrets: Secrets,
    /// The address the listener is bound to (its real port when `listen` said 0).
    pub bound: SocketAddr,
    /// How many writes the page's forms have made: a page shows its own decisions at
    /// once, whatever the readers' caches hold.
    pub own_writes: AtomicU64,
}

pub fn router(state: Arc<ServerState>) -> Router {
    Router::new()
        .route("/", get(pages::queue))
        .route("/draft", get(pages::draft))
        .route("/decide", post(forms::decide))
        .route("/note", post(forms::note))
        .route("/move", post(forms::move_pick))
        .route(
            "/reject-feed",
            get(pages::confirm_reject).post(forms::reject_feed),
        )
        .route("/shortlist.atom", get(pages::atom))
        .route("/static/page.js", get(pages::script))
        .route("/static/page.css", get(pages::style))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::require_token,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::check_host,
        ))
        .layer(middleware::from_fn(guard::security_headers))
        .with_state(state)
}

/// Runs `f` on one of the page's readers with the current config, off the async
/// threads.
pub(super) async fn with_reader<T: Send + 'static>(
    state: &Arc<ServerState>,
    f: impl FnOnce(&mut Reader, &Arc<Config>) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    let config = state.config.lock().expect("config lock").clone();
    let reader = state.readers.pick();
    outcome(
        tokio::task::spawn_blocking(move || {
            let mut reader = reader.lock().unwrap_or_else(|p| p.into_inner());
            reader.store.follow_zone()?;
            f(&mut reader, &config)
        })
        .await,
    )
    .map_err(internal)
}

/// Runs `f` on the daemon's store (the writer) with the current config.
pub(super) async fn with_writer<T: Send + 'static>(
    state: &Arc<ServerState>,
    f: impl FnOnce(&mut Store, &Config) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    let config = state.config.lock().expect("config lock").clone();
    let done = outcome(off_async(&state.store, move |store| f(store, &config)).await);
    state.own_writes.fetch_add(1, Ordering::Relaxed);
    done.map_err(internal)
}

/// A store task's result, or why it failed.
fn outcome<T>(done: Result<Result<T, StoreError>, tokio::task::JoinError>) -> Result<T, String> {
    match done {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

fn internal(error: String) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, format!("{error}\n")).into_response()
}

/// The database answers when the page's reader does and, unless a poll is writing
/// (then the writer's lock is taken and waiting would stall the check), the writer's
/// connection does too.
async fn healthz(State(state): State<Arc<ServerState>>) -> Response {
    let reader = {
        let reader = state.readers.pick();
        tokio::task::spawn_blocking(move || {
            let reader = reader.lock().unwrap_or_else(|p| p.into_inner());
            reader.store.ping()
        })
        .await
    };
    let writer = {
        let store = state.store.clone();
        tokio::task::spawn_blocking(move || store.try_lock().ok().map(|s| s.ping())).await
    };
    let problem = match (reader, writer) {
        (Ok(Err(err)), _) | (_, Ok(Some(Err(err)))) => Some(format!("database unusable: {err}")),
        (Err(err), _) | (_, Err(err)) => Some(format!("database check failed: {err}")),
        _ => None,
    };
    let verdict = match problem {
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
}
