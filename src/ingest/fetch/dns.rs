//! Name resolution for every request gleaner makes: the system's, except that names
//! under `.invalid` (RFC 6761 reserves them never to resolve) are answered at once,
//! without asking the network.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The addresses `host` resolves to.
pub(super) async fn lookup(host: &str) -> std::io::Result<Vec<SocketAddr>> {
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    if name == "invalid" || name.ends_with(".invalid") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "failed to lookup address information: the .invalid domain never resolves (RFC 6761)",
        ));
    }
    Ok(tokio::net::lookup_host((host, 0)).await?.collect())
}

/// [`lookup`] as reqwest's resolver, for feeds.
pub(super) struct System;

impl Resolve for System {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = lookup(&host).await?;
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn invalid_names_fail_without_the_network_and_loopback_resolves() {
        for name in ["does-not-exist.invalid", "a.b.INVALID.", "invalid"] {
            let err = lookup(name).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{name}");
        }
        let found = lookup("127.0.0.1").await.unwrap();
        assert!(found.iter().all(|a| a.ip().is_loopback()));
    }
}
