//! Arbitrary bytes as a `POST /v1/jobs` body: parsed as the handler parses it, then through
//! every check of a submission that needs no NATS. Any rejection must be an error value;
//! what passes must keep what it asked for.
#![no_main]

use edge_wire::JobRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<JobRequest>(data) else { return };
    let checked = edge::fuzzing::check_job_request(&request);

    // The request as the CLI and UI send it (serialised again) must be judged the same.
    let again = serde_json::to_vec(&request).expect("a parsed request serialises");
    let reparsed: JobRequest = serde_json::from_slice(&again).expect("a serialised request parses");
    assert_eq!(reparsed, request);
    let rechecked = edge::fuzzing::check_job_request(&reparsed);
    assert_eq!(checked.as_ref().err(), rechecked.as_ref().err());

    let Ok(checked) = checked else { return };
    let asked = &request.limits;
    let limits = &checked.limits;
    assert!(asked.timeout_ms.is_none_or(|t| t == limits.timeout_ms));
    assert!(asked.memory_mb.is_none_or(|m| m == limits.memory_mb));
    assert!(asked.max_output_bytes.is_none_or(|m| m == limits.max_output_bytes));
    assert_eq!(asked.fuel, limits.fuel);
    assert!(limits.timeout_ms >= 1 && limits.memory_mb >= 1);
    if let Some(text) = &request.stdin {
        assert_eq!(checked.stdin, text.as_bytes());
    }
    assert!(request.args.iter().all(|a| !a.contains('\0')));
    assert!(request.env.iter().all(|(k, v)| !k.is_empty() && !k.contains(['=', '\0']) && !v.contains('\0')));
});
