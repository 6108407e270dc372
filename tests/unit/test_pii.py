"""PII detector (NBSEC-PRIV-001) and the HTML table reader it relies on.

Values are built at run time (checksums computed here), so the repository holds no
personal-data-shaped literals beyond the well-known published test values.
"""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbsec.model import Confidence, Severity
from nbsec.scanners.notebook.detectors import Match, TextContext
from nbsec.scanners.notebook.html_tables import MAX_CELLS, TableCell, iter_table_cells, text_of_html
from nbsec.scanners.notebook.pii import (
    CARD,
    EMAIL,
    IBAN,
    IP,
    PHONE,
    SSN,
    column_hints,
    find_pii,
    iban_ok,
    luhn_ok,
)

OUTPUT = TextContext("output-stream", mime="text/plain")
CODE = TextContext("code")
MARKDOWN = TextContext("markdown")
RNG = random.Random(20240131)


def found(text: str, context: TextContext = OUTPUT) -> list[Match]:
    return list(find_pii(text, context))


def kinds(text: str, context: TextContext = OUTPUT) -> list[tuple[str, str]]:
    return [(m.kind, m.value) for m in find_pii(text, context)]


# --- builders: valid values with their checksums computed here ------------------------------------


def luhn_complete(partial: str) -> str:
    """`partial` plus the check digit that makes it Luhn-valid."""
    for digit in "0123456789":
        if luhn_ok(partial + digit):
            return partial + digit
    raise AssertionError("unreachable")


def card(prefix: str, length: int) -> str:
    body = prefix + "".join(RNG.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return luhn_complete(body)


def grouped(digits: str, sizes: list[int], sep: str = " ") -> str:
    out, at = [], 0
    for size in sizes:
        out.append(digits[at : at + size])
        at += size
    return sep.join(out)


def iban(country: str, bban: str) -> str:
    """An IBAN with correct check digits for `bban`."""
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def spaced(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def email(local: str = "jane.doe", domain: str = "acme-corp.io") -> str:
    return local + "@" + domain


# --- email ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [email(), email("j.smith+news", "mail.uni-heidelberg.de"), email("o_brien", "corp.co.uk"), email("x1", "a.museum")],
)
def test_email_found(value: str) -> None:
    text = f"contact: {value}, thanks"
    [match] = found(text)
    assert (match.kind, match.value) == (EMAIL, value)
    assert text[match.start : match.end] == value
    assert match.severity is Severity.MEDIUM


@pytest.mark.parametrize(
    "text",
    [
        "send to " + email("bob", "example.com"),
        "send to " + email("bob", "mail.example.org"),
        "from " + email("noreply", "github.com"),
        "from " + email("no-reply", "accounts.google.com"),
        "user@localhost",
        "git clone " + email("git", "github.com") + ":org/repo.git",
        "ssh://" + email("deploy", "build.corp.com") + "/srv/repo",
        "https://user:pw@" + "db.corp.com/x",
        "npm install left-pad@1.3.0 and @types/node@20.1.2",
        'background: url("icon@2x.png") and logo@3x.webp',
        "@property\ndef name(self): ...",
        "attn = q@k.transpose(-2, -1)",
        "y = x@self.proj",
        "https://medium.com/@jane.doe/post",
        email("a", "b.c"),  # one-letter top-level domain
    ],
)
def test_email_look_alikes_not_found(text: str) -> None:
    assert [k for k, _ in kinds(text, CODE)] == []


def test_mailto_link_is_an_address() -> None:
    assert kinds("[mail me](mailto:" + email() + ")", MARKDOWN) == [(EMAIL, email())]


# --- phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "+44 20 7946 0958",
        "+44 (0) 20 7946 0958",
        "+1 415-555-2671",
        "+14155552671",
        "+49 30 901820",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        "1-415-555-2671",
        "020 7946 0958",
        "06 12 34 56 78",
        "030 12345678",
        "030/12345678",
    ],
)
def test_phone_found(value: str) -> None:
    text = f"call {value} today"
    assert kinds(text) == [(PHONE, value)]


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-31",
        "2024-01-31 12:30:45 INFO started",
        "31.01.2024",
        "version 1.2.3.4",
        "torch==2.1.0 numpy==1.26.4",
        "order id 1234567890123",  # long id without separators
        "timestamp 1706659200",
        "[123 456 789 101 202]",  # a printed integer array
        "[0.12 0.34 0.56 0.78 0.91]",
        "order 123-456-7890",  # area code 123 cannot exist (NANP)
        "loss 0.1234 - acc 0.9876 - val_loss 0.2345",
        "550e8400-e29b-41d4-a716-446655440000",
        "3f786850e387550fdab836ed7e6dc881de23001b",
        "shape (3, 224, 224) -> 150528",
    ],
)
def test_phone_look_alikes_not_found(text: str) -> None:
    assert kinds(text) == []


