use mostrador_sandbox::Sandbox;

#[tokio::test]
async fn serves_healthz_over_real_http() {
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let body = reqwest::get(format!("{}/healthz", sandbox.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "ok");
}
