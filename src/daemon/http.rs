//! The daemon's HTTP listener on a thread of its own, at a lower CPU priority than
//! polling.
//!
//! Page loads never wait for a poll's writes (they read through their own connection),
//! but on a small machine they still compete with a poll for the cores: 50 page loads
//! always in flight took a 10%-changed poll of the bench farm from 0.26 s to 0.83 s
//! (`benches/page_load.py`). Served from a thread with a higher nice value (and the
//! threads it starts, which inherit it), pages get the CPU a poll leaves; a poll keeps
//! its pace, and a page waits at most for the poll's fraction of a second.

use axum::Router;
use tokio::sync::watch;

/// The nice value of the listener's threads (polls run at the process's own, 0 by
/// default): under contention Linux gives them about a tenth of a poll thread's share.
const PAGE_NICE: i32 = 10;

/// Serves `app` on `listener` from a new thread until `stop` turns true.
pub(super) fn serve(
    listener: std::net::TcpListener,
    app: Router,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<std::thread::JoinHandle<std::io::Result<()>>> {
    std::thread::Builder::new()
        .name("gleaner-http".into())
        .spawn(move || {
            lower_priority();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .thread_name("gleaner-http")
                .build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await
            })
        })
}

/// Raises the calling thread's nice value. Linux keeps it per thread (not per
/// process, as POSIX has it), and threads inherit their creator's: the runtime's
/// blocking threads, where pages are read and rendered, get it too.
fn lower_priority() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: setpriority only changes the calling thread's scheduling weight.
        let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, PAGE_NICE) };
        if done != 0 {
            tracing::warn!(
                error = %std::io::Error::last_os_error(),
                "cannot lower the review page's CPU priority; pages compete with polls"
            );
        }
    }
}
