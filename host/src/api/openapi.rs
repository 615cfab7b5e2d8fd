//! `GET /v1/openapi.json`: the OpenAPI document of the REST API.
//!
//! The operations are declared here, on empty marker functions, rather than on the
//! handlers: the handlers stay plain axum and the whole document reads in one place. The
//! test below keeps it true: every `/v1` route of [`super::router`] must be in the
//! document and every documented path must be routed. The end-to-end test
//! `tests/e2e/openapi.rs` runs schemathesis against a live host with it.
//!
//! The schemas come from the `edge-wire` types (`ToSchema` behind its `openapi` feature),
//! so a field added there shows up here without an edit.

// The marker functions and the mirror types exist only for the document: nothing calls or
// builds them.
#![allow(dead_code)]

use std::sync::LazyLock;

use axum::Json;
use edge_wire::{
    ComponentConfig, ComponentInfo, ErrorResponse, EventKind, ExecutorList, JobAccepted, JobList, JobRecord,
    JobRequest, JobStatus,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The document, built once.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

/// `GET /v1/openapi.json`.
pub async fn document() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&DOCUMENT)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "edge",
        description = "Run WebAssembly components as sandboxed jobs over NATS JetStream. \
            Error answers are `{\"error\": {\"code\", \"message\"}}` (`ErrorResponse`), except the \
            plain-text refusal of a request to `/v1/ws` that is not a WebSocket upgrade and the \
            empty `405` for a method a path does not have. \
            Edge functions (`ANY /fn/{name}/{path}`) answer whatever the function answers and \
            are not described here.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        upload_component,
        list_components,
        describe_component,
        configure_component,
        submit_job,
        list_jobs,
        get_job,
        cancel_job,
        job_events,
        redrive_webhook,
        retry_job,
        login,
        whoami,
        logout,
        websocket,
        list_executors,
        openapi_json,
        healthz,
        metrics,
    ),
    modifiers(&ApiKeys, &CommonAnswers, &OptionalHeaders),
    tags(
        (name = "components", description = "Upload and describe WebAssembly components"),
        (name = "jobs", description = "Submit, follow and cancel jobs"),
        (name = "platform", description = "Executors, health, metrics and this document"),
        (name = "session", description = "The web UI's login"),
    ),
)]
pub struct ApiDoc;

/// The three ways to give an API key, required on every `/v1` operation when the host has a
/// key file; the empty alternative is a host without one (open, everyone admin of `default`).
struct ApiKeys;

impl Modify for ApiKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement};
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description = Some("`Authorization: Bearer <API key>`".to_owned());
        components.add_security_scheme("bearerAuth", SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "cookieAuth",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "edge_key",
                "The web UI's session cookie, set by `POST /v1/session`",
            ))),
        );
        components.add_security_scheme(
            "accessToken",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "access_token",
                "For SSE and WebSocket clients that can set neither a header nor a cookie",
            ))),
        );
        openapi.security = Some(vec![
            SecurityRequirement::new("bearerAuth", Vec::<String>::new()),
            SecurityRequirement::new("cookieAuth", Vec::<String>::new()),
            SecurityRequirement::new("accessToken", Vec::<String>::new()),
            SecurityRequirement::default(),
        ]);
    }
}

/// Answers every operation may give, added once here rather than on each: `401`/`403` from
/// the key check of `/v1` operations, `503` when the host has lost NATS, and `431` from the
/// header limit of every route.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorResponse"))))
                    .build(),
            )
        };
        // Not behind the key check, or not behind NATS.
        let open = ["/v1/openapi.json", "/healthz", "/metrics"];
        for (path, item) in &mut openapi.paths.paths {
            let operations =
                [(&mut item.get, false), (&mut item.put, true), (&mut item.post, true), (&mut item.delete, true)];
            for (operation, writes) in operations {
                let Some(operation) = operation else { continue };
                let answers = &mut operation.responses.responses;
                answers.entry("431".into()).or_insert_with(|| error("`headers_too_large`: over `--max-header-bytes`"));
                if open.contains(&path.as_str()) || (path == "/v1/session" && writes) {
                    continue;
                }
                answers.entry("401".into()).or_insert_with(|| error("`unauthorized`: no API key, or an unknown one"));
                answers.entry("503".into()).or_insert_with(|| error("`unavailable`: NATS is unreachable"));
                if writes {
                    answers.entry("403".into()).or_insert_with(|| error("`forbidden`: the key's role is too low"));
                }
            }
        }
    }
}

