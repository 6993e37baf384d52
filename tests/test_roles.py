"""metrics.roles without Streamlit: addresses compared in canonical form (look-alikes refused, never folded), what
verifies an address, the roles file's [sign_in] table, a change of the file noticed by content, the cookie secret's
checks, how long a sign-in lasts and the verdict on one, and the `python -m metrics.sign_in` command."""

from __future__ import annotations

import os
import secrets
import unicodedata
from pathlib import Path

import pytest

from metrics import roles, sign_in

ROOT = Path(__file__).resolve().parent.parent

KELVIN = "\u212a"  # KELVIN SIGN, NFKC: K
KELVIN_KATE = f"{KELVIN}ate@example.com"
KATE_ROLES = 'admin = ["kate@example.com"]\nviewer = ["someone@example.com"]\n'
STRONG_SECRET = "64f926aa7e5795a2c6561fef3845aa821589abd746d7add9dc876b98d77eed9c"
NOW = 1_800_000_000.0


def refused(text: str) -> list[str]:
    with pytest.raises(roles.RolesFileError) as caught:
        roles.parse_roles(text, "roles.toml")
    return caught.value.problems


# Canonical addresses ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "canonical"), [
    ("Kate@Example.com ", "kate@example.com"),
    ("\tKATE@EXAMPLE.COM ", "kate@example.com"),                # ASCII spaces and tabs at the ends go
    ("j\u00fcrgen@example.com", "j\u00fcrgen@example.com"),      # ü stays ü
    ("J\u00dcrgen@example.com", "j\u00dcrgen@example.com"),      # only A-Z are lower-cased: Ü stays Ü
    ("\u0430lice@example.com", "\u0430lice@example.com"),        # Cyrillic а stays Cyrillic
    ("W\u030a@example.com", "\u1e98@example.com"),               # lower-casing then NFC: w + ring composes
])
def test_the_canonical_form(raw, canonical):
    assert roles.canonical_email(raw) == canonical
    assert roles.canonical_email(canonical) == canonical  # canonical is a fixed point


@pytest.mark.parametrize("raw", [
    KELVIN_KATE,                                 # KELVIN SIGN for K (NFC alone would make it K)
    "\u212b@example.com",                        # ANGSTROM SIGN for Å
    "\u2126@example.com",                        # OHM SIGN for Ω
    "\uff4bate@example.com",                     # FULLWIDTH LATIN SMALL LETTER K
    "kate@\uff45xample.com",                     # fullwidth in the domain
    "\ufb01le@example.com",                      # LATIN SMALL LIGATURE FI
    "kate\u00b2@example.com",                    # SUPERSCRIPT TWO
    "ka\u200bte@example.com",                    # ZERO WIDTH SPACE (Cf)
    "kate@example.com\u202e",                    # RIGHT-TO-LEFT OVERRIDE (Cf)
    "ka\u0000te@example.com",                    # NUL (Cc)
    "ka\u2028te@example.com",                    # LINE SEPARATOR (Zl)
    "ka\ue000te@example.com",                    # private use (Co)
    "ka\U000e0041te@example.com",                # TAG LATIN CAPITAL LETTER A (Cf)
    # At the ends too: str.strip() would take these off and turn the string into kate's address.
    "kate@example.com\u00a0", "\u00a0kate@example.com",   # NO-BREAK SPACE
    "kate@example.com\u3000",                   # IDEOGRAPHIC SPACE
    "\x1ckate@example.com", "kate@example.com\x1f", "kate@example.com\x85",   # controls str.strip() removes
    "kate@example.com\u2028", "kate@example.com\u2029", "kate@example.com\n",
    "not an address", "kate@localhost", "@example.com", "a@b@example.com", "",
    None, 7, True, ["kate@example.com"], b"kate@example.com",
])
def test_look_alikes_invisible_characters_and_non_addresses_are_refused(raw):
    assert roles.canonical_email(raw) is None


