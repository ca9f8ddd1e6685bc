//! The operations of [`PartnerCenterClient`], each plain and with per-call options
//! (`*_with`): eligibility, the create (and the body its `202` may carry: [`Created`]), the
//! status, the upgrade at its `Location` (the REST reference's fourth operation), and a
//! customer's subscriptions, to check what an upgrade moved.

use bytes::Bytes;
use pc_upgrade_types::{
    LocationError, ProductUpgradeRequest, ProductUpgradesEligibility, ProductUpgradesStatus,
    SubscriptionCollection, UpgradeId,
};
use reqwest::header::{HeaderMap, LOCATION};
use uuid::Uuid;

use crate::body;
use crate::client::{CallOptions, PartnerCenterClient, WithInfo};
use crate::error::Error;

/// An upgrade just created: its id, from the `Location`, and the status the `202` carried
/// if it carried one (the pages show none).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Created {
    /// The new upgrade.
    pub upgrade: UpgradeId,
    /// Its status, when the `202` had a body that is one.
    pub status: Option<Box<ProductUpgradesStatus>>,
}

impl PartnerCenterClient {
    /// Checks whether the customer can be upgraded to the product family
    /// (`POST /v1/productUpgrades/eligibility`).
    ///
    /// # Errors
    /// [`Error`], which says what failed and carries the call's ids: see its variants.
    pub async fn check_eligibility(
        &self,
        request: &ProductUpgradeRequest,
    ) -> Result<ProductUpgradesEligibility, Error> {
        Ok(self
            .check_eligibility_with(request, CallOptions::default())
            .await?
            .value)
    }

    /// [`check_eligibility`](Self::check_eligibility) with per-call options; the answer comes
    /// with its [`CallInfo`](crate::CallInfo).
    ///
    /// # Errors
    /// As [`check_eligibility`](Self::check_eligibility).
    pub async fn check_eligibility_with(
        &self,
        request: &ProductUpgradeRequest,
        options: CallOptions,
    ) -> Result<WithInfo<ProductUpgradesEligibility>, Error> {
        let call = self.call("check_eligibility", &options);
        let (value, info) = call
            .run(|client| async move { client.check_eligibility(request).await })
            .await?;
        Ok(WithInfo {
            value: value.into_inner(),
            call: *info,
        })
    }

    /// Starts the upgrade (`POST /v1/productupgrades`) and returns its id, read from the
    /// `Location` of the `202 Accepted`.
    ///
    /// # Errors
    /// [`Error`], as for every call; and [`Error::MissingLocation`] or
    /// [`Error::InvalidLocation`] for a `202` that names no upgrade (none, two, or not a GUID).
    /// A refusal because the customer already has an upgrade names it: see
    /// [`Error::existing_upgrade`].
    pub async fn create_product_upgrade(
        &self,
        request: &ProductUpgradeRequest,
    ) -> Result<UpgradeId, Error> {
        Ok(self
            .create_product_upgrade_with(request, CallOptions::default())
            .await?
            .value)
    }

    /// [`create_product_upgrade`](Self::create_product_upgrade) with per-call options; the
    /// answer comes with its [`CallInfo`](crate::CallInfo). Choose the `MS-RequestId`
    /// ([`CallOptions::request_id`]) and record it before the call, and a create repeated
    /// after a crash is the same create to Partner Center.
    ///
    /// # Errors
    /// As [`create_product_upgrade`](Self::create_product_upgrade).
    pub async fn create_product_upgrade_with(
        &self,
        request: &ProductUpgradeRequest,
        options: CallOptions,
    ) -> Result<WithInfo<UpgradeId>, Error> {
        let created = self.create(request, options, false).await?;
        Ok(WithInfo {
            value: created.value.upgrade,
            call: created.call,
        })
    }

    /// [`create_product_upgrade_with`](Self::create_product_upgrade_with), keeping the body
    /// the `202 Accepted` may carry: the new upgrade's status, which the REST reference
    /// types and the pages do not show. A body that is absent, or not a status, is left
    /// out (the upgrade exists all the same: its `Location` named it).
    ///
    /// # Errors
    /// As [`create_product_upgrade`](Self::create_product_upgrade).
    pub async fn create_product_upgrade_entity(
        &self,
        request: &ProductUpgradeRequest,
        options: CallOptions,
    ) -> Result<WithInfo<Created>, Error> {
        self.create(request, options, true).await
    }

    /// The create; its `202`'s body decoded if `keep`.
    async fn create(
        &self,
        request: &ProductUpgradeRequest,
        options: CallOptions,
        keep: bool,
    ) -> Result<WithInfo<Created>, Error> {
        let call = self.call("create_product_upgrade", &options);
        let (value, info) = call
            .run(|client| async move { client.create_product_upgrade(request).await })
            .await?;
        let upgrade = match location(value.headers()) {
            Ok(upgrade) => upgrade,
            Err(None) => return Err(Error::MissingLocation { call: info }),
            Err(Some(source)) => return Err(Error::InvalidLocation { call: info, source }),
        };
        // The upgrade is the `Location`'s whatever the body: one that cannot be read within
        // an attempt's time (cut short, over the size limit, never ending) is left out. It
        // is read even when not kept, so that the connection can serve the next call.
        let read = tokio::time::timeout(self.attempt_limit(), body::read(value.into_inner()));
        let body = match read.await {
            Ok(Ok(body)) => body,
            Ok(Err(error)) => {
                tracing::warn!(%error, "the 202's body could not be read: left out");
                Bytes::new()
            }
            Err(_) => {
                tracing::warn!("the 202's body did not come within an attempt's time: left out");
                Bytes::new()
            }
        };
        let status = (keep && !body.trim_ascii().is_empty())
            .then(|| serde_json::from_slice::<ProductUpgradesStatus>(&body))
            .and_then(|parsed| match parsed {
                Ok(status) => Some(Box::new(status)),
                Err(error) => {
                    tracing::warn!(%error, "the 202's body is not an upgrade status: left out");
                    None
                }
            });
        Ok(WithInfo {
            value: Created { upgrade, status },
            call: *info,
        })
    }