/// utoipa makes an `Option` header `null`able, which a header cannot be: headers are declared
/// as plain strings and made optional here.
struct OptionalHeaders;

impl Modify for OptionalHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::path::ParameterIn;
        let operations =
            openapi.paths.paths.values_mut().flat_map(|item| {
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete].into_iter().flatten()
            });
        for operation in operations {
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter
                    && parameter.parameter_in == ParameterIn::Header
                {
                    parameter.required = utoipa::openapi::Required::False;
                }
            }
        }
    }
}

/// `GET /v1/components`. Mirrors the handler's private answer type.
#[derive(ToSchema)]
struct ComponentList {
    /// Every component, by name.
    components: Vec<ComponentInfo>,
}

/// `GET /healthz`. Mirrors the JSON the handler builds.
#[derive(ToSchema)]
struct Health {
    /// `ok` when JetStream answers.
    status: HealthStatus,
    /// The NATS connection state, e.g. `connected`.
    nats: String,
    /// Whether JetStream answered within the health timeout.
    jetstream: bool,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
enum HealthStatus {
    Ok,
    Unavailable,
}

/// One Server-Sent Event of `GET /v1/jobs/{id}/events`. As in OpenAPI 3.2's model of event
/// streams, this schema describes each event, not the stream.
#[derive(ToSchema)]
struct JobEventMessage {
    /// The kind of event.
    event: EventKind,
    /// The event as JSON: a `JobEvent` (`{"kind": ...}`); for `done`, the final `JobRecord`
    /// with `kind: "done"`.
    #[schema(content_media_type = "application/json")]
    data: String,
    /// The event's sequence in the stream; send it back as `Last-Event-ID` to resume after it.
    id: Option<String>,
}

/// A raw component upload, any content type.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
struct ComponentBytes(Vec<u8>);

#[utoipa::path(
    post,
    path = "/v1/components",
    tag = "components",
    summary = "Upload a component",
    description = "Stores the body (a WebAssembly component) as a new version of `name`; its kind \
        (`command`, `job`, `http`) is read from its exports.",
    params(("name" = String, Query, description = "Name to store it under", pattern = "^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length = 64, example = "hello")),
    request_body(content = inline(ComponentBytes), content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "A new version was stored", body = ComponentInfo),
        (status = 200, description = "The bytes equal the current version; nothing changed", body = ComponentInfo),
        (status = 400, description = "`invalid_name`, `invalid_component`, `invalid_query` or `invalid_body`", body = ErrorResponse),
        (status = 409, description = "`conflict`: concurrent uploads to the same name", body = ErrorResponse),
        (status = 413, description = "`payload_too_large`: larger than `--max-component-bytes`", body = ErrorResponse),
        (status = 503, description = "`unavailable`: NATS is unreachable", body = ErrorResponse),
    ),
)]
fn upload_component() {}

