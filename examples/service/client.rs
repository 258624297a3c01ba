//! A small HTTP client over hyper, shared by the service's operations.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Empty<Bytes>>,
}

/// A response read to the end.
pub struct Fetched {
    pub status: u16,
    pub body: Bytes,
}

impl Http {
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    pub async fn get(&self, url: &str) -> Result<Fetched, String> {
        self.get_from(url, None).await
    }

    /// A GET that names the client it is made for (`x-client-ip`).
    pub async fn get_from(&self, url: &str, client_ip: Option<&str>) -> Result<Fetched, String> {
        let uri: hyper::Uri = url.parse().map_err(|e| format!("bad url {url}: {e}"))?;
        let mut request = hyper::Request::get(uri);
        if let Some(ip) = client_ip {
            request = request.header("x-client-ip", ip);
        }
        let request = request.body(Empty::new()).map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body failed: {e}"))?
            .to_bytes();
        Ok(Fetched { status, body })
    }
}
