//! The partner's fleet: its customers, a page at a time
//! ([`list_customers_page`](PartnerCenterClient::list_customers_page)) or as one stream
//! that follows the pages ([`customers`](PartnerCenterClient::customers)), and a customer's
//! agreements ([`get_customer_agreements`](PartnerCenterClient::get_customer_agreements)).

use std::num::NonZeroU32;

use futures_util::{Stream, StreamExt, stream};
use pc_upgrade_types::{AgreementCollection, Customer, CustomerCollection, SeekOperation};
use uuid::Uuid;

use crate::client::{CallOptions, PartnerCenterClient, WithInfo};
use crate::error::Error;

/// The code of the `400` Partner Center answers a request for the page after the last one
/// with (as Microsoft's bulk migration tool reads it).
const PAST_THE_END: i64 = 2000;

/// The agreement the Azure plan needs.
pub const MICROSOFT_CUSTOMER_AGREEMENT: &str = "MicrosoftCustomerAgreement";

/// Where a walk through the pages is.
enum Next {
    First,
    After(String),
    Done,
}

impl PartnerCenterClient {
    /// One page of the partner's customers (`GET /v1/customers?size=`): the first, or with
    /// `token` (a page's `continuationToken`) the page after it (`seekOperation=Next`,
    /// `MS-ContinuationToken`).
    ///
    /// # Errors
    /// [`Error`], which says what failed and carries the call's ids; a token that is no
    /// valid header value is [`Error::InvalidRequest`].
    pub async fn list_customers_page(
        &self,
        size: NonZeroU32,
        token: Option<&str>,
        options: CallOptions,
    ) -> Result<WithInfo<CustomerCollection>, Error> {
        let seek = token.map(|_| SeekOperation::Next);
        let call = self
            .call("list_customers", &options)
            .with_continuation(token);
        let (value, info) = call
            .run(|client| async move { client.list_customers(seek.as_ref(), size).await })
            .await?;
        Ok(WithInfo {
            value: value.into_inner(),
            call: *info,
        })
    }

    /// Every customer of the partner, page after page of `size` (Partner Center may give
    /// fewer), each page a call with the client's sign-in, retries and rate limit. The
    /// list ends with a page that names no next one (no `continuationToken`, no
    /// `links.next`), or with the `400` code 2000 Partner Center answers past the last
    /// page. A failed page ends the stream with its error.
    pub fn customers(
        &self,
        size: NonZeroU32,
    ) -> impl Stream<Item = Result<Customer, Error>> + Send + '_ {
        stream::unfold(Next::First, move |next| async move {
            let token = match next {
                Next::Done => return None,
                Next::First => None,
                Next::After(token) => Some(token),
            };
            let page = self.list_customers_page(size, token.as_deref(), CallOptions::default());
            match page.await {
                Ok(page) => {
                    let next = next_token(&page.value).map_or(Next::Done, Next::After);
                    Some((Ok(page.value.items), next))
                }
                Err(error) if token.is_some() && is_past_the_end(&error) => None,
                Err(error) => Some((Err(error), Next::Done)),
            }
        })
        .flat_map(|page| {
            let items: Vec<Result<Customer, Error>> = match page {
                Ok(items) => items.into_iter().map(Ok).collect(),
                Err(error) => vec![Err(error)],
            };
            stream::iter(items)
        })
    }

    /// The customer's acceptances of an agreement
    /// (`GET /v1/customers/{customer-tenant-id}/agreements?agreementType=`):
    /// [`MICROSOFT_CUSTOMER_AGREEMENT`] for the one the Azure plan needs; none, and the
    /// service answers Microsoft Cloud Agreement records.
    ///
    /// # Errors
    /// [`Error`], which says what failed and carries the call's ids.
    pub async fn get_customer_agreements(
        &self,
        customer: Uuid,
        agreement_type: Option<&str>,
    ) -> Result<AgreementCollection, Error> {
        let call = self.call("get_customer_agreements", &CallOptions::default());
        let (value, _) = call
            .run(|client| async move {
                client
                    .get_customer_agreements(&customer, agreement_type)
                    .await
            })
            .await?;
        Ok(value.into_inner())
    }
}

/// The token of the page after `page`: its `continuationToken`, else the
/// `MS-ContinuationToken` its `links.next` sends.
fn next_token(page: &CustomerCollection) -> Option<String> {
    let token = page.continuation_token.clone().filter(|t| !t.is_empty());
    token.or_else(|| {
        let headers = page.links.get("next")?.get("headers")?.as_array()?;
        headers
            .iter()
            .find(|h| {
                (h.get("key").and_then(|k| k.as_str()))
                    .is_some_and(|k| k.eq_ignore_ascii_case("MS-ContinuationToken"))
            })
            .and_then(|h| h.get("value")?.as_str())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    })
}

/// Whether `error` is the `400` code 2000 past the last page.
fn is_past_the_end(error: &Error) -> bool {
    let code = error.code().and_then(|c| c.number());
    error.status().map(|s| s.as_u16()) == Some(400) && code == Some(PAST_THE_END)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_named_by_the_token_or_by_links_next() {
        let page = |json: &str| serde_json::from_str::<CustomerCollection>(json).unwrap();
        assert_eq!(
            next_token(&page(r#"{"items": [], "continuationToken": "a,1"}"#)).as_deref(),
            Some("a,1")
        );
        let linked = r#"{"items": [], "links": {"next": {"uri": "/customers?size=2&seekOperation=Next",
            "method": "GET", "headers": [{"key": "MS-ContinuationToken", "value": "b,2"}]}}}"#;
        assert_eq!(next_token(&page(linked)).as_deref(), Some("b,2"));
        assert_eq!(
            next_token(&page(r#"{"items": [], "continuationToken": ""}"#)),
            None
        );
        assert_eq!(next_token(&page(r#"{"items": []}"#)), None);
    }
}