def test_plain_digits_are_a_phone_only_in_a_phone_column() -> None:
    assert kinds("4155552671", OUTPUT) == []
    column = TextContext("output-html", mime="text/html", column="mobile_number")
    [match] = found("4155552671", column)
    assert match.kind == PHONE and match.confidence is Confidence.HIGH


# --- US social security numbers -------------------------------------------------------------------


def ssn() -> str:
    area = RNG.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{RNG.randint(1, 99):02d}-{RNG.randint(1, 9999):04d}"


def test_ssn_found() -> None:
    for _ in range(50):
        value = ssn()
        [match] = found(f"SSN: {value}.")
        assert (match.kind, match.value, match.severity) == (SSN, value, Severity.HIGH)


@pytest.mark.parametrize(
    "value",
    ["000-12-3456", "666-12-3456", "900-12-3456", "987-65-4321", "123-00-4567", "123-45-0000", "078-05-1120"],
)
def test_invalid_ssn_not_found(value: str) -> None:
    assert kinds(f"SSN: {value}") == []


@pytest.mark.parametrize("text", ["id 1123-45-6789", "x 123-45-67890", "v123-45-6789", "0.123-45-6789", "12-345-6789"])
def test_ssn_inside_longer_runs_not_found(text: str) -> None:
    assert [k for k, _ in kinds(text)] == []


def test_ssn_placeholder_is_low_confidence() -> None:
    [match] = found("ssn = 123-45-6789")
    assert match.kind == SSN and match.confidence is Confidence.LOW


def test_plain_ssn_only_in_an_ssn_column() -> None:
    digits = ssn().replace("-", "")
    assert kinds(digits) == []
    assert [k for k, _ in kinds(digits, TextContext("output-html", column="SSN"))] == [SSN]


# --- payment cards --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "length", "sizes"),
    [
        ("45", 16, [4, 4, 4, 4]),  # Visa
        ("53", 16, [4, 4, 4, 4]),  # Mastercard 51-55
        ("2431", 16, [4, 4, 4, 4]),  # Mastercard 2221-2720
        ("37", 15, [4, 6, 5]),  # Amex
        ("6011", 16, [4, 4, 4, 4]),  # Discover
        ("3541", 16, [4, 4, 4, 4]),  # JCB
        ("6212", 19, [4, 4, 4, 4, 3]),  # UnionPay
    ],
)
def test_card_found(prefix: str, length: int, sizes: list[int]) -> None:
    digits = card(prefix, length)
    for value in (grouped(digits, sizes), grouped(digits, sizes, "-")):
        [match] = found(f"card {value} exp 12/27")
        assert (match.kind, match.value, match.severity) == (CARD, value, Severity.HIGH)
        assert match.confidence is Confidence.HIGH  # in an output


def test_unseparated_card_is_lower_confidence_unless_the_column_says_card() -> None:
    digits = card("45", 16)
    [plain] = found(f"token {digits}", CODE)
    assert plain.kind == CARD and plain.confidence is Confidence.LOW
    [cell] = found(digits, TextContext("output-html", column="cc_number"))
    assert cell.confidence is Confidence.HIGH


