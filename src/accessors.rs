//! Per-message accessors generated from the protos: where a request keeps its `user_app_id`
//! (254 request types have one, not always as field 1), and where a response keeps its `status`.

use crate::api::UserAppIdSet;
use crate::api::status::Status;

/// A request message that may name the user and app it acts on.
pub trait UserAppScoped {
    /// The `user_app_id` field, or `None` when this request type has none.
    fn user_app_id_mut(&mut self) -> Option<&mut Option<UserAppIdSet>>;

    /// Fills `user_app_id` from `default` when the caller left it empty (unset, or both ids
    /// empty). A caller's non-empty value is never changed. Returns whether it filled it.
    fn fill_user_app_id(&mut self, default: &UserAppIdSet) -> bool {
        match self.user_app_id_mut() {
            Some(slot) if is_unset(slot) => {
                *slot = Some(default.clone());
                true
            }
            _ => false,
        }
    }
}

/// Whether a `user_app_id` was left for the client to fill: unset, or both ids empty.
pub(crate) fn is_unset(slot: &Option<UserAppIdSet>) -> bool {
    slot.as_ref()
        .is_none_or(|ids| ids.user_id.is_empty() && ids.app_id.is_empty())
}

/// A response message carrying Clarifai's in-band status.
pub trait ClarifaiResponse {
    /// The field number of `status` (1 in all but a few types), or 0 when the type has none.
    #[doc(hidden)]
    const STATUS_FIELD: u32;

    /// The `status` field, or `None` when the type has none or it is unset.
    fn status(&self) -> Option<&Status>;

    /// The `status` field's slot, or `None` when the type has none.
    fn status_mut(&mut self) -> Option<&mut Option<Status>>;
}

/// A List request with `page` and `per_page`, as the `list_*_stream` helpers need.
pub trait Paged: Clone {
    /// The 1-based page.
    fn page(&self) -> u32;
    /// Sets the page.
    fn set_page(&mut self, page: u32);
    /// Items per page.
    fn per_page(&self) -> u32;
    /// Sets the items per page.
    fn set_per_page(&mut self, per_page: u32);
}

include!(concat!(env!("OUT_DIR"), "/scoped.rs"));
