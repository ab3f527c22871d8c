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