def test_test_cards_are_reported_at_low_confidence() -> None:
    for value in ("4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005"):
        [match] = found(f"pay with {value}", TextContext("output-html", column="card"))
        assert match.kind == CARD and match.confidence is Confidence.LOW


def test_card_look_alikes_not_found() -> None:
    digits = card("45", 16)
    bad = digits[:-1] + str((int(digits[-1]) + 1) % 10)  # Luhn broken
    texts = [
        grouped(bad, [4, 4, 4, 4]),
        "4444 4444 4444 4444",  # one digit repeated
        grouped(luhn_complete("99" + "1" * 13), [4, 4, 4, 4]),  # no known IIN
        f"0.{digits}",  # decimals of a float
        f"{digits}.5",
        f"1{digits}",  # inside a longer number
        "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6",  # a printed array
        grouped(digits, [2, 7, 7]),  # no card is grouped like that
    ]
    for text in texts:
        assert [k for k, _ in kinds(text)] == [], text


# --- IBAN -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "bban"),
    [
        ("DE", "".join(RNG.choice(string.digits) for _ in range(18))),
        ("GB", "NWBK" + "".join(RNG.choice(string.digits) for _ in range(14))),
        ("FR", "".join(RNG.choice(string.digits) for _ in range(21)) + "M0"),
        ("NL", "ABNA" + "".join(RNG.choice(string.digits) for _ in range(10))),
        ("NO", "".join(RNG.choice(string.digits) for _ in range(11))),
    ],
)
def test_iban_found_compact_and_spaced(country: str, bban: str) -> None:
    value = iban(country, bban)
    assert iban_ok(value)
    for shown in (value, spaced(value)):
        [match] = found(f"IBAN: {shown} EUR")
        assert (match.kind, match.value, match.severity) == (IBAN, shown, Severity.HIGH)


def test_well_known_example_ibans_are_low_confidence() -> None:
    for value in ("GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00"):
        [match] = found(value)
        assert (match.kind, match.value, match.confidence) == (IBAN, value, Confidence.LOW)


def test_iban_look_alikes_not_found() -> None:
    good = iban("DE", "370400440532013001")
    bad_check = good[:2] + f"{(int(good[2:4]) + 1) % 100:02d}" + good[4:]
    texts = [
        bad_check,
        spaced(bad_check),
        good[:-1],  # too short for DE
        iban("ZZ", "12345678901234"),  # no such country
        "AB12CDEF34567890",
    ]
    for text in texts:
        assert [k for k, _ in kinds(text)] == [], text


def test_iban_followed_by_a_word_ends_at_its_length() -> None:
    value = iban("BE", "539007547035")  # 16 characters: the next 4-letter word must not be swallowed
    [match] = found(f"{spaced(value)} CODE")
    assert match.value == spaced(value)


# --- IP addresses ---------------------------------------------------------------------------------


def test_public_ip_found_private_ip_low() -> None:
    assert kinds("client 81.2.69.142 connected") == [(IP, "81.2.69.142")]
    [private] = found("host 192.168.10.24:8888")
    assert (private.kind, private.severity) == (IP, Severity.LOW)
    assert private.confidence is Confidence.MEDIUM  # low, up one step in an output
    [code] = found("HOST = '10.20.30.40'", CODE)
    assert code.confidence is Confidence.LOW


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "netmask 255.255.255.0",
        "version 1.2.3.4",
        "1.2.3.4",
        "pkg==10.2.1.3",
        "release: 20.1.0.15",
        "oid 1.3.6.1.4.1",
        "256.1.2.3",
        "01.02.03.04",
        "169.254.10.1",
        "224.0.0.251",
        "dns 8.8.8.8",
        "doc 203.0.113.7",
        "v10.2.3.4",
    ],
)
def test_ip_look_alikes_not_found(text: str) -> None:
    assert kinds(text) == []


# --- confidence and context -----------------------------------------------------------------------


