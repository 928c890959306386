//! The district receives its towns' signed checkpoints (`POST /api/v1/audit/checkpoints`): only a
//! district account may send them, a bad signature or a town outside the district is refused, and
//! what is kept is appended to the district's file — where a town's verification can read it back.

use axum::http::{Method, StatusCode};
use fazhi_service::audit::VerifyRequest;
use fazhi_testkit::TestApp;
use serde_json::json;

#[tokio::test]
async fn a_district_account_keeps_signed_checkpoints_of_its_towns_and_refuses_forged_ones() {
    let t = TestApp::sqlite().await;
    let (written, _) = t.app.checkpoint_now().await.expect("checkpoint");
    let at = written.iter().find(|c| c.tenant_code == "AT").expect("AT's checkpoint").clone();
    let body = json!({"checkpoints": [at]});
    let clerk = t.token("clerk").await;
    let (status, _) = t.request(Method::POST, "/api/v1/audit/checkpoints", Some(&clerk), Some(body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only 区级监督 receives checkpoints");
    let district = t.token("district").await;
    let (status, reply) = t.request(Method::POST, "/api/v1/audit/checkpoints", Some(&district), Some(body)).await;
    assert_eq!((status, reply["kept"].as_u64()), (StatusCode::OK, Some(1)), "{reply}");
    let mut forged = at.clone();
    forged.seq += 1;
    let (status, reply) = t
        .request(Method::POST, "/api/v1/audit/checkpoints", Some(&district), Some(json!({"checkpoints": [forged]})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a checkpoint whose signature fails is refused: {reply}");
    assert!(reply.to_string().contains("签名无效"), "{reply}");
    // The district's file holds the line as received, and a town can verify against it.
    let received = t.app.config().received_checkpoints_path();
    let text = std::fs::read_to_string(&received).expect("received file");
    assert_eq!(text.lines().count(), 1);
    assert!(text.contains("\"received_by\":\"district\""), "{text}");
    let req = VerifyRequest { checkpoint_files: vec![received], ..Default::default() };
    let o = t.app.verify_all(&req, |_, _| {}).await.expect("verify");
    assert!(o.is_whole(), "{:?}", o.checkpoint_problems);
}
