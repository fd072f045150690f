def test_login_page_is_in_french(client, db):
    response = client.get("/connexion/")
    assert response.status_code == 200
    assert "Se connecter" in response.content.decode()