def test_output_raises_confidence_and_documentation_lowers_it() -> None:
    value = email()
    assert found(value, OUTPUT)[0].confidence is Confidence.HIGH
    assert found(f"owner = '{value}'", CODE)[0].confidence is Confidence.MEDIUM
    assert found(f"Use the format e.g. {value}", MARKDOWN)[0].confidence is Confidence.LOW


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("email", EMAIL),
        ("E-mail", EMAIL),
        ("workEmail", EMAIL),
        ("contact / email", EMAIL),
        ("phone_number", PHONE),
        ("Mobile", PHONE),
        ("tel", PHONE),
        ("SSN", SSN),
        ("social_security_no", SSN),
        ("cc_number", CARD),
        ("CreditCardNumber", CARD),
        ("iban", IBAN),
        ("client_ip", IP),
        ("ip_address", IP),
    ],
)
def test_column_hints(column: str, kind: str) -> None:
    assert kind in column_hints(column)


@pytest.mark.parametrize("column", [None, "", "amount", "zip", "cardinality", "company", "classname", "cell_id"])
def test_columns_that_are_not_pii(column: str | None) -> None:
    assert column_hints(column) == frozenset()


def test_pii_column_boosts_confidence() -> None:
    value = email()
    assert found(value, CODE)[0].confidence is Confidence.MEDIUM
    assert found(value, TextContext("code", column="customer_email"))[0].confidence is Confidence.HIGH


def test_overlapping_candidates_keep_the_strongest_kind() -> None:
    value = iban("DE", "370400440532013001")
    assert [k for k, _ in kinds(spaced(value))] == [IBAN]  # its digit groups are not also a phone


# --- HTML tables ----------------------------------------------------------------------------------

ALICE, BOB = email("alice.w", "corp-mail.io"), email("bob.k", "corp-mail.io")

# The way pandas renders DataFrame._repr_html_() for columns name/email/phone/amount.
DATAFRAME_HTML = f"""<div>
<style scoped>
    .dataframe tbody tr th:only-of-type {{
        vertical-align: middle;
    }}

    .dataframe tbody tr th {{
        vertical-align: top;
    }}

    .dataframe thead th {{
        text-align: right;
    }}
</style>
<table border="1" class="dataframe">
  <thead>
    <tr style="text-align: right;">
      <th></th>
      <th>name</th>
      <th>email</th>
      <th>phone</th>
      <th>amount</th>
    </tr>
  </thead>
  <tbody>
    <tr>
      <th>0</th>
      <td>Alice W&amp;ng</td>
      <td>{ALICE}</td>
      <td>+1 415-555-2671</td>
      <td>12.50</td>
    </tr>
    <tr>
      <th>1</th>
      <td>Bob K</td>
      <td>{BOB}</td>
      <td>(212) 555-0143</td>
      <td>1234567.25</td>
    </tr>
  </tbody>
</table>
<p>2 rows × 4 columns</p>
</div>"""


def test_dataframe_cells_have_row_column_and_name() -> None:
    cells = list(iter_table_cells(DATAFRAME_HTML))
    data = {(c.row, c.column): c for c in cells if c.row >= 0}
    assert data[(0, 1)] == TableCell(table=0, row=0, column=1, column_name="email", text=ALICE)
    assert data[(1, 2)].column_name == "phone" and data[(1, 2)].text == "(212) 555-0143"
    assert data[(0, 0)].text == "Alice W&ng"  # entities decoded
    assert data[(1, 3)] == TableCell(table=0, row=1, column=3, column_name="amount", text="1234567.25")
    assert data[(1, -1)] == TableCell(table=0, row=1, column=-1, column_name="index", text="1")
    headers = [c.text for c in cells if c.row < 0]
    assert headers == ["name", "email", "phone", "amount"]
    assert all(c.column_name is None for c in cells if c.row < 0)


def test_dataframe_pii_found_per_cell_with_column_boost() -> None:
    hits = []
    for cell in iter_table_cells(DATAFRAME_HTML):
        context = TextContext("output-html", mime="text/html", column=cell.column_name)
        hits += [(cell.row, cell.column_name, m.kind, m.confidence) for m in find_pii(cell.text, context)]
    assert hits == [
        (0, "email", EMAIL, Confidence.HIGH),
        (0, "phone", PHONE, Confidence.HIGH),
        (1, "email", EMAIL, Confidence.HIGH),
        (1, "phone", PHONE, Confidence.HIGH),
    ]


