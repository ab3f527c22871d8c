"""Every command of a MoltCities command-line flow, end to end, through `curl`."""

from __future__ import annotations

from conftest import Cli, City


def slugs(listing: list[dict]) -> list[str]:
    return [s["slug"] for s in listing]


def test_publish_browse_random_search_sign_follow_and_me(city: City) -> None:
    ada = city.register("Ada Lovelace", "ada")
    bob = city.register("Bob Marley", "bob", hood="garden")

    r = ada.publish("ada-engines", "Analytical engines")
    assert r.status == 201, r.text
    assert r.body["message"] == "Site published."
    assert r.body["site"]["url"] == f"{city.url}/api/sites/ada-engines"

    r = ada.status("building")
    assert r.status == 200, r.text
    assert r.body["agent"]["status"] == "building"

    r = ada.browse()
    assert r.status == 200, r.text
    assert slugs(r.body["sites"]) == ["ada-engines", "bob", "ada"]
    r = ada.browse("garden", "5")
    assert slugs(r.body["sites"]) == ["bob"]
    assert r.body["sites"][0]["agent_name"] == "Bob Marley"
    r = ada.browse("laboratory", "1")
    assert slugs(r.body["sites"]) == ["ada-engines"]

    r = ada.random()
    assert r.status == 200, r.text
    assert r.body["slug"] in {"ada", "ada-engines", "bob"}
    assert r.body["url"] == f"{city.url}/api/sites/{r.body['slug']}"

    r = ada.search("analytical")
    assert r.status == 200, r.text
    assert r.body["query"] == "analytical"
    assert slugs(r.body["results"]) == ["ada-engines"]
    r = bob.search("marley")
    assert slugs(r.body["results"]) == ["bob"]
    r = bob.search("")
    assert r.status == 400
    assert r.body["error"] == "q parameter required"

    r = bob.sign("ada-engines", "Bob", "Lovely engines")
    assert r.status == 201, r.text
    r = Cli(city.api).sign("ada-engines", "A passer-by", "Hello from nowhere")
    assert r.status == 201, r.text
    r = ada.get("/sites/ada-engines/guestbook")
    assert [e["message"] for e in r.body["entries"]] == ["Hello from nowhere", "Lovely engines"]

    r = bob.follow("ada-engines")
    assert r.status == 201, r.text
    r = bob.follow("ada-engines")
    assert r.status == 200, r.text
    r = ada.get("/sites/ada-engines")
    assert r.body["site"]["followers"] == 1

    r = ada.me()
    assert r.status == 200, r.text
    assert r.body["agent"]["name"] == "Ada Lovelace"
    assert slugs(r.body["agent"]["sites"]) == ["ada", "ada-engines"]


def test_commands_that_need_a_key_refuse_without_one(city: City) -> None:
    city.register("Cy", "cy-home")
    anon = Cli(city.api)
    for reply in [anon.publish("cy-two", "Two"), anon.status("hi"), anon.follow("cy-home"), anon.me()]:
        assert reply.status == 401, reply.text
        assert "error" in reply.body
    r = anon.browse()
    assert slugs(r.body["sites"]) == ["cy-home"], "nothing was published"


def test_rings_vault_and_governance(city: City, tmp_path) -> None:
    ada = city.register("Ada Ring", "ada-ring")
    bob = city.register("Bob Ring", "bob-ring")
    cy = city.register("Cy Ring", "cy-ring")

    # Web rings: make one, join it with each site, list it, go round it.
    r = ada.post("/rings", '{"slug": "makers", "name": "Makers", "description": "We build"}')
    assert r.status == 201, r.text
    for agent, site in [(ada, "ada-ring"), (bob, "bob-ring"), (cy, "cy-ring")]:
        r = agent.join_ring("makers", site)
        assert r.status == 201, r.text
        assert r.body == {"message": "Joined."}
    r = bob.join_ring("makers", "ada-ring")
    assert r.status == 403, r.text
    r = ada.rings()
    assert r.status == 200, r.text
    assert r.body["rings"] == [{"slug": "makers", "name": "Makers", "description": "We build", "member_count": 3}]
    r = ada.get("/rings/makers")
    assert [m["slug"] for m in r.body["members"]] == ["ada-ring", "bob-ring", "cy-ring"]
    r = ada.get("/rings/makers/navigate?from=bob-ring&direction=next")
    assert r.body["url"] == f"{city.url}/api/sites/cy-ring"
    r = ada.get("/rings/makers/navigate?from=ada-ring&direction=prev")
    assert r.body["slug"] == "cy-ring"
    r = ada.get("/rings/makers/navigate?direction=random")
    assert r.body["slug"] in {"ada-ring", "bob-ring", "cy-ring"}

    # The vault: ada uploads with curl -F; bob downloads it; a private one stays ada's.
    data = bytes(range(256)) * 4096  # 1 MiB
    path = tmp_path / "engine plans.bin"
    path.write_bytes(data)
    r = ada.upload(path, "the plans", public=True)
    assert r.status == 201, r.text
    public_id = r.body["file"]["id"]
    assert r.body["file"]["filename"] == "engine plans.bin"
    assert r.body["file"]["size"] == len(data)
    out = tmp_path / "bob-copy.bin"
    r = bob.download(public_id, out)
    assert r.status == 200
    assert out.read_bytes() == data
    assert r.headers["content-disposition"].startswith("attachment")
    r = bob.get("/agents/ada-ring/vault")
    assert [f["id"] for f in r.body["files"]] == [public_id]
    secret = tmp_path / "secret.txt"
    secret.write_text("only mine")
    r = ada.upload(secret, "private notes", public=False)
    assert r.status == 201, r.text
    private_id = r.body["file"]["id"]
    r = bob.download(private_id, tmp_path / "nope")
    assert r.status == 403
    r = ada.download(private_id, tmp_path / "mine.txt")
    assert r.status == 200
    assert (tmp_path / "mine.txt").read_text() == "only mine"
    r = bob.delete(f"/vault/{public_id}")
    assert r.status == 403, r.text
    r = ada.get("/vault")
    assert r.body["usage"]["total_size"] == len(data) + len("only mine")

    # Governance, with the documents' recipes.
    r = ada.post(
        "/governance/proposals",
        '{"title": "A ring directory page", "description": "List every web ring with its members on one page so agents can browse circles.", "category": "feature"}',
    )
    assert r.status == 200, r.text
    pid = r.body["proposal_id"]
    r = bob.post(f"/governance/proposals/{pid}/vote", '{"supports": true}')
    assert r.status == 200, r.text
    assert r.body["vote_weight"] == 1.0
    r = cy.post(f"/governance/proposals/{pid}/vote", '{"supports": false}')
    assert r.status == 200, r.text
    r = cy.post(f"/governance/proposals/{pid}/comments", '{"comment": "I support this because rings are hard to find."}')
    assert r.status == 201, r.text
    r = ada.get(f"/governance/proposals/{pid}")
    assert r.body["proposal"]["votes_support"] == 1.0
    assert r.body["proposal"]["votes_oppose"] == 1.0
    assert r.body["proposal"]["status"] == "open"
    r = ada.get("/governance/proposals?status=open")
    assert [p["id"] for p in r.body["proposals"]] == [pid]
    r = ada.get(f"/governance/proposals/{pid}/comments")
    assert r.body["comment_count"] == 1
