"""Model-free pieces of anonymous reporting: proof of work, form tokens, rate limits, receipts."""

from __future__ import annotations

import base64
import json

import pytest

from amparo.intake.lib import formtoken, pow, ratelimit, receipts

KEY = b"k" * 32


def _solved(scope: str = "org-a", now: float = 1_000_000.0, maxnumber: int = 2000) -> tuple[pow.Challenge, str]:
    challenge = pow.create_challenge(key=KEY, scope=scope, maxnumber=maxnumber, ttl_seconds=600, now=now)
    number = pow.solve(challenge=challenge.challenge, salt=challenge.salt, maxnumber=maxnumber)
    assert number is not None
    return challenge, pow.solution_payload(challenge, number)


class TestProofOfWork:
    def test_it_accepts_a_solved_challenge(self):
        challenge, payload = _solved()
        solved = pow.verify(payload, key=KEY, scope="org-a", now=1_000_100.0)
        assert solved.challenge == challenge.challenge
        assert solved.expires == 1_000_600

    def test_it_rejects_a_wrong_number(self):
        challenge, payload = _solved()
        data = json.loads(base64.b64decode(payload))
        data["number"] = data["number"] + 1
        forged = base64.b64encode(json.dumps(data).encode()).decode()
        with pytest.raises(pow.PowError) as exc:
            pow.verify(forged, key=KEY, scope="org-a", now=1_000_100.0)
        assert exc.value.reason == "wrong"

    def test_it_rejects_a_challenge_signed_with_another_key(self):
        _, payload = _solved()
        with pytest.raises(pow.PowError) as exc:
            pow.verify(payload, key=b"x" * 32, scope="org-a", now=1_000_100.0)
        assert exc.value.reason == "signature"

    def test_it_rejects_a_challenge_for_another_organisation(self):
        _, payload = _solved(scope="org-a")
        with pytest.raises(pow.PowError) as exc:
            pow.verify(payload, key=KEY, scope="org-b", now=1_000_100.0)
        assert exc.value.reason == "scope"

    def test_it_rejects_an_expired_challenge(self):
        _, payload = _solved()
        with pytest.raises(pow.PowError) as exc:
            pow.verify(payload, key=KEY, scope="org-a", now=1_000_601.0)
        assert exc.value.reason == "expired"

    def test_it_cannot_extend_expiry_by_editing_the_salt(self):
        challenge, payload = _solved()
        data = json.loads(base64.b64decode(payload))
        data["salt"] = data["salt"].replace("expires=1000600", "expires=9999999")
        forged = base64.b64encode(json.dumps(data).encode()).decode()
        with pytest.raises(pow.PowError) as exc:
            pow.verify(forged, key=KEY, scope="org-a", now=1_000_700.0)
        assert exc.value.reason == "wrong"

    @pytest.mark.parametrize("payload", ["", "not base64!", base64.b64encode(b"[1]").decode(), base64.b64encode(b'{"algorithm": 1}').decode(), "A" * 5000])
    def test_it_rejects_garbage(self, payload):
        with pytest.raises(pow.PowError):
            pow.verify(payload, key=KEY, scope="org-a", now=1_000_100.0)

    def test_the_secret_number_stays_below_maxnumber(self):
        for _ in range(20):
            challenge = pow.create_challenge(key=KEY, scope="s", maxnumber=50, ttl_seconds=60)
            assert pow.solve(challenge=challenge.challenge, salt=challenge.salt, maxnumber=50) is not None


class TestFormToken:
    def test_it_round_trips_and_reports_its_age(self):
        token = formtoken.issue(key="secret", scope="org-a", now=1000.0)
        checked = formtoken.check(token, key="secret", scope="org-a", max_age_seconds=3600, now=1030.0)
        assert formtoken.age_seconds(checked, now=1030.0) == 30

    def test_it_gives_every_form_its_own_nonce(self):
        a = formtoken.check(formtoken.issue(key="s", scope="o"), key="s", scope="o", max_age_seconds=60)
        b = formtoken.check(formtoken.issue(key="s", scope="o"), key="s", scope="o", max_age_seconds=60)
        assert a.nonce != b.nonce

    @pytest.mark.parametrize(
        ("key", "scope", "now", "reason"),
        [("other", "org-a", 1010.0, "forged"), ("secret", "org-b", 1010.0, "scope"), ("secret", "org-a", 99999.0, "expired")],
    )
    def test_it_rejects_bad_tokens(self, key, scope, now, reason):
        token = formtoken.issue(key="secret", scope="org-a", now=1000.0)
        with pytest.raises(formtoken.FormTokenError) as exc:
            formtoken.check(token, key=key, scope=scope, max_age_seconds=3600, now=now)
        assert exc.value.reason == reason

    def test_it_rejects_an_empty_token(self):
        with pytest.raises(formtoken.FormTokenError):
            formtoken.check("", key="s", scope="o", max_age_seconds=60)