def test_the_kelvin_sign_does_not_get_kates_role():
    kate = roles.parse_roles(KATE_ROLES)
    assert kate.role_of("kate@example.com") == "admin"
    assert sign_in.identity_email({"email": KELVIN_KATE, "email_verified": True}) is None
    assert kate.role_of(KELVIN_KATE) is None
    verdict = sign_in.judge({"email": KELVIN_KATE, "email_verified": True, "iat": NOW, "exp": NOW + 3600},
                          kate, NOW, None)
    assert verdict == sign_in.Verdict(None, None, sign_in.UNVERIFIED)


def test_fullwidth_letters_do_not_get_a_role():
    kate = roles.parse_roles(KATE_ROLES)
    fullwidth = "\uff4b\uff41\uff54\uff45@example.com"
    assert unicodedata.normalize("NFKC", fullwidth) == "kate@example.com"  # what folding would have done
    assert kate.role_of(fullwidth) is None
    assert sign_in.identity_email({"email": fullwidth, "email_verified": True}) is None


def test_nfc_and_nfd_of_one_accented_address_are_the_same_address():
    nfc, nfd = "ren\u00e9e@example.com", "rene\u0301e@example.com"
    assert nfc != nfd
    assert roles.canonical_email(nfc) == roles.canonical_email(nfd) == nfc
    listed = roles.parse_roles(f'analyst = ["{nfd}"]\n')
    assert listed.role_of(nfc) == "analyst"
    assert sign_in.identity_email({"email": nfc, "email_verified": True}) == nfc
    # Listed in both forms under two roles is one address given two roles.
    assert refused(f'analyst = ["{nfd}"]\nadmin = ["{nfc}"]\n') == [
        f"{nfc} is given two roles, analyst and admin; give each address one role"]


def test_a_cyrillic_look_alike_and_a_non_ascii_letter_stay_distinct():
    listed = roles.parse_roles('admin = ["alice@example.com", "jurgen@example.com"]\n')
    cyrillic = "\u0430lice@example.com"  # CYRILLIC SMALL LETTER A
    assert roles.canonical_email(cyrillic) != "alice@example.com"
    assert listed.role_of(cyrillic) is None
    assert listed.role_of("j\u00fcrgen@example.com") is None
    assert listed.role_of("Alice@Example.COM") == "admin"


def test_a_roles_file_with_a_kelvin_sign_is_refused_naming_it():
    problems = refused(f'admin = ["{KELVIN_KATE}"]\n')
    assert len(problems) == 1
    assert "KELVIN SIGN" in problems[0] and "U+212A" in problems[0]
    assert problems[0].startswith(f"admin: {KELVIN_KATE!r} contains the look-alike character")
    assert "type the address plainly" in problems[0]


def test_a_roles_file_with_fullwidth_letters_or_an_invisible_character_says_which():
    problems = refused('viewer = ["\uff4bate@example.com", "ka\u200bte@example.com"]\n')
    assert len(problems) == 2
    assert "FULLWIDTH LATIN SMALL LETTER K" in problems[0] and "type the address plainly" in problems[0]
    assert problems[1].startswith("viewer: 'ka\\u200bte@example.com' is not an e-mail address")
    assert "ZERO WIDTH SPACE" in problems[1]


def test_a_loaded_roles_mapping_cannot_be_edited_in_place():
    loaded = roles.parse_roles(KATE_ROLES)
    with pytest.raises(TypeError):
        loaded.by_email["mallory@example.com"] = "admin"  # type: ignore[index]
    assert loaded.role_of("mallory@example.com") is None


# What verifies an address -------------------------------------------------------------------------------------

@pytest.mark.parametrize("verified", [True, "true", "TRUE", " True ", "true\n"])
def test_email_verified_true_verifies(verified):
    assert sign_in.identity_email({"email": "Kate@Example.com", "email_verified": verified}) == "kate@example.com"


@pytest.mark.parametrize("verified", [False, 0, 1, 1.0, "0", "1", "no", "yes", "", "false", "False", "truee",
                                      "t", "on", None, [True], ["true"], {"value": True}, "tru\u0435"])
