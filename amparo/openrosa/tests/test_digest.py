"""HTTP Digest, server side: RFC vectors, nonce lifetime, replay, and what a stranger can do."""

from __future__ import annotations

import pytest

from amparo.openrosa.lib import digest
from amparo.openrosa.lib.digest import Outcome

SECRET = b"k" * 32
SCOPE = "odk/org-a"
REALM = "Amparo"


def test_it_matches_the_openrosa_md5_example():
    ha1 = digest.ha1(algorithm="MD5", username="Mufasa", realm="testrealm@host.com", password="Circle Of Life")
    assert ha1 == "939e7578ed9e3c518a452acee763bce9"
    assert digest.response_for(
        algorithm="MD5", ha1_hex=ha1, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", nc="00000001",
        cnonce="0a4f113b", qop="auth", method="GET", uri="/dir/index.html",
    ) == "6629fae49393a05397450978507c4ef1"


def test_it_matches_the_rfc_7616_sha256_example():
    ha1 = digest.ha1(algorithm="SHA-256", username="Mufasa", realm="http-auth@example.org", password="Circle of Life")
    assert digest.response_for(
        algorithm="SHA-256", ha1_hex=ha1, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc="00000001",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop="auth", method="GET", uri="/dir/index.html",
    ) == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"


def _header(*, username="phone1", password="s3cret-pass", nonce, uri="/odk/org-a/formList", nc="00000001",
            method="GET", algorithm="MD5", realm=REALM, qop="auth"):
    ha1 = digest.ha1(algorithm=algorithm, username=username, realm=realm, password=password)
    response = digest.response_for(algorithm=algorithm, ha1_hex=ha1, nonce=nonce, nc=nc, cnonce="abc123",
                                   qop=qop, method=method, uri=uri)
    return (f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{response}", qop={qop}, nc={nc}, cnonce="abc123", algorithm={algorithm}')


def _lookup(username, algorithm):
    if username != "phone1":
        return None
    return digest.ha1(algorithm=algorithm, username="phone1", realm=REALM, password="s3cret-pass")


def _verify(header, *, store=None, now=1_000_000.0, uri="/odk/org-a/formList", method="GET", scope=SCOPE, ttl=900):
    return digest.verify(header=header, method=method, request_uri=uri, realm=REALM, secret=SECRET, scope=scope,
                         ttl_seconds=ttl, lookup_ha1=_lookup, store=store or digest.MemoryNonceCounterStore(), now=now)


def _nonce(now=1_000_000.0, scope=SCOPE):
    return digest.make_nonce(secret=SECRET, scope=scope, now=now)


def test_it_accepts_the_right_password_with_md5_and_sha256():
    for algorithm in ("MD5", "SHA-256"):
        verdict = _verify(_header(nonce=_nonce(), algorithm=algorithm))
        assert verdict.outcome is Outcome.OK and verdict.username == "phone1"


def test_it_denies_a_wrong_password_and_an_unknown_user():
    assert _verify(_header(nonce=_nonce(), password="guess")).outcome is Outcome.DENIED
    assert _verify(_header(nonce=_nonce(), username="nobody")).outcome is Outcome.DENIED


def test_it_asks_for_credentials_when_there_are_none_or_they_are_garbage():
    assert _verify("").outcome is Outcome.MISSING
    assert _verify("Basic cGhvbmUxOnMzY3JldA==").outcome is Outcome.MISSING
    assert _verify('Digest username="phone1"').outcome is Outcome.MISSING
    assert _verify('Digest username="phone1", realm=, ,,').outcome is Outcome.MISSING


def test_it_refuses_the_rfc_2069_mode_without_qop():
    header = _header(nonce=_nonce()).replace("qop=auth, nc=00000001, ", "")
    assert _verify(header).outcome is Outcome.MISSING


def test_it_refuses_a_forged_nonce_and_a_nonce_from_another_organisation():
    forged = _nonce()[:-4] + "AAAA"
    assert _verify(_header(nonce=forged)).outcome is Outcome.MISSING
    other = _nonce(scope="odk/org-b")
    assert _verify(_header(nonce=other)).outcome is Outcome.MISSING


def test_it_calls_an_old_nonce_stale_so_the_phone_retries_without_asking():
    nonce = _nonce(now=1_000_000.0)
    verdict = _verify(_header(nonce=nonce), now=1_000_000.0 + 901)
    assert verdict.outcome is Outcome.STALE


def test_it_refuses_a_replayed_nonce_count_but_accepts_the_next_one():
    store = digest.MemoryNonceCounterStore()
    nonce = _nonce()
    assert _verify(_header(nonce=nonce, nc="00000001"), store=store).outcome is Outcome.OK
    assert _verify(_header(nonce=nonce, nc="00000001"), store=store).outcome is Outcome.STALE
    assert _verify(_header(nonce=nonce, nc="00000002"), store=store).outcome is Outcome.OK


def test_a_stranger_cannot_burn_a_phones_nonce_count():
    store = digest.MemoryNonceCounterStore()
    nonce = _nonce()
    assert _verify(_header(nonce=nonce, nc="00000009", password="wrong"), store=store).outcome is Outcome.DENIED
    assert _verify(_header(nonce=nonce, nc="00000001"), store=store).outcome is Outcome.OK


def test_it_binds_the_response_to_the_requested_uri_and_method():
    nonce = _nonce()
    header = _header(nonce=nonce, uri="/odk/org-a/formList")
    assert _verify(header, uri="/odk/org-a/submission").outcome is Outcome.DENIED
    assert _verify(_header(nonce=nonce, method="HEAD"), method="POST").outcome is Outcome.DENIED


def test_it_accepts_an_absolute_digest_uri_for_the_same_resource():
    nonce = _nonce()
    header = _header(nonce=nonce, uri="https://example.org/odk/org-a/formList")
    assert _verify(header, uri="/odk/org-a/formList").outcome is Outcome.OK


@pytest.mark.parametrize("realm", ["Other", ""])
def test_it_denies_another_realm(realm):
    assert _verify(_header(nonce=_nonce(), realm=realm or "x")).outcome is Outcome.DENIED


def test_the_challenge_offers_qop_auth_the_domain_and_stale():
    value = digest.challenge(realm="Amparo", nonce="n", opaque="o", domain="/odk/org-a/", stale=True)
    assert value.startswith("Digest ")
    for piece in ('realm="Amparo"', 'qop="auth"', "algorithm=MD5", 'nonce="n"', 'domain="/odk/org-a/"', "stale=true"):
        assert piece in value


def test_it_parses_quoted_values_with_commas_and_escapes():
    creds = digest.parse_authorization(
        'Digest username="a\\"b", realm="Amparo", nonce="n", uri="/x?a=1,2", response="ABC", qop=auth, nc=00000001, cnonce="c"'
    )
    assert creds.username == 'a"b' and creds.uri == "/x?a=1,2" and creds.response == "abc"
