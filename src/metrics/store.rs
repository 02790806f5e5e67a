//! Store latency and errors, measured around whichever engine is configured: a
//! decorator, so that the engines (and `src/store`) know nothing of metrics.

use super::Metrics;
use crate::model::{Cmk, Credential, DataKey, ImportToken, Scope};
use crate::store::{Generation, Snapshot, Store, StoreError, StoreResult};
use async_trait::async_trait;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// A [`Store`] that records each call's latency (`smkms_store_operation_duration_seconds`)
/// and failures (`smkms_store_errors_total`) by operation, the trait method's name,
/// and otherwise does exactly what the engine inside does.
pub struct Measured<S: ?Sized = dyn Store> {
    inner: Arc<S>,
    metrics: Arc<Metrics>,
}

impl<S: Store + ?Sized> Measured<S> {
    pub fn new(inner: Arc<S>, metrics: Arc<Metrics>) -> Self {
        Measured { inner, metrics }
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let started = Instant::now();
        let result = call.await;
        self.metrics.store_call(
            operation,
            started.elapsed().as_secs_f64(),
            result.as_ref().err().map(error_kind),
        );
        result
    }
}

/// The `error` label of a failed call: what kind of failure, never its text.
pub fn error_kind(e: &StoreError) -> &'static str {
    match e {
        StoreError::AliasExists => "alias_exists",
        StoreError::DataKeyNameExists => "data_key_name_exists",
        StoreError::LimitReached(_) => "limit_reached",
        StoreError::AlreadyExists => "already_exists",
        StoreError::NotFound => "not_found",
        StoreError::Conflict => "conflict",
        StoreError::Backend(_) => "backend",
        StoreError::SchemaTooNew { .. } => "schema_too_new",
        StoreError::NotEmpty(_) => "not_empty",
    }
}

#[async_trait]
impl<S: Store + ?Sized> Store for Measured<S> {
    async fn generation(&self) -> Option<Generation> {
        let started = Instant::now();
        let g = self.inner.generation().await;
        self.metrics
            .store_call("generation", started.elapsed().as_secs_f64(), None);
        g
    }

    async fn create_cmk(&self, cmk: &Cmk, material: Option<&[u8]>, limit: u32) -> StoreResult<()> {
        self.timed("create_cmk", self.inner.create_cmk(cmk, material, limit))
            .await
    }

    async fn get_cmk(&self, key_id: &str) -> StoreResult<Option<Cmk>> {
        self.timed("get_cmk", self.inner.get_cmk(key_id)).await
    }

    async fn list_cmks(&self, scope: &Scope) -> StoreResult<Vec<Cmk>> {
        self.timed("list_cmks", self.inner.list_cmks(scope)).await
    }

    async fn count_cmks(&self, scope: &Scope) -> StoreResult<u64> {
        self.timed("count_cmks", self.inner.count_cmks(scope)).await
    }

    async fn update_cmk(&self, cmk: &Cmk) -> StoreResult<Cmk> {
        self.timed("update_cmk", self.inner.update_cmk(cmk)).await
    }

    async fn add_material(&self, cmk: &Cmk, version: u32, sealed: &[u8]) -> StoreResult<Cmk> {
        self.timed(
            "add_material",
            self.inner.add_material(cmk, version, sealed),
        )
        .await
    }

    async fn get_material(&self, key_id: &str, version: u32) -> StoreResult<Option<Vec<u8>>> {
        self.timed("get_material", self.inner.get_material(key_id, version))
            .await
    }

    async fn all_materials(&self) -> StoreResult<Vec<(String, u32, Vec<u8>)>> {
        self.timed("all_materials", self.inner.all_materials())
            .await
    }

    async fn cmks_due_for_deletion(&self, now: i64) -> StoreResult<Vec<Cmk>> {
        self.timed(
            "cmks_due_for_deletion",
            self.inner.cmks_due_for_deletion(now),
        )
        .await
    }

    async fn cmks_due_for_rotation(&self, now: i64) -> StoreResult<Vec<Cmk>> {
        self.timed(
            "cmks_due_for_rotation",
            self.inner.cmks_due_for_rotation(now),
        )
        .await
    }

    async fn destroy_cmk(&self, key_id: &str) -> StoreResult<()> {
        self.timed("destroy_cmk", self.inner.destroy_cmk(key_id))
            .await
    }

    async fn replace_material(&self, cmk: &Cmk, sealed: &[u8]) -> StoreResult<Cmk> {
        self.timed("replace_material", self.inner.replace_material(cmk, sealed))
            .await
    }

    async fn remove_material(&self, cmk: &Cmk) -> StoreResult<Cmk> {
        self.timed("remove_material", self.inner.remove_material(cmk))
            .await
    }

    async fn cmks_with_expired_material(&self, now: i64) -> StoreResult<Vec<Cmk>> {
        self.timed(
            "cmks_with_expired_material",
            self.inner.cmks_with_expired_material(now),
        )
        .await
    }

