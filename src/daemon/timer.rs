//! Cron schedules that keep to the configured zone across daylight-saving changes.
//!
//! tokio-cron-scheduler stores a job's zone as a fixed offset when the job is created
//! (upstream #107), so a repeating job fires an hour off after a DST change. Each
//! firing here is instead a one-shot job armed for the next time the cron expression
//! matches in the real zone ([`next_cron`], which follows the zone's rules), and the
//! job arms the next one as it fires, before its work starts: a slow run never delays
//! the next slot (the daemon skips a slot that finds the previous run still going).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::clock;
use crate::config::next_cron;

/// Arming a firing: when it will be, once armed.
pub type Armed = Pin<Box<dyn Future<Output = anyhow::Result<Option<DateTime<Utc>>>> + Send>>;

/// One firing's work, under way.
pub type Firing = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a firing runs, given the slot it was armed for.
pub type Work = Arc<dyn Fn(DateTime<Utc>) -> Firing + Send + Sync>;

/// A cron expression in a zone, with what to run at each firing.
#[derive(Clone)]
pub struct Recurring {
    /// For logs: `poll`, `shortlist`.
    pub name: &'static str,
    pub cron: String,
    pub zone: chrono_tz::Tz,
    pub work: Work,
}

impl Recurring {
    /// `run` on `target` at each firing of `cron` in `zone`.
    pub fn new<T: Send + Sync + 'static>(
        name: &'static str,
        cron: String,
        zone: chrono_tz::Tz,
        target: &Arc<T>,
        run: fn(Arc<T>, DateTime<Utc>) -> Firing,
    ) -> Recurring {
        let target = target.clone();
        Recurring {
            name,
            cron,
            zone,
            work: Arc::new(move |slot| run(target.clone(), slot)),
        }
    }

    /// Arms the next firing after now; returns when it will be, or `None` when the
    /// expression never fires again.
    pub fn arm(self, scheduler: JobScheduler) -> Armed {
        self.arm_after(scheduler, clock::now())
    }

    /// Arms the next firing after `after` (a firing arms the one after itself: the
    /// timer may wake a moment before the clock reaches the slot).
    fn arm_after(self, scheduler: JobScheduler, after: DateTime<Utc>) -> Armed {
        // Boxed as `Send` by hand: the compiler cannot see through a future that arms
        // (and so contains) the next one.
        Box::pin(self.arm_next(scheduler, after))
    }

    async fn arm_next(
        self,
        scheduler: JobScheduler,
        after: DateTime<Utc>,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let now = clock::now();
        let Some(at) = next_cron(&self.cron, self.zone, after.max(now)) else {
            tracing::warn!(schedule = self.name, cron = %self.cron, "the schedule never fires again");
            return Ok(None);
        };
        let wait = (at - now).to_std().unwrap_or(Duration::ZERO);
        let name = self.name;
        let job = Job::new_one_shot_async(wait, move |_, scheduler| {
            let next = self.clone();
            Box::pin(async move {
                let work = next.work.clone();
                if let Err(err) = next.arm_after(scheduler, at).await {
                    tracing::error!(error = %format!("{err:#}"), "cannot arm the next firing");
                }
                work(at).await;
            })
        })?;
        scheduler.add(job).await?;
        tracing::info!(schedule = name, next = %crate::model::rfc3339(at), "next firing armed");
        Ok(Some(at))
    }
}