def test_anything_else_in_email_verified_does_not(verified):
    claims = {"email": "kate@example.com", "email_verified": verified}
    assert sign_in.identity_email(claims) is None
    assert sign_in.identity_email(claims, trust_missing_verified=True) is None  # given, so not missing


def test_a_missing_email_verified_verifies_only_when_trusted():
    assert sign_in.identity_email({"email": "kate@example.com"}) is None
    assert sign_in.identity_email({"email": "kate@example.com"}, trust_missing_verified=False) is None
    assert sign_in.identity_email({"email": "Kate@example.com"}, trust_missing_verified=True) == "kate@example.com"
    assert sign_in.identity_email({"email_verified": True}, trust_missing_verified=True) is None
    assert sign_in.identity_email({"email": KELVIN_KATE}, trust_missing_verified=True) is None


# The [sign_in] table ------------------------------------------------------------------------------------------

def test_without_a_sign_in_table_the_defaults_hold():
    loaded = roles.parse_roles(KATE_ROLES)
    assert (loaded.trust_missing_email_verified, loaded.max_session_hours) == (False, 12.0)


@pytest.mark.parametrize(("table", "trust", "hours"), [
    ("[sign_in]\n", False, 12.0),
    ("[sign_in]\ntrust_missing_email_verified = true\n", True, 12.0),
    ("[sign_in]\ntrust_missing_email_verified = false\nmax_session_hours = 8\n", False, 8.0),
    ("[sign_in]\nmax_session_hours = 0.5\n", False, 0.5),
    ("[sign_in]\nmax_session_hours = 720\n", False, 720.0),
    ("sign_in = {trust_missing_email_verified = true, max_session_hours = 24}\n", True, 24.0),
])
def test_the_sign_in_table_is_read(table, trust, hours):
    loaded = roles.parse_roles(KATE_ROLES + table)
    assert loaded.trust_missing_email_verified is trust
    assert loaded.max_session_hours == hours
    assert loaded.role_of("kate@example.com") == "admin"


@pytest.mark.parametrize(("table", "problem"), [
    ('trust_missing_email_verified = "true"', '[sign_in] trust_missing_email_verified must be true or false '
                                              '(without quotes), not "true"'),
    ("trust_missing_email_verified = 1", "[sign_in] trust_missing_email_verified must be true or false "
                                         "(without quotes), not 1"),
    ("max_session_hours = 0", "[sign_in] max_session_hours must be a number of hours above 0 and at most 720 "
                              "(30 days, as long as Streamlit's sign-in cookie lasts), not 0"),
    ("max_session_hours = -1", "[sign_in] max_session_hours must be a number of hours above 0 and at most 720"),
    ("max_session_hours = 720.5", "[sign_in] max_session_hours must be a number of hours above 0 and at most 720"),
    ("max_session_hours = inf", "[sign_in] max_session_hours must be a number of hours above 0 and at most 720"),
    ("max_session_hours = nan", "[sign_in] max_session_hours must be a number of hours above 0 and at most 720"),
    ("max_session_hours = true", "[sign_in] max_session_hours must be a number of hours above 0 and at most 720 "
                                 "(30 days, as long as Streamlit's sign-in cookie lasts), not true"),
    ('max_session_hours = "12"', '[sign_in] max_session_hours must be a number of hours above 0 and at most 720 '
                                 '(30 days, as long as Streamlit\'s sign-in cookie lasts), not "12"'),
    ("max_session_hour = 12", "[sign_in] has no setting 'max_session_hour'; its settings are "
                              "trust_missing_email_verified and max_session_hours"),
    ('viewer = ["late@example.com"]', "[sign_in] has no setting 'viewer' (role lists go above the [sign_in] line"),
])
def test_a_bad_sign_in_setting_is_refused_with_what_was_given_and_what_is_allowed(table, problem):
    problems = refused(f"{KATE_ROLES}[sign_in]\n{table}\n")
    assert len(problems) == 1
    assert problems[0].startswith(problem), problems