def test_multiindex_header_names_are_joined_and_index_levels_named() -> None:
    html = """<table border="1" class="dataframe">
  <thead>
    <tr><th></th><th></th><th colspan="2" halign="left">contact</th><th>amount</th></tr>
    <tr><th></th><th></th><th>email</th><th>phone</th><th></th></tr>
    <tr><th>country</th><th>city</th><th></th><th></th><th></th></tr>
  </thead>
  <tbody>
    <tr><th rowspan="2" valign="top">UK</th><th>London</th><td>a</td><td>b</td><td>1.5</td></tr>
    <tr><th>Leeds</th><td>c</td><td>d</td><td>2.5</td></tr>
  </tbody>
</table>"""
    cells = {(c.row, c.column): c for c in iter_table_cells(html) if c.row >= 0}
    assert cells[(1, 1)].column_name == "contact / phone" and cells[(1, 1)].text == "d"
    assert cells[(0, 0)].column_name == "contact / email"
    assert cells[(1, 2)].column_name == "amount"
    assert cells[(0, -2)].column_name == "country" and cells[(0, -2)].text == "UK"
    assert cells[(1, -1)].column_name == "city" and cells[(1, -1)].text == "Leeds"
    assert (1, -2) not in cells  # the rowspan cell is yielded once, where it starts


def test_named_index_gives_the_index_column_its_name() -> None:
    html = """<table border="1" class="dataframe">
  <thead>
    <tr style="text-align: right;"><th></th><th>email</th></tr>
    <tr><th>customer_id</th><th></th></tr>
  </thead>
  <tbody>
    <tr><th>C-17</th><td>x</td></tr>
    <tr></tr>
  </tbody>
</table>"""
    cells = [(c.row, c.column, c.column_name, c.text) for c in iter_table_cells(html)]
    assert cells == [
        (-2, 0, None, "email"),
        (-1, -1, None, "customer_id"),
        (0, -1, "customer_id", "C-17"),
        (0, 0, "email", "x"),
    ]


def test_spans_unclosed_tags_and_nested_tables() -> None:
    html = (
        "<table><tr><th>a<th>b<th>c"
        "<tr><td colspan=2>wide<td>x"
        "<tr><td>y<td>z<table><tr><td>inner</table>tail<td>w"
        "</table><table><tr><td>second"
    )
    cells = list(iter_table_cells(html))
    outer = {(c.row, c.column): (c.column_name, c.text) for c in cells if c.table == 0 and c.row >= 0}
    assert outer == {
        (0, 0): ("a", "wide"),
        (0, 2): ("c", "x"),
        (1, 0): ("a", "y"),
        (1, 1): ("b", "z tail"),  # the nested table's text is not part of the outer cell
        (1, 2): ("c", "w"),
    }
    assert [(c.table, c.text) for c in cells if c.table > 0] == [(1, "inner"), (2, "second")]


def test_table_without_headers_has_no_column_names() -> None:
    cells = list(iter_table_cells("<TABLE><TR><TD>1</TD><TD>2</TD></TR></TABLE>"))
    assert [(c.row, c.column, c.column_name, c.text) for c in cells] == [(0, 0, None, "1"), (0, 1, None, "2")]


def test_cell_budget_stops_the_parse() -> None:
    html = "<table>" + "<tr><td>1</td></tr>" * 50 + "</table>"
    assert len(list(iter_table_cells(html, max_cells=10))) == 10
    big = "<table>" + "<tr><td>x</td></tr>" * (MAX_CELLS + 10) + "</table>"
    assert len(list(iter_table_cells(big))) == MAX_CELLS


def test_huge_spans_are_bounded() -> None:
    html = "<table>" + '<tr><td colspan="1000" rowspan="65534">x</td></tr>' * 200 + "<tr><td>y</td></tr></table>"
    cells = list(iter_table_cells(html))
    assert cells[-1].text == "y"