class TestRateLimit:
    LIMIT = ratelimit.Limit(kind="report", count=3, window_seconds=600)

    def test_it_allows_up_to_the_limit_then_says_when_to_retry(self):
        store = ratelimit.MemoryStore()
        decisions = [ratelimit.hit(store, secret=KEY, limit=self.LIMIT, scope="org-a", now=1200.0 + i) for i in range(4)]
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert decisions[-1].retry_after == 1800 - 1203

    def test_a_new_window_starts_afresh(self):
        store = ratelimit.MemoryStore()
        for i in range(4):
            ratelimit.hit(store, secret=KEY, limit=self.LIMIT, scope="org-a", now=1200.0 + i)
        assert ratelimit.hit(store, secret=KEY, limit=self.LIMIT, scope="org-a", now=1800.0).allowed

    def test_organisations_do_not_share_a_budget(self):
        store = ratelimit.MemoryStore()
        for i in range(4):
            ratelimit.hit(store, secret=KEY, limit=self.LIMIT, scope="org-a", now=1200.0 + i)
        assert ratelimit.hit(store, secret=KEY, limit=self.LIMIT, scope="org-b", now=1205.0).allowed

    def test_bucket_keys_are_opaque(self):
        bucket = ratelimit.bucket_for(secret=KEY, limit=self.LIMIT, scope="org-a", now=1200.0)
        assert "org-a" not in bucket.key and "report" not in bucket.key
        assert bucket.expires_at == 1800


class TestReceipts:
    def test_the_wordlist_has_thousands_of_easy_words(self):
        words = receipts.wordlist()
        assert len(words) >= 2048
        assert all(w.isascii() and w.isalpha() and w.islower() and 3 <= len(w) <= 10 for w in words)
        assert receipts.passphrase_bits(5) > 55

    def test_a_receipt_code_survives_being_typed_sloppily(self):
        code = receipts.generate_receipt_code()
        assert len(code) == 14 and code.count("-") == 2
        typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
        assert receipts.normalise_receipt_code(typed) == code.replace("-", "")

    @pytest.mark.parametrize("value", ["", "ABC", "K7M2-9QXP-4T0A-XXXX", "K7M2-9QXP-4T0!", None])
    def test_it_refuses_what_cannot_be_a_receipt_code(self, value):
        assert receipts.normalise_receipt_code(value) is None

    def test_passphrases_are_words_from_the_list(self):
        phrase = receipts.generate_passphrase(5)
        assert len(phrase.split()) == 5
        assert set(phrase.split()) <= set(receipts.wordlist())

    def test_a_passphrase_matches_whatever_the_case_accents_or_separators(self):
        stored = receipts.hash_passphrase("sol mango nube cafe tela")
        assert stored.startswith("$argon2id$")
        assert "mango" not in stored
        assert receipts.verify_passphrase(stored, "  Sol-MANGO  nube, café  tela ")
        assert not receipts.verify_passphrase(stored, "sol mango nube cafe")

    def test_it_says_no_without_a_stored_hash(self):
        assert not receipts.verify_passphrase(None, "sol mango nube cafe tela")
        assert not receipts.verify_passphrase("garbage", "sol")

    def test_wrong_passphrases_slow_down_exponentially(self):
        delays = [receipts.lockout_seconds(n, free=3, first_delay=30, ceiling=3600) for n in range(12)]
        assert delays[:3] == [0, 0, 0]
        assert delays[3:7] == [30, 60, 120, 240]
        assert delays[-1] == 3600
