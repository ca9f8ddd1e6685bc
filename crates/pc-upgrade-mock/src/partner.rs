//! The partner's side of the fleet: the list of customers a page at a time as Partner
//! Center pages it (fewer items than asked, a token valid only with `seekOperation=Next`,
//! either end; `profile` holds the settings), and a customer's
//! agreements (the Microsoft Customer Agreement when asked for it, Microsoft Cloud
//! Agreement records when not).

use crate::answers;
use crate::fleet::Customer;
use crate::profile::{ListEnd, Listing, ScriptedProfile};
use crate::response::MockResponse;
use serde_json::{Value, json};

impl Customer {
    /// Who the customer is in the partner's list.
    pub fn profile(mut self, profile: ScriptedProfile) -> Self {
        self.profile = Some(profile);
        self
    }
}

impl crate::fleet::Fleet {
    /// How the partner's list is paged, and how often a call answers `500`.
    pub fn listing(mut self, listing: Listing) -> Self {
        self.listing = listing;
        self
    }
}

/// The profile a customer has, scripted or made up from its id.
fn profile_of(customer: &Customer) -> ScriptedProfile {
    customer.profile.clone().unwrap_or_else(|| {
        let short = &customer.customer_id.simple().to_string()[..8];
        ScriptedProfile::new(
            format!("Customer {short}"),
            format!("c{short}.onmicrosoft.com"),
        )
    })
}

/// The token of the page that starts at `offset`.
fn token(offset: usize) -> String {
    format!("pc-upgrade-mock,{offset:016}")
}

fn offset_of(token: &str) -> Option<usize> {
    token.strip_prefix("pc-upgrade-mock,")?.parse().ok()
}

/// One page of `customers` for a request with this query and `MS-ContinuationToken`.
pub(crate) fn page(
    listing: &Listing,
    customers: &[&Customer],
    query: Option<&str>,
    continuation: Option<&str>,
) -> MockResponse {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let next = get("seekoperation").is_some_and(|s| s.eq_ignore_ascii_case("Next"));
    let offset = match (next, continuation) {
        (false, None) => 0,
        (true, Some(token)) => match offset_of(token) {
            Some(offset) if offset >= customers.len() => {
                return answers::partner_center_error(400, 2000, "No more customers to read.");
            }
            Some(offset) => offset,
            None => return answers::partner_center_error(400, 3000, "The token is not valid."),
        },
        _ => {
            return answers::partner_center_error(
                400,
                3000,
                "seekOperation=Next and MS-ContinuationToken go together.",
            );
        }
    };
    let size = get("size")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(100);
    let end = (offset + size.min(listing.max_page_size).max(1)).min(customers.len());
    let items: Vec<Value> = customers[offset..end]
        .iter()
        .map(|c| customer_json(c))
        .collect();
    let mut body = json!({
        "totalCount": items.len(), "items": items, "attributes": {"objectType": "Collection"},
    });
    let more = end < customers.len() || listing.end == ListEnd::Error2000;
    if more {
        let token = token(end);
        body["links"] = json!({"next": {
            "uri": format!("/customers?size={size}&seekOperation=Next"), "method": "GET",
            "headers": [{"key": "MS-ContinuationToken", "value": token}],
        }});
        body["continuationToken"] = json!(token);
    }
    MockResponse::json(200, body.to_string())
}

fn customer_json(customer: &Customer) -> Value {
    let profile = profile_of(customer);
    json!({
        "id": customer.customer_id,
        "companyProfile": {
            "tenantId": customer.customer_id, "domain": profile.domain,
            "companyName": profile.company_name,
        },
        "relationshipToPartner": profile.relationship,
        "attributes": {"objectType": "Customer"},
    })
}

/// A customer's agreements of the type the query asks (Microsoft Cloud Agreement records
/// when it names none).
pub(crate) fn agreements(customer: &Customer, query: Option<&str>) -> MockResponse {
    let asked = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("agreementType"))
        .map(|(_, v)| v.into_owned());
    let mca = asked.is_some_and(|a| a.eq_ignore_ascii_case("MicrosoftCustomerAgreement"));
    let profile = profile_of(customer);
    let (kind, agreed) = match mca {
        true => ("MicrosoftCustomerAgreement", profile.mca_agreed),
        false => (
            "MicrosoftCloudAgreement",
            Some("2018-01-01T00:00:00Z".to_owned()),
        ),
    };
    let items: Vec<Value> = agreed
        .into_iter()
        .map(|date| {
            json!({
                "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9", "dateAgreed": date,
                "type": kind, "primaryContact": {"firstName": "Ana", "lastName": "Bowman"},
                "attributes": {"objectType": "Agreement"},
            })
        })
        .collect();
    let body = json!({
        "totalCount": items.len(), "items": items, "attributes": {"objectType": "Collection"},
    });
    MockResponse::json(200, body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn body(answer: &MockResponse) -> Value {
        match &answer.body {
            crate::response::MockBody::Bytes(bytes) => serde_json::from_slice(bytes).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pages_hold_at_most_the_cap_and_a_token_needs_seek_next() {
        let customers: Vec<Customer> = (0..7u128)
            .map(|n| Customer::new(Uuid::from_u128(n + 1)))
            .collect();
        let all: Vec<&Customer> = customers.iter().collect();
        let listing = Listing {
            max_page_size: 3,
            ..Listing::default()
        };
        let first = body(&page(&listing, &all, Some("size=5"), None));
        assert_eq!(first["items"].as_array().unwrap().len(), 3);
        let first_token = first["continuationToken"].as_str().unwrap().to_owned();
        assert_eq!(
            page(&listing, &all, Some("size=5"), Some(&first_token)).status,
            400
        );
        let last = body(&page(
            &listing,
            &all,
            Some("size=5&seekOperation=Next"),
            Some(&token(6)),
        ));
        assert_eq!(last["items"].as_array().unwrap().len(), 1);
        assert!(last.get("continuationToken").is_none());
        let ending = Listing {
            end: ListEnd::Error2000,
            ..listing
        };
        let last = body(&page(
            &ending,
            &all,
            Some("seekOperation=Next"),
            Some(&token(6)),
        ));
        let past = last["continuationToken"].as_str().unwrap();
        let answer = page(&ending, &all, Some("seekOperation=Next"), Some(past));
        assert_eq!(
            (answer.status, body(&answer)["code"].clone()),
            (http::StatusCode::BAD_REQUEST, json!(2000))
        );
    }
}