@pytest.mark.timeout(60)  # unguarded, the stdlib parser needs minutes here (quadratic on open constructs)
@pytest.mark.parametrize("unit", ["<a", "</a", "<!--", "<!--a>", "<!doctype", "<?", "<![x"])
def test_open_constructs_at_the_end_do_not_make_the_parse_quadratic(unit: str) -> None:
    html = "<table><tr><td>" + ALICE + "</td></tr></table>" + unit * 300_000
    assert [c.text for c in iter_table_cells(html)] == [ALICE]
    assert ALICE in text_of_html(html)


def test_text_of_html_drops_scripts_and_keeps_values_apart() -> None:
    html = (
        "<div><p>Owner: <b>Jane</b></p><script>var k = 'x@y.io'</script><style>p{}</style>"
        f"<table><tr><td>{ALICE}</td><td>{BOB}</td></tr></table><p>end</p></div>"
    )
    text = text_of_html(html)
    assert "Owner: Jane" in text and "var k" not in text and "p{}" not in text
    assert [m.value for m in find_pii(text, OUTPUT)] == [ALICE, BOB]
    outside = text_of_html(html, include_tables=False)
    assert ALICE not in outside and "end" in outside


def test_html_without_tags_is_returned_as_is() -> None:
    assert text_of_html("plain text") == "plain text"
    assert list(iter_table_cells("plain text")) == []


# --- robustness -----------------------------------------------------------------------------------

PII_ALPHABET = st.sampled_from(list("0123456789 -.+()@/:_ABEGaeioxz\n\t") + ["\u00e9", "\u0663", "\ud800"])
PII_TEXT = st.one_of(st.text(max_size=300), st.text(PII_ALPHABET, max_size=300))
PARTS = st.sampled_from(["code", "markdown", "output-stream", "output-html", "metadata"])
COLUMNS = st.one_of(st.none(), st.sampled_from(["email", "phone", "ssn", "cc_number", "amount"]), st.text(max_size=20))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=PII_TEXT, part=PARTS, column=COLUMNS)
def test_find_pii_never_raises_and_spans_are_exact(text: str, part: str, column: str | None) -> None:
    matches = list(find_pii(text, TextContext(part, column=column)))
    for match in matches:
        assert text[match.start : match.end] == match.value
        assert match.confidence is not None and match.severity is not None
    for first, second in zip(matches, matches[1:], strict=False):
        assert first.end <= second.start  # in text order, never overlapping


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.sampled_from([email(), "+44 20 7946 0958", "81.2.69.142", spaced(iban("DE", "370400440532013001"))]))
def test_values_are_found_inside_arbitrary_text(value: str) -> None:
    text = f"a {value} b"
    assert [m.value for m in find_pii(text, OUTPUT)] == [value]


HTML_PIECES = st.sampled_from(
    [
        "<table>",
        "</table>",
        "<tr>",
        "</tr>",
        "<td>",
        "</td>",
        "<th>",
        "</th>",
        "<thead>",
        "</thead>",
        "<tbody>",
        '<td colspan="3">',
        '<th rowspan="2">',
        '<td rowspan="0" colspan="-1">',
        '<td colspan="99999999999">',
        "<script>",
        "</script>",
        "<![CDATA[x]]>",
        "<![if !x]>",
        "<![ ]]>",
        "<!--",
        "-->",
        "<!DOCTYPE html>",
        "&amp;",
        "&#0;",
        "&#x110000;",
        "<br/>",
        "<",
        ">",
        "x",
        "a@b.io",
    ]
)
HTML_TEXT = st.one_of(
    st.text(max_size=300), st.lists(st.one_of(HTML_PIECES, st.text(max_size=5)), max_size=60).map("".join)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(html=HTML_TEXT)
def test_html_readers_never_raise(html: str) -> None:
    for cell in iter_table_cells(html):
        assert cell.table >= 0 and cell.text == cell.text.strip() and cell.text
    assert isinstance(text_of_html(html), str)
    assert isinstance(text_of_html(html, include_tables=False), str)
