"""How figures read in the reports: the Mayo maxim's infinity, changes against the previous period,
one unit per ratio, the headline sentence, and text that a spreadsheet would run as a formula."""

from __future__ import annotations

import pytest

from reports import formatting as fmt
from reports.queries import GROUP_NAMES, ChannelRow, Totals, headline_sentence


def test_roi_without_investment_is_infinite_only_when_there_is_a_return():
    assert fmt.roi_text(None, 0.0, 800.0) == "\u221e (no spend)"
    assert fmt.roi_text(None, 0.0, 0.0) == "n/a"
    assert fmt.roi_text(1.5, 2000.0, 5000.0) == "150.0%"
    assert fmt.roi_text(-1.0, 300.0, 0.0) == "-100.0%"


@pytest.mark.parametrize(
    ("current", "previous", "lower_is_better", "points", "text", "direction", "arrow"),
    [
        (120.0, 100.0, False, False, "+20.0%", 1, "\u25b2 "),
        (80.0, 100.0, False, False, "\u221220.0%", -1, "\u25bc "),
        # A cost going up is worse even though the figure rose.
        (0.66, 0.60, True, False, "+10.0%", -1, "\u25b2 "),
        (0.54, 0.60, True, False, "\u221210.0%", 1, "\u25bc "),
        # ROI moves in percentage points.
        (5.33, 3.36, False, True, "+197.0 pts", 1, "\u25b2 "),
        (100.0, 100.0, False, False, "unchanged", 0, ""),
        (50.0, 0.0, False, False, "new", 0, ""),
        (None, 3.0, False, True, "no comparison", 0, ""),
        (3.0, None, False, False, "no comparison", 0, ""),
    ],
)
def test_change_against_the_previous_period(current, previous, lower_is_better, points, text, direction, arrow):
    change = fmt.change(current, previous, lower_is_better, points)
    assert (change.text, change.direction, change.arrow) == (text, direction, arrow)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+1 555 0100 call us", "'+1 555 0100 call us"),
        ("-5% off flu shots", "'-5% off flu shots"),
        ("@CedarValleyHlth thanks!", "'@CedarValleyHlth thanks!"),
        ("\tcmd|' /C calc'!A0", "'\tcmd|' /C calc'!A0"),
        ("Flu shots = ten minutes", "Flu shots = ten minutes"),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_evaluate_is_escaped(text, escaped):
    assert fmt.escape_formula(text) == escaped
    assert fmt.is_formula_like(text) == (text != escaped)


def test_ratios_are_null_without_a_denominator_like_the_marts():
    assert fmt.ratio(100.0, 0) is None
    assert fmt.ratio(None, 4) is None
    assert fmt.ratio(100.0, 400) == 0.25
    assert fmt.money(None) == "n/a" and fmt.money(1234.5) == "$1,234.50" and fmt.money(1234.5, cents=False) == "$1,234"
    assert fmt.shorten("a  b\nc " * 20, 12) == "a b c a b c\u2026"


def test_estimates_read_with_their_sign_and_interval_in_one_unit_and_a_dash_when_not_measured():
    assert fmt.with_interval(fmt.signed_percent, -0.2, -0.45, 0.1) == "\u221220% (\u221245% to +10%)"
    assert fmt.with_interval(fmt.count, 1480.4, 1020.0, 1960.2) == "1,480 (1,020 to 1,960)"
    assert fmt.with_interval(fmt.signed_percent, 0.3, None, None) == "+30%"
    assert fmt.with_interval(fmt.signed_percent, None, None, None) == "\u2014"
    assert fmt.signed_percent(None) == fmt.signed_count(None) == "\u2014"
    # Nothing has no sign: not +0%, nor a minus zero from a rounded -0.2%.
    assert fmt.signed_percent(-0.002) == "0%" and fmt.signed_count(0.04, 1) == "0.0"
    assert fmt.signed_count(-1.44, 1) == "\u22121.4" and fmt.signed_count(2100.0) == "+2,100"


def test_roas_reads_as_a_multiple_and_an_unmeasured_count_as_a_dash():
    assert fmt.multiple(10.5948) == "10.6\u00d7" and fmt.multiple(0.04) == "0.0\u00d7"
    assert fmt.multiple(1234.5) == "1,234.5\u00d7" and fmt.multiple(None) == "n/a"
    assert fmt.count(None) == "\u2014" and fmt.count(0) == "0" and fmt.count(12817.0) == "12,817"


def group(key: str, **figures) -> ChannelRow:
    return ChannelRow(key, GROUP_NAMES[key], key, Totals(**figures))


SOCIAL = group("organic_social", investment=2000.0, impressions=100_000, conversions=10, conversion_value=500.0)
PAID = group("paid_social", investment=2000.0, impressions=300_000, conversions=30, conversion_value=9000.0)
TRADITIONAL = group("traditional", investment=20000.0, impressions=400_000, conversions=100, conversion_value=1.0)


@pytest.mark.parametrize(
    ("groups", "sentence"),
    [
        (
            [SOCIAL, PAID, TRADITIONAL],
            "Social's 400,000 impressions cost $10.00 per thousand, 20% of traditional's $50.00; its 40 conversions "
            "cost $100.00 each, 50% of traditional's $200.00.",
        ),
        # One social group names itself; the more expensive side reads as a multiple.
        (
            [SOCIAL, group("traditional", investment=1000.0, impressions=500_000, conversions=10)],
            "Organic social's 100,000 impressions cost $20.00 per thousand, 10.0\u00d7 traditional's $2.00; its 10 "
            "conversions cost $200.00 each, 2.0\u00d7 traditional's $100.00.",
        ),
        # No traditional group (a social-only filter): no comparison.
        ([PAID], "Paid social's 300,000 impressions cost $6.67 per thousand; its 30 conversions cost $66.67 each."),
        # Impressions not measured: the outcome alone.
        (
            [group("organic_social", investment=500.0, conversions=5), TRADITIONAL],
            "Organic social's 5 conversions cost $100.00 each, 50% of traditional's $200.00.",
        ),
        # Only traditional had activity.
        (
            [group("organic_social"), TRADITIONAL],
            "Traditional's 400,000 impressions cost $50.00 per thousand; its 100 conversions cost $200.00 each.",
        ),
        # I = 0: conversions without investment.
        (
            [group("organic_social", conversions=3, conversion_value=90.0)],
            "Organic social's 3 conversions came with no spend.",
        ),
        (
            [group("organic_social", investment=800.0, media_spend=800.0)],
            "Organic social invested $800; nothing measured impressions or conversions.",
        ),
        ([], None),
    ],
)
def test_the_headline_sentence_follows_the_numbers_that_were_measured(groups, sentence):
    assert headline_sentence(groups) == sentence


def test_totals_add_clicks_only_where_measured_and_never_add_reach():
    measured = Totals(investment=10.0, clicks=4, peak_reach=900)
    unmeasured = Totals(investment=5.0, peak_reach=1200)
    total = measured + unmeasured
    assert (total.investment, total.clicks, total.peak_reach) == (15.0, 4, 1200)
    assert (unmeasured + unmeasured).clicks is None and Totals().peak_reach is None
    assert total.cost_per_thousand_reached == 12.5 and Totals(investment=3.0).cost_per_thousand_reached is None
