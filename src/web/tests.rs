//! The listener's tests that need it running: a real axum server on 127.0.0.1 over a
//! real SQLite file.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::guard::Secrets;
use super::metrics::Metrics;
use super::readers::Readers;
use super::server::{PollClock, ServerState, router};
use crate::config::Config;

/// A plain GET; returns the status.
fn get(addr: std::net::SocketAddr, path: &str) -> u16 {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Page loads once shared one lock with the polls' writes, and waited for whole
/// group commits (50 concurrent loads made polls 50 times slower). The page reads
/// through a connection of its own: it answers while the writer is held, as a poll's
/// store thread holds it.
#[test]
fn pages_answer_while_a_poll_holds_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::from_str(&dir.path().join("feeds.toml"), "").unwrap();
    let path = dir.path().join("gleaner.db");
    let writer = Arc::new(Mutex::new(crate::app::open_store(&config, &path).unwrap()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let now = crate::clock::now();
    let state = Arc::new(ServerState {
        metrics: Arc::new(Metrics::new()),
        clock: Arc::new(PollClock::new(
            now,
            |t| Some(t + chrono::Duration::minutes(30)),
            chrono::Duration::minutes(5),
        )),
        store: writer.clone(),
        readers: Readers::open(&path, 2).unwrap(),
        config: Arc::new(Mutex::new(Arc::new(config))),
        token: None,
        secrets: Secrets::derive("secret", None),
        bound: addr,
        own_writes: Default::default(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(listener, router(state)).await.unwrap();
    });

    let held = writer.lock().unwrap();
    for path in ["/", "/draft", "/healthz", "/shortlist.atom"] {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(get(addr, path)));
        let status = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{path} waited for the writer"));
        assert_eq!(status, 200, "{path}");
    }
    drop(held);
    runtime.shutdown_background();
}