def test_sign_in_must_be_a_table_and_other_keys_stay_unknown_roles():
    assert refused('sign_in = true\n')[0].startswith("sign_in must be a table: a line [sign_in] after the role lists")
    assert refused('[signin]\nmax_session_hours = 8\n') == [
        "unknown role 'signin'; the roles are viewer, leader, analyst, admin"]


def test_every_sign_in_problem_is_listed_with_the_roles_ones():
    problems = refused('admins = ["a@example.com"]\n[sign_in]\ntrust_missing_email_verified = "yes"\n'
                       'max_session_hours = 1000\ncolour = "blue"\n')
    assert len(problems) == 4


def test_the_example_file_documents_the_sign_in_table_with_its_defaults():
    text = (ROOT / ".streamlit" / "roles.example.toml").read_text(encoding="utf-8")
    example = roles.parse_roles(text)
    assert (example.trust_missing_email_verified, example.max_session_hours) == (False, 12.0)
    assert "[sign_in]" in text and "Entra ID" in text and "email_verified" in text


# Loading: a change is noticed by content -----------------------------------------------------------------------

def test_a_same_size_same_mtime_edit_is_noticed(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text('viewer = ["kate@example.com"]\n', encoding="utf-8")
    before = path.stat()
    assert roles.load_roles(path).role_of("kate@example.com") == "viewer"
    path.write_text('admin  = ["kate@example.com"]\n', encoding="utf-8")  # the same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert roles.load_roles(path).role_of("kate@example.com") == "admin"


def test_an_unchanged_file_gives_the_same_roles_and_a_broken_edit_is_refused_every_time(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(KATE_ROLES, encoding="utf-8")
    assert roles.load_roles(path) is roles.load_roles(path)
    path.write_text('admins = ["kate@example.com"]\n', encoding="utf-8")
    for _ in range(2):
        with pytest.raises(roles.RolesFileError, match="unknown role 'admins'"):
            roles.load_roles(path)


def test_the_messages_for_a_missing_unreadable_or_non_utf8_file_stay(tmp_path):
    with pytest.raises(roles.RolesFileError, match=r"there is no such file; create it, or point \$COLLAB_ROLES"):
        roles.load_roles(tmp_path / "nope.toml")
    with pytest.raises(roles.RolesFileError, match="it cannot be read: "):
        roles.load_roles(tmp_path)  # a directory
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('viewer = ["jos\xe9@example.com"]\n'.encode("latin-1"))
    with pytest.raises(roles.RolesFileError, match="it is not UTF-8 text"):
        roles.load_roles(latin1)


def test_a_byte_order_mark_is_not_part_of_the_toml(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_bytes(b"\xef\xbb\xbf" + KATE_ROLES.encode("utf-8"))
    assert roles.load_roles(path).role_of("kate@example.com") == "admin"


# The cookie secret ---------------------------------------------------------------------------------------------

def test_the_example_files_placeholder_secret_is_refused():
    problem = sign_in.cookie_secret_problem("REPLACE-WITH-A-LONG-RANDOM-STRING")
    assert problem is not None and problem.startswith("It is a placeholder")
    assert problem.endswith(f"Put a long random string made with {sign_in.MAKE_SECRET} in cookie_secret and restart "
                            "the server.")
    assert sign_in.MAKE_SECRET == 'python -c "import secrets; print(secrets.token_hex(32))"'


def test_every_placeholder_of_the_example_file_is_refused_even_if_long_and_varied():
    import tomllib

    example = tomllib.loads((ROOT / ".streamlit" / "secrets.example.toml").read_text(encoding="utf-8"))
    for value in example["auth"].values():
        assert sign_in.cookie_secret_problem(value) is not None, value
    # A long, varied string with none of the marker words, but the example file's: refused as a placeholder.
    assert sign_in.cookie_secret_problem(example["auth"]["server_metadata_url"]).startswith("It is a placeholder")


@pytest.mark.parametrize(("secret", "start"), [
    (None, "It is missing or empty."),
    ("", "It is missing or empty."),
    ("   ", "It is missing or empty."),
    (12345678901234567890123456789012345, "It is a number, not a string in quotes."),
    (True, "It is true or false, not a string in quotes."),
    (["a"], "It is a list, not a string in quotes."),
    ("change-me-" + STRONG_SECRET, "It is a placeholder (it contains 'CHANGE')"),
    (STRONG_SECRET + "Example", "It is a placeholder (it contains 'EXAMPLE')"),
    ("your-secret-here-" + STRONG_SECRET, "It is a placeholder (it contains 'SECRET-HERE')"),
    ("XxXxX" + STRONG_SECRET, "It is a placeholder (it contains 'XXXXX')"),
    ("not-a-real-secret", "It is 17 characters long; it needs at least 32."),
    (STRONG_SECRET[:31], "It is 31 characters long; it needs at least 32."),
    ("a" * 40, "It has only 1 distinct character; a random string has at least 10."),
    ("abcdefghi" * 5, "It has only 9 distinct characters; a random string has at least 10."),
])
def test_an_unusable_cookie_secret_says_why_and_what_to_do(secret, start):
    problem = sign_in.cookie_secret_problem(secret)
    assert problem is not None and problem.startswith(start), problem
    assert problem.endswith("in cookie_secret and restart the server.")
    if isinstance(secret, str) and len(secret) > 8:
        assert secret not in problem


@pytest.mark.parametrize("secret", [secrets.token_hex(32), STRONG_SECRET, STRONG_SECRET[:32],
                                    secrets.token_urlsafe(32)])
def test_a_long_random_cookie_secret_is_usable(secret):
    assert sign_in.cookie_secret_problem(secret) is None


# Secrets a second tester got accepted before: long enough and varied enough, but guessable.
@pytest.mark.parametrize(("secret", "why"), [
    ("0123456789" * 4, "one block of 10 characters repeated"),
    ("abcdefghij" * 4, "one block of 10 characters repeated"),
    ("abcdefghijklmnopqrstuvwxyz012345", "in alphabetical or numerical order"),
    ("qwertyuiopasdfghjklzxcvbnm123456", "keyboard row"),
    ("your-secret-key-goes-here-please-1234", "the word 'secret'"),
    ("PUT-A-LONG-RANDOM-STRING-HERE-123456", "the word 'random'"),
    ("TODO-set-a-real-cookie-secret-before-prod", "the word 'secret'"),
    ("insert-random-string-here-0123456789", "in alphabetical or numerical order"),
    ("my-streamlit-cookie-secret-for-production", "the word 'secret'"),
    ("zq" + "mnbvcxzlkjhgfdsa" + "91" + "x7r2k9w4p1t8", "keyboard row"),
])
def test_a_guessable_cookie_secret_is_refused_saying_why(secret, why):
    problem = sign_in.cookie_secret_problem(secret)
    assert problem is not None and problem.startswith("It is guessable") and why in problem, problem


def test_real_random_secrets_are_all_accepted():
    """The guessability rules are patterns chance almost never makes: 5,000 secrets from each generator the
    README and Streamlit's docs suggest, every one accepted."""
    for make in (lambda: secrets.token_hex(32), lambda: secrets.token_urlsafe(32)):
        refused = [s for s in (make() for _ in range(5000)) if sign_in.cookie_secret_problem(s)]
        assert refused == []


def test_a_run_that_chance_put_in_a_random_secret_does_not_refuse_it():
    # secrets.token_hex(32) gave this in a full test run: '0987654' is the digit row backwards, by chance
    chance = "8090b3d40987654fd61ef700e763d4f5cf079725c8ca275b26b0564337795752"
    assert sign_in.cookie_secret_problem(chance) is None
    # the same run with too little else around it is still a pattern
    assert "keyboard row" in sign_in.cookie_secret_problem("0987654" + chance[:20] + "0987654")


# How long a sign-in lasts --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("claims", "hours", "ends"), [
    ({"iat": NOW, "exp": NOW + 3600}, 12, NOW + 3600),              # the token ends first
    ({"iat": NOW, "exp": NOW + 86400}, 12, NOW + 12 * 3600),        # the limit ends first
    ({"iat": NOW, "exp": NOW + 86400}, 0.5, NOW + 1800),
    ({"exp": NOW + 86400}, 12, NOW + 86400),                         # no iat: the token's expiry alone
    ({"iat": NOW}, 12, NOW + 12 * 3600),                             # no exp: the limit alone
    ({"iat": int(NOW), "exp": int(NOW) + 60}, 12, NOW + 60),         # ints as JSON gives them
    ({"iat": str(int(NOW)), "exp": f" {int(NOW) + 60} "}, 12, NOW + 60),  # strings of digits
    ({"iat": True, "exp": NOW + 60}, 12, NOW + 60),                  # a bool is not a time
    ({"iat": NOW, "exp": "soon"}, 12, NOW + 12 * 3600),
    ({"iat": NOW, "exp": float("nan")}, 12, NOW + 12 * 3600),
])
def test_a_sign_in_ends_at_the_earlier_of_the_token_and_the_limit(claims, hours, ends):
    assert sign_in.session_ends_at({"email": "kate@example.com", **claims}, hours) == ends


@pytest.mark.parametrize("claims", [{}, {"email": "kate@example.com"}, {"iat": None, "exp": None},
                                    {"iat": "yesterday", "exp": [NOW]}, {"iat": False, "exp": True},
                                    {"iat": "1.5e9"}, {"exp": "\u0661\u0662"}])
def test_a_sign_in_that_gives_no_usable_time_has_no_end(claims):
    assert sign_in.session_ends_at(claims, 12) is None


@pytest.mark.parametrize("hours", [0, -1, float("nan"), float("inf"), True, "12"])
def test_a_nonsense_limit_is_an_error_not_an_endless_session(hours):
    with pytest.raises(ValueError, match="max_session_hours must be"):
        sign_in.session_ends_at({"iat": NOW}, hours)


# The verdict ---------------------------------------------------------------------------------------------------

LISTED = roles.parse_roles(KATE_ROLES)


def claims(**extra) -> dict:
    return {"email": "Kate@Example.com", "email_verified": True, "iat": NOW, "exp": NOW + 3600, **extra}


def test_a_fresh_verified_sign_in_gets_its_role():
    assert sign_in.judge(claims(), LISTED, NOW + 10, None) == sign_in.Verdict("kate@example.com", "admin", None)
    assert sign_in.judge(claims(), LISTED, NOW + 10, NOW - 1) == sign_in.Verdict("kate@example.com", "admin", None)


def test_a_fresh_sign_in_of_an_unlisted_address_has_no_role_and_no_refusal():
    verdict = sign_in.judge(claims(email="stranger@example.com"), LISTED, NOW, None)
    assert verdict == sign_in.Verdict("stranger@example.com", None, None)


@pytest.mark.parametrize("given", [None, {}, {"email": "kate@example.com"}, claims(email_verified=False),
                                   claims(email_verified=1), claims(email="kate"), claims(email=KELVIN_KATE)])
def test_no_verified_address_is_unverified(given):
    assert sign_in.judge(given, LISTED, NOW, None) == sign_in.Verdict(None, None, sign_in.UNVERIFIED)


def test_a_missing_email_verified_counts_when_the_roles_file_trusts_it():
    trusting = roles.parse_roles(KATE_ROLES + "[sign_in]\ntrust_missing_email_verified = true\n")
    without = {k: v for k, v in claims().items() if k != "email_verified"}
    assert sign_in.judge(without, LISTED, NOW, None).refusal == sign_in.UNVERIFIED
    assert sign_in.judge(without, trusting, NOW, None) == sign_in.Verdict("kate@example.com", "admin", None)
    assert sign_in.judge(claims(email_verified=False), trusting, NOW, None).refusal == sign_in.UNVERIFIED


def test_a_sign_in_from_before_the_last_sign_out_is_signed_out():
    at_sign_out = sign_in.judge(claims(), LISTED, NOW + 10, NOW)  # iat == signed_out_at counts as before
    assert at_sign_out == sign_in.Verdict("kate@example.com", None, sign_in.SIGNED_OUT)
    assert sign_in.judge(claims(), LISTED, NOW + 10, NOW + 5).refusal == sign_in.SIGNED_OUT
    assert sign_in.judge(claims(iat=NOW + 1), LISTED, NOW + 10, NOW) == sign_in.Verdict("kate@example.com", "admin", None)


def test_a_sign_in_without_iat_after_a_sign_out_counts_as_before_it():
    without_iat = {k: v for k, v in claims().items() if k != "iat"}
    assert sign_in.judge(without_iat, LISTED, NOW, NOW - 1000).refusal == sign_in.SIGNED_OUT
    assert sign_in.judge(without_iat, LISTED, NOW, None) == sign_in.Verdict("kate@example.com", "admin", None)


def test_a_sign_in_ends_at_its_end_exactly():
    assert sign_in.judge(claims(), LISTED, NOW + 3599.999, None).refusal is None
    assert sign_in.judge(claims(), LISTED, NOW + 3600, None) == sign_in.Verdict("kate@example.com", None, sign_in.EXPIRED)
    long_token = claims(exp=NOW + 30 * 86400)
    assert sign_in.judge(long_token, LISTED, NOW + 12 * 3600 - 1, None).refusal is None
    assert sign_in.judge(long_token, LISTED, NOW + 12 * 3600, None).refusal == sign_in.EXPIRED
    short = roles.parse_roles(KATE_ROLES + "[sign_in]\nmax_session_hours = 1\n")
    assert sign_in.judge(long_token, short, NOW + 3600, None).refusal == sign_in.EXPIRED


def test_a_sign_in_issued_in_the_future_is_refused_so_it_cannot_outlast_a_sign_out():
    ahead = claims(iat=NOW + 10 * 365 * 86400, exp=NOW + 10 * 365 * 86400 + 3600)
    assert sign_in.judge(ahead, LISTED, NOW, None).refusal == sign_in.EXPIRED
    assert sign_in.judge(ahead, LISTED, NOW, NOW - 5).refusal == sign_in.EXPIRED
    skewed = claims(iat=NOW + sign_in.CLOCK_SKEW_S - 1)            # a provider clock a little ahead is tolerated
    assert sign_in.judge(skewed, LISTED, NOW, None) == sign_in.Verdict("kate@example.com", "admin", None)


def test_a_sign_in_that_cannot_be_dated_is_expired():
    undated = {"email": "kate@example.com", "email_verified": True}
    assert sign_in.judge(undated, LISTED, NOW, None) == sign_in.Verdict("kate@example.com", None, sign_in.EXPIRED)


def test_the_refusals_come_in_order_unverified_signed_out_expired():
    old = claims(email_verified=False, exp=NOW - 1)
    assert sign_in.judge(old, LISTED, NOW, NOW).refusal == sign_in.UNVERIFIED
    assert sign_in.judge(claims(exp=NOW - 1), LISTED, NOW, NOW).refusal == sign_in.SIGNED_OUT
    assert sign_in.judge(claims(exp=NOW - 1), LISTED, NOW, NOW - 1).refusal == sign_in.EXPIRED
    assert (sign_in.UNVERIFIED, sign_in.SIGNED_OUT, sign_in.EXPIRED) == ("unverified", "signed_out", "expired")


# The command ---------------------------------------------------------------------------------------------------

def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_command_reports_the_sign_in_settings_and_a_usable_secret(tmp_path, capsys):
    roles_file = write(tmp_path / "roles.toml", KATE_ROLES + "[sign_in]\nmax_session_hours = 8\n")
    good = write(tmp_path / "secrets.toml", f'[auth]\ncookie_secret = "{STRONG_SECRET}"\nclient_id = "x"\n')
    assert sign_in.main([str(roles_file), "--secrets", str(good)]) == 0
    out, err = capsys.readouterr()
    assert "2 addresses" in out and "admin (an analyst's pages, plus undoing imports and the settings): " \
                                     "kate@example.com" in out
    assert "a missing email_verified is not trusted" in out and "sessions last at most 8 hours" in out
    assert "cookie_secret: usable" in out
    assert STRONG_SECRET not in out + err and err == ""


def test_the_command_refuses_a_bad_secret_without_printing_it(tmp_path, capsys):
    roles_file = write(tmp_path / "roles.toml", KATE_ROLES + "[sign_in]\ntrust_missing_email_verified = true\n")
    weak = "hunter2hunter2"
    bad = write(tmp_path / "secrets.toml", f'[auth]\ncookie_secret = "{weak}"\n')
    assert sign_in.main([str(roles_file), "--secrets", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert "a missing email_verified is trusted" in out and "sessions last at most 12 hours" in out
    assert "cookie_secret: It is 14 characters long; it needs at least 32." in err
    assert sign_in.MAKE_SECRET in err
    assert weak not in out + err
    placeholder = write(tmp_path / "placeholder.toml", '[auth]\ncookie_secret = "REPLACE-WITH-A-LONG-RANDOM-STRING"\n')
    assert sign_in.main([str(roles_file), "--secrets", str(placeholder)]) == 1
    out, err = capsys.readouterr()
    assert "cookie_secret: It is a placeholder" in err and "REPLACE-WITH-A-LONG-RANDOM-STRING" not in out + err


def test_the_command_without_an_auth_section_says_sign_in_is_not_configured(tmp_path, capsys):
    roles_file = write(tmp_path / "roles.toml", KATE_ROLES)
    plain = write(tmp_path / "secrets.toml", '[database]\npassword = "x"\n')
    assert sign_in.main([str(roles_file), "--secrets", str(plain)]) == 0
    assert f"sign-in: not configured (no [auth] section in {plain})" in capsys.readouterr().out


def test_the_command_finds_the_secrets_file_in_the_working_directory(tmp_path, capsys, monkeypatch):
    roles_file = write(tmp_path / "roles.toml", KATE_ROLES)
    monkeypatch.chdir(tmp_path)
    assert sign_in.main([str(roles_file)]) == 0
    assert "sign-in: not configured" in capsys.readouterr().out
    (tmp_path / ".streamlit").mkdir()
    write(tmp_path / ".streamlit" / "secrets.toml", '[auth]\ncookie_secret = "' + "a" * 40 + '"\n')
    assert sign_in.main([str(roles_file)]) == 1
    out, err = capsys.readouterr()
    assert "cookie_secret: It has only 1 distinct character" in err and "a" * 40 not in out + err


def test_the_command_fails_on_a_missing_or_broken_secrets_file_or_a_bad_roles_file(tmp_path, capsys):
    roles_file = write(tmp_path / "roles.toml", KATE_ROLES)
    assert sign_in.main([str(roles_file), "--secrets", str(tmp_path / "none.toml")]) == 1
    assert "there is no such file" in capsys.readouterr().err
    broken = write(tmp_path / "broken.toml", f'[auth]\ncookie_secret = "{STRONG_SECRET}\n')
    assert sign_in.main([str(roles_file), "--secrets", str(broken)]) == 1
    out, err = capsys.readouterr()
    assert "not valid TOML" in err and STRONG_SECRET not in out + err
    good = write(tmp_path / "good.toml", f'[auth]\ncookie_secret = "{STRONG_SECRET}"\n')
    bad_roles = write(tmp_path / "bad.toml", f'admin = ["{KELVIN_KATE}"]\n')
    assert sign_in.main([str(bad_roles), "--secrets", str(good)]) == 1
    out, err = capsys.readouterr()
    assert "KELVIN SIGN" in err and "cookie_secret: usable" in out