    /// Reads the status of an upgrade (`POST /v1/productUpgrades/{upgrade-id}/status`). The
    /// body names the customer and product family of the upgrade.
    ///
    /// # Errors
    /// [`Error`], which says what failed and carries the call's ids: see its variants.
    pub async fn get_product_upgrade_status(
        &self,
        upgrade: UpgradeId,
        request: &ProductUpgradeRequest,
    ) -> Result<ProductUpgradesStatus, Error> {
        Ok(self
            .get_product_upgrade_status_with(upgrade, request, CallOptions::default())
            .await?
            .value)
    }

    /// [`get_product_upgrade_status`](Self::get_product_upgrade_status) with per-call
    /// options; the answer comes with its [`CallInfo`](crate::CallInfo).
    ///
    /// # Errors
    /// As [`get_product_upgrade_status`](Self::get_product_upgrade_status).
    pub async fn get_product_upgrade_status_with(
        &self,
        upgrade: UpgradeId,
        request: &ProductUpgradeRequest,
        options: CallOptions,
    ) -> Result<WithInfo<ProductUpgradesStatus>, Error> {
        let call = self.call("get_product_upgrade_status", &options);
        let (value, info) = call
            .run(|client| async move {
                client
                    .get_product_upgrade_status(upgrade.as_uuid(), request)
                    .await
            })
            .await?;
        Ok(WithInfo {
            value: value.into_inner(),
            call: *info,
        })
    }

    /// Reads an upgrade at the address its create's `Location` names
    /// (`POST /v1/productUpgrades/{upgrade-id}`), answered as its status. Partner Center's
    /// REST reference documents it; the pages document the `/status` path
    /// ([`get_product_upgrade_status`](Self::get_product_upgrade_status)), which gives the
    /// same answer.
    ///
    /// # Errors
    /// [`Error`], which says what failed and carries the call's ids: see its variants.
    pub async fn get_product_upgrade(
        &self,
        upgrade: UpgradeId,
        request: &ProductUpgradeRequest,
    ) -> Result<ProductUpgradesStatus, Error> {
        Ok(self
            .get_product_upgrade_with(upgrade, request, CallOptions::default())
            .await?
            .value)
    }

    /// [`get_product_upgrade`](Self::get_product_upgrade) with per-call options; the answer
    /// comes with its [`CallInfo`](crate::CallInfo).
    ///
    /// # Errors
    /// As [`get_product_upgrade`](Self::get_product_upgrade).
    pub async fn get_product_upgrade_with(
        &self,
        upgrade: UpgradeId,
        request: &ProductUpgradeRequest,
        options: CallOptions,
    ) -> Result<WithInfo<ProductUpgradesStatus>, Error> {
        let call = self.call("get_product_upgrade", &options);
        let (value, info) =
            call.run(|client| async move {
                client.get_product_upgrade(upgrade.as_uuid(), request).await
            })
            .await?;
        Ok(WithInfo {
            value: value.into_inner(),
            call: *info,
        })
    }

    /// Lists every subscription of the customer
    /// (`GET /v1/customers/{customer-tenant-id}/subscriptions`): after an upgrade, each
    /// legacy Azure subscription it moved is suspended and an Azure plan subscription is
    /// active.
    ///
    /// # Errors
    /// [`Error`], which says what failed and carries the call's ids: see its variants.
    pub async fn get_customer_subscriptions(
        &self,
        customer: Uuid,
    ) -> Result<SubscriptionCollection, Error> {
        Ok(self
            .get_customer_subscriptions_with(customer, CallOptions::default())
            .await?
            .value)
    }

    /// [`get_customer_subscriptions`](Self::get_customer_subscriptions) with per-call
    /// options; the answer comes with its [`CallInfo`](crate::CallInfo).
    ///
    /// # Errors
    /// As [`get_customer_subscriptions`](Self::get_customer_subscriptions).
    pub async fn get_customer_subscriptions_with(
        &self,
        customer: Uuid,
        options: CallOptions,
    ) -> Result<WithInfo<SubscriptionCollection>, Error> {
        let call = self.call("get_customer_subscriptions", &options);
        let (value, info) = call
            .run(|client| async move { client.get_customer_subscriptions(&customer).await })
            .await?;
        Ok(WithInfo {
            value: value.into_inner(),
            call: *info,
        })
    }
}

/// The upgrade a `202`'s `Location` names: `Err(None)` when there is none, the reason when
/// there are two or it is no upgrade's address.
fn location(headers: &HeaderMap) -> Result<UpgradeId, Option<LocationError>> {
    let mut locations = headers.get_all(LOCATION).iter();
    let location = match (locations.next(), locations.count()) {
        (None, _) => return Err(None),
        (Some(location), 0) => location,
        (Some(_), more) => return Err(Some(LocationError::Repeated { count: more + 1 })),
    };
    UpgradeId::from_location(&String::from_utf8_lossy(location.as_bytes())).map_err(Some)
}
