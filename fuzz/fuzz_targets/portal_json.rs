//! The portal's JSON bodies (crates/portal/src/types.rs): every request body the local portal
//! accepts and every response body the client reads.
//!
//! Properties: deserializing any bytes as any of them never panics; what deserializes
//! serializes, deserializes again and serializes to the same bytes (and compares equal where
//! the type has `PartialEq`).
#![no_main]

// The one place naming where the DTOs live (moving to a `native` module).
use gopay_miniapp_portal::native::wire::*;

use gopay_miniapp_portal::{ReleaseState, Step};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Round trip through serde_json; returns the value read back when `data` was one.
fn round_trip<T: DeserializeOwned + Serialize>(data: &[u8]) -> Option<(T, T)> {
    let first: T = serde_json::from_slice(data).ok()?;
    let bytes = serde_json::to_vec(&first).expect("a value read from JSON serializes");
    let second: T = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{} does not read back its own JSON {}: {e}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&bytes)
        )
    });
    let again = serde_json::to_vec(&second).unwrap();
    assert_eq!(
        bytes,
        again,
        "{} serializes differently after a round trip",
        std::any::type_name::<T>()
    );
    Some((first, second))
}

fn same<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Some((first, second)) = round_trip::<T>(data) {
        assert_eq!(first, second);
    }
}

macro_rules! check {
    ($data:expr; eq: $($eq:ty),*; other: $($other:ty),*) => {
        $(same::<$eq>($data);)*
        $(let _ = round_trip::<$other>($data);)*
    };
}

fuzz_target!(|data: &[u8]| {
    check!(data;
        eq: User, Space, MiniApp, TargetApp, Version, Release, TemporaryCode, ErrorBody,
            UploadState, ReleaseState, Step;
        other: LoginRequest, TokenPair, RefreshRequest, DeviceAuthorizationRequest,
            DeviceAuthorization, DeviceTokenRequest, AccessToken, CreateAccessTokenRequest,
            CreatedAccessToken, AccessTokenList, SpaceList, MiniAppList, TargetAppList,
            VersionList, CreateUploadRequest, Upload, ChunkReceipt, ReleaseList,
            CreateReleaseRequest, TemporaryCodeRequest, ApplyRequest, RejectRequest,
            WhitelistRequest, GrayscaleRequest, RollbackRequest, LiveChange, AuditEntry,
            AuditLog, ErrorEnvelope
    );
});