    async fn put_import_token(&self, token: &ImportToken) -> StoreResult<()> {
        self.timed("put_import_token", self.inner.put_import_token(token))
            .await
    }

    async fn get_import_token(&self, token_id: &str) -> StoreResult<Option<ImportToken>> {
        self.timed("get_import_token", self.inner.get_import_token(token_id))
            .await
    }

    async fn use_import_token(&self, token_id: &str, key_id: &str, now: i64) -> StoreResult<bool> {
        self.timed(
            "use_import_token",
            self.inner.use_import_token(token_id, key_id, now),
        )
        .await
    }

    async fn create_data_key(&self, key: &DataKey, limit: u32) -> StoreResult<()> {
        self.timed("create_data_key", self.inner.create_data_key(key, limit))
            .await
    }

    async fn get_data_key(&self, data_key_id: &str) -> StoreResult<Option<DataKey>> {
        self.timed("get_data_key", self.inner.get_data_key(data_key_id))
            .await
    }

    async fn list_data_keys(&self, scope: &Scope) -> StoreResult<Vec<DataKey>> {
        self.timed("list_data_keys", self.inner.list_data_keys(scope))
            .await
    }

    async fn count_data_keys(&self, account: u64) -> StoreResult<u64> {
        self.timed("count_data_keys", self.inner.count_data_keys(account))
            .await
    }

    async fn update_data_key(&self, key: &DataKey) -> StoreResult<DataKey> {
        self.timed("update_data_key", self.inner.update_data_key(key))
            .await
    }

    async fn data_keys_due_for_deletion(&self, now: i64) -> StoreResult<Vec<DataKey>> {
        self.timed(
            "data_keys_due_for_deletion",
            self.inner.data_keys_due_for_deletion(now),
        )
        .await
    }

    async fn destroy_data_key(&self, data_key_id: &str) -> StoreResult<()> {
        self.timed("destroy_data_key", self.inner.destroy_data_key(data_key_id))
            .await
    }

    async fn put_credential(&self, cred: &Credential) -> StoreResult<()> {
        self.timed("put_credential", self.inner.put_credential(cred))
            .await
    }

    async fn get_credential(&self, secret_id: &str) -> StoreResult<Option<Credential>> {
        self.timed("get_credential", self.inner.get_credential(secret_id))
            .await
    }

    async fn list_credentials(&self) -> StoreResult<Vec<Credential>> {
        self.timed("list_credentials", self.inner.list_credentials())
            .await
    }

    async fn delete_credential(&self, secret_id: &str) -> StoreResult<bool> {
        self.timed("delete_credential", self.inner.delete_credential(secret_id))
            .await
    }

    async fn get_meta(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        self.timed("get_meta", self.inner.get_meta(name)).await
    }

    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> StoreResult<Vec<u8>> {
        self.timed(
            "put_meta_if_absent",
            self.inner.put_meta_if_absent(name, value),
        )
        .await
    }

    async fn remember_nonce(
        &self,
        account: u64,
        key: &[u8; 16],
        expires_at: i64,
        now: i64,
    ) -> StoreResult<Option<bool>> {
        self.timed(
            "remember_nonce",
            self.inner.remember_nonce(account, key, expires_at, now),
        )
        .await
    }

    async fn lead_background(&self) -> StoreResult<bool> {
        self.timed("lead_background", self.inner.lead_background())
            .await
    }

    async fn housekeeping(&self, now: i64) -> StoreResult<()> {
        self.timed("housekeeping", self.inner.housekeeping(now))
            .await
    }

    async fn export(&self) -> StoreResult<Snapshot> {
        self.timed("export", self.inner.export()).await
    }

    async fn import(&self, snapshot: &Snapshot) -> StoreResult<()> {
        self.timed("import", self.inner.import(snapshot)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    /// Calls reach the engine and are measured; a failure is counted by its kind.
    #[tokio::test]
    async fn measures_calls_and_counts_failures() {
        let metrics = Arc::new(Metrics::new());
        let inner: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let store = Measured::new(inner, metrics.clone());
        assert_eq!(store.get_meta("x").await.unwrap(), None);
        assert_eq!(store.put_meta_if_absent("x", b"1").await.unwrap(), b"1");
        assert!(store.generation().await.is_some());
        assert_eq!(
            store
                .destroy_cmk("00000000-0000-4000-8000-000000000000")
                .await
                .err(),
            store
                .inner
                .destroy_cmk("00000000-0000-4000-8000-000000000000")
                .await
                .err(),
            "the decorator answers what the engine answers"
        );
        let text = metrics.openmetrics();
        for line in [
            r#"smkms_store_operation_duration_seconds_count{operation="get_meta"} 1"#,
            r#"smkms_store_operation_duration_seconds_count{operation="put_meta_if_absent"} 1"#,
            r#"smkms_store_operation_duration_seconds_count{operation="generation"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        assert_eq!(error_kind(&StoreError::Backend("x".into())), "backend");
    }
}
