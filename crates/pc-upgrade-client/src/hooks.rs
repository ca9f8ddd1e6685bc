//! The progenitor hooks of the generated client: they add the Partner Center headers the
//! call's [`CallContext`] holds, record the request on the call's span when one listens,
//! and cap the answer's body as it is read. Nothing else: deciding what a call does is the
//! attempt loop's job (`call`).

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{self, HeaderValue};

use crate::body::capped;
use crate::context::{CallContext, names};
use crate::generated::Client;

impl ClientHooks<CallContext> for Client {
    /// Adds the Partner Center headers; removes progenitor's `api-version`.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let CallContext {
            shared,
            headers: call,
        } = self.inner();
        let headers = request.headers_mut();
        headers.remove(names::API_VERSION);
        headers.insert(header::AUTHORIZATION, call.authorization.clone());
        headers.insert(names::MS_REQUEST_ID, call.request_id.clone());
        headers.insert(names::MS_CORRELATION_ID, call.correlation_id.clone());
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(names::X_LOCALE, shared.locale.clone());
        headers.insert(names::MS_CONTRACT_VERSION, HeaderValue::from_static("v1"));
        if let Some(vector) = &call.correlation_vector {
            headers.insert(names::MS_CV, vector.clone());
        }
        if let Some(token) = &call.continuation {
            headers.insert(names::MS_CONTINUATION_TOKEN, token.clone());
        }
        if let Some(application) = &shared.application {
            headers.insert(names::MS_PARTNER_CENTER_APPLICATION, application.clone());
        }
        // Observed, not changed: OpenTelemetry's request attributes (the URL holds no
        // secret: ids and paging only).
        if let Some(span) = &call.traced {
            let url = request.url();
            span.record("http.request.method", request.method().as_str());
            span.record("url.full", url.as_str());
            if let Some(host) = url.host_str() {
                span.record("server.address", host);
            }
            if let Some(port) = url.port_or_known_default() {
                span.record("server.port", port);
            }
        }
        Ok(())
    }

    /// Sends the request; the answer's body is capped at the configured size as it is read.
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        Ok(capped(response, self.inner().shared.max_response_bytes))
    }
}