#[utoipa::path(
    get,
    path = "/v1/components",
    tag = "components",
    summary = "List components",
    responses(
        (status = 200, description = "Every component, sorted by name", body = ComponentList),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn list_components() {}

#[utoipa::path(
    get,
    path = "/v1/components/{name}",
    tag = "components",
    summary = "Describe a component",
    params(("name" = String, Path, description = "Component name", pattern = "^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length = 64, example = "hello")),
    responses(
        (status = 200, description = "The component and every version kept", body = ComponentInfo),
        (status = 400, description = "`invalid_name`", body = ErrorResponse),
        (status = 404, description = "`component_not_found`", body = ErrorResponse),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn describe_component() {}

#[utoipa::path(
    put,
    path = "/v1/components/{name}/config",
    tag = "components",
    summary = "Replace a component's settings",
    params(("name" = String, Path, description = "Component name", pattern = "^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length = 64, example = "hello")),
    request_body = ComponentConfig,
    responses(
        (status = 200, description = "The component with its new settings", body = ComponentInfo),
        (status = 400, description = "`invalid_name`, `invalid_json`, `invalid_config` or `invalid_body`", body = ErrorResponse),
        (status = 404, description = "`component_not_found`", body = ErrorResponse),
        (status = 409, description = "`conflict`: concurrent changes to the same name", body = ErrorResponse),
        (status = 413, description = "`payload_too_large`", body = ErrorResponse),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn configure_component() {}

#[utoipa::path(
    post,
    path = "/v1/jobs",
    tag = "jobs",
    summary = "Submit a job",
    description = "Queues a job. With `?wait=`, answers with the final record if the job ends in time.",
    params(
        (
            "wait" = Option<String>, Query,
            description = "How long to wait for the end: a duration like `30s` or `500ms`, at most `--max-wait`",
            example = "30s",
        ),
        (
            "Idempotency-Key" = String, Header,
            description = "Repeats with the same key (per tenant, kept 24 h) get the first request's job",
            max_length = 255,
        ),
    ),
    request_body = JobRequest,
    responses(
        (status = 200, description = "The job ended while the request waited: its final record", body = JobRecord,
            links(
                ("record" = (operation_id = "get_job", parameters(("id" = "$response.body#/id")))),
                ("cancel" = (operation_id = "cancel_job", parameters(("id" = "$response.body#/id")))),
                ("events" = (operation_id = "job_events", parameters(("id" = "$response.body#/id")))),
                ("retry" = (operation_id = "retry_job", parameters(("id" = "$response.body#/id")))),
                ("redrive" = (operation_id = "redrive_webhook", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 202, description = "Queued (or still running when `wait` ran out)", body = JobAccepted,
            links(
                ("record" = (operation_id = "get_job", parameters(("id" = "$response.body#/id")))),
                ("cancel" = (operation_id = "cancel_job", parameters(("id" = "$response.body#/id")))),
                ("events" = (operation_id = "job_events", parameters(("id" = "$response.body#/id")))),
                ("retry" = (operation_id = "retry_job", parameters(("id" = "$response.body#/id")))),
                ("redrive" = (operation_id = "redrive_webhook", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 400, description = "`invalid_json`, `invalid_request`, `invalid_name`, `invalid_limits`, \
            `invalid_webhook`, `unsupported_kind`, `invalid_idempotency_key`, `invalid_query` or `invalid_body`", body = ErrorResponse),
        (status = 404, description = "`component_not_found`", body = ErrorResponse),
        (status = 409, description = "`idempotency_in_progress`: the first request with this key is still being queued", body = ErrorResponse),
        (status = 413, description = "`payload_too_large`: larger than `--max-request-bytes`", body = ErrorResponse),
        (status = 422, description = "`idempotency_key_reused`: the key was used for a different request", body = ErrorResponse),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn submit_job() {}

#[utoipa::path(
    get,
    path = "/v1/jobs",
    tag = "jobs",
    summary = "List recent jobs",
    params(
        ("limit" = Option<u32>, Query, description = "How many records, newest first (default 50)", minimum = 1, maximum = 500),
        ("status" = Option<JobStatus>, Query, description = "Only jobs with this status"),
    ),
    responses(
        (status = 200, description = "Records, newest first", body = JobList),
        (status = 400, description = "`invalid_query`", body = ErrorResponse),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn list_jobs() {}

#[utoipa::path(
    get,
    path = "/v1/jobs/{id}",
    tag = "jobs",
    summary = "A job's record",
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The record", body = JobRecord),
        (status = 400, description = "`invalid_job_id`", body = ErrorResponse),
        (status = 404, description = "`job_not_found`", body = ErrorResponse),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn get_job() {}

#[utoipa::path(
    delete,
    path = "/v1/jobs/{id}",
    tag = "jobs",
    summary = "Cancel a job",
    description = "A queued job never runs; a running one is stopped. Waits up to 5 s for the executor to confirm.",
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "Cancelled: the final record", body = JobRecord),
        (status = 202, description = "Cancel requested; the executor has not confirmed yet", body = JobRecord),
        (status = 400, description = "`invalid_job_id`", body = ErrorResponse),
        (status = 404, description = "`job_not_found`", body = ErrorResponse),
        (status = 409, description = "`already_final`: the job had already ended", body = ErrorResponse),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn cancel_job() {}

#[utoipa::path(
    get,
    path = "/v1/jobs/{id}/events",
    tag = "jobs",
    summary = "A job's events (Server-Sent Events)",
    description = "Events `status`, `stdout`, `stderr`, `progress` and `done`, each `data:` a JSON `JobEvent`; \
        every `id:` is the event's stream sequence. The stream ends after `done`.",
    params(
        ("id" = uuid::Uuid, Path, description = "Job id"),
        ("Last-Event-ID" = String, Header, pattern = "^[0-9]+$", description = "Resume after this event id (an `id:` this API sent)"),
    ),
    responses(
        (status = 200, description = "The event stream; the schema describes one event", body = JobEventMessage,
            content_type = "text/event-stream"),
        (status = 400, description = "`invalid_job_id` or `invalid_last_event_id`", body = ErrorResponse),
        (status = 404, description = "`job_not_found`", body = ErrorResponse),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn job_events() {}

#[utoipa::path(
    post,
    path = "/v1/jobs/{id}/webhook/redrive",
    tag = "jobs",
    summary = "Deliver a webhook that gave up once more",
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    responses(
        (status = 202, description = "A new delivery is queued: the record", body = JobRecord),
        (status = 400, description = "`invalid_job_id`", body = ErrorResponse),
        (status = 404, description = "`job_not_found` (also another tenant's job)", body = ErrorResponse),
        (status = 409, description = "`not_failed`: its webhook delivery has not given up", body = ErrorResponse),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn redrive_webhook() {}

#[utoipa::path(
    post,
    path = "/v1/jobs/{id}/retry",
    tag = "jobs",
    summary = "Run a job that ran out of deliveries again",
    description = "Queues the job once more, as a new job whose record names the old one in `retry_of`.",
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    responses(
        (status = 202, description = "The new job is queued", body = JobAccepted),
        (status = 400, description = "`invalid_job_id`, or the old request is no longer valid", body = ErrorResponse),
        (status = 404, description = "`job_not_found`, or `component_not_found`", body = ErrorResponse),
        (status = 409, description = "`not_retryable`: the job did not run out of deliveries, or was retried already", body = ErrorResponse),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn retry_job() {}

/// `GET /v1/session`: who the presented key is.
#[derive(ToSchema)]
struct Caller {
    /// The key's name (not the key).
    key: String,
    /// The tenant the key belongs to.
    tenant: String,
    /// `read`, `submit` or `admin`.
    role: Role,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
enum Role {
    Read,
    Submit,
    Admin,
}

/// `POST /v1/session`.
#[derive(ToSchema)]
struct Login {
    /// An API key.
    key: String,
}

#[utoipa::path(
    post,
    path = "/v1/session",
    tag = "session",
    summary = "Log in (the web UI)",
    description = "Checks the key and keeps it in an `HttpOnly`, `SameSite=Strict` cookie (`edge_key`), \
        which then stands in for the `Authorization` header.",
    request_body = Login,
    responses(
        (status = 200, description = "Logged in; `Set-Cookie` holds the key", body = Caller),
        (status = 400, description = "`invalid_json`", body = ErrorResponse),
        (status = 401, description = "`unauthorized`: the host does not know the key", body = ErrorResponse),
    ),
)]
fn login() {}

#[utoipa::path(
    get,
    path = "/v1/session",
    tag = "session",
    summary = "Who the presented key is",
    responses((status = 200, description = "The caller", body = Caller)),
)]
fn whoami() {}

#[utoipa::path(
    delete,
    path = "/v1/session",
    tag = "session",
    summary = "Log out (forget the cookie)",
    responses((status = 204, description = "The cookie is cleared")),
)]
fn logout() {}

#[utoipa::path(
    get,
    path = "/v1/ws",
    tag = "jobs",
    summary = "WebSocket: submit, follow and cancel jobs",
    description = "JSON text frames: `ClientMessage` in (`submit`, `subscribe`, `unsubscribe`, `cancel`), \
        `ServerMessage` out.",
    responses(
        (status = 101, description = "Switched to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request (plain text)", body = String, content_type = "text/plain"),
        (status = 426, description = "The connection cannot be upgraded (plain text)", body = String, content_type = "text/plain"),
    ),
)]
fn websocket() {}

#[utoipa::path(
    get,
    path = "/v1/executors",
    tag = "platform",
    summary = "Live executors",
    responses(
        (status = 200, description = "Executors whose heartbeats are current, by id", body = ExecutorList),
        (status = 503, description = "`unavailable`", body = ErrorResponse),
    ),
)]
fn list_executors() {}

#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "platform",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI document", content(("application/json")))),
)]
fn openapi_json() {}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "platform",
    summary = "Health",
    responses(
        (status = 200, description = "NATS and JetStream answer", body = Health),
        (status = 503, description = "NATS or JetStream does not answer", body = Health),
    ),
)]
fn healthz() {}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "platform",
    summary = "Prometheus metrics",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")),
)]
fn metrics() {}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::Duration;

    use super::*;

    /// Routes that are not API operations: the JSON 404 for unknown `/v1` paths, and edge
    /// functions, which answer whatever the function answers.
    const UNDOCUMENTED: [&str; 3] = ["/v1", "/v1/{*rest}", "/fn/{*rest}"];

    /// Path → methods of every route of [`super::super::routes`]. axum has no API to list
    /// routes, so they are read from the router's `Debug` form: the route ids with their
    /// paths, and each route's `Allow` header. A change of that form fails the test (no
    /// routes found) instead of passing it.
    fn routed() -> BTreeMap<String, BTreeSet<String>> {
        let limits = super::super::ApiLimits {
            max_component_bytes: 1,
            max_request_bytes: 1,
            max_wait: Duration::from_secs(1),
            ws_buffer_messages: 1,
            max_header_bytes: 1,
        };
        let text = format!("{:?}", super::super::routes(&limits));
        // The path router only; the fallback router after it holds no routes of ours.
        let text = text.split("fallback_router:").next().unwrap_or_default();
        let mut paths = BTreeMap::new();
        let mut methods = BTreeMap::new();
        for piece in text.split("RouteId(").skip(1) {
            let Some((id, rest)) = piece.split_once("): ") else { continue };
            if let Some(path) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) {
                paths.insert(id.to_owned(), path.to_owned());
            } else if rest.starts_with("MethodRouter(") {
                let allow = rest.split("allow_header: ").nth(1).unwrap_or_default();
                let allowed = match allow.strip_prefix("Bytes(b\"") {
                    Some(list) => list.split('"').next().unwrap_or_default().to_owned(),
                    // `Skip`: `any(...)`, every method.
                    None if allow.starts_with("Skip") => "ANY".to_owned(),
                    None => String::new(),
                };
                methods.insert(id.to_owned(), allowed);
            }
        }
        let routes: BTreeMap<String, BTreeSet<String>> = paths
            .into_iter()
            .map(|(id, path)| {
                let allowed = methods.get(&id).map(String::as_str).unwrap_or_default();
                // HEAD comes with every GET; the document does not list it.
                let set = allowed.split(',').filter(|m| !m.is_empty() && *m != "HEAD").map(str::to_owned).collect();
                (path, set)
            })
            .collect();
        assert!(
            routes.get("/v1/jobs").is_some_and(|m| m.contains("POST") && m.contains("GET")),
            "could not read the routes from the router's Debug form: {routes:?}"
        );
        routes
    }

    #[test]
    fn every_route_is_documented_and_every_documented_path_is_routed() {
        let mut routes = routed();
        for path in UNDOCUMENTED {
            assert!(routes.remove(path).is_some(), "{path} is no longer routed; update UNDOCUMENTED");
        }
        let doc = serde_json::to_value(&*DOCUMENT).expect("serializes");
        let documented: BTreeMap<String, BTreeSet<String>> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .map(|(path, item)| {
                let operations = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
                let item = item.as_object().expect("path item");
                let methods = item.keys().filter(|k| operations.contains(&k.as_str())).map(|m| m.to_uppercase());
                let methods = methods.collect();
                (path.clone(), methods)
            })
            .collect();
        assert_eq!(routes, documented, "router() (left) and the OpenAPI document (right) differ");
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_key_schemes() {
        let doc = serde_json::to_value(&*DOCUMENT).expect("serializes");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
        assert_eq!(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
        assert_eq!(doc["components"]["securitySchemes"]["cookieAuth"]["name"], "edge_key");
        // A key by header, cookie or query; or none, on a host without a key file.
        let security = doc["security"].as_array().expect("global security");
        assert_eq!(security.len(), 4);
        // Every keyed operation says what a missing key gets; the open ones do not.
        assert!(doc["paths"]["/v1/jobs"]["post"]["responses"].get("401").is_some());
        assert!(doc["paths"]["/v1/jobs"]["post"]["responses"].get("403").is_some());
        assert!(doc["paths"]["/healthz"]["get"]["responses"].get("401").is_none());
        assert!(doc["paths"]["/v1/openapi.json"]["get"]["responses"].get("431").is_some());
        for schema in ["JobRequest", "JobRecord", "JobAccepted", "ErrorResponse", "ComponentInfo"] {
            assert!(doc["components"]["schemas"].get(schema).is_some(), "schema {schema} missing");
        }
    }
}
