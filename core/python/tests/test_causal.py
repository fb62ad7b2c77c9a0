"""check_causal(): the seeded cuts catch a signal that reads ahead, and pass one that does not."""

import numpy as np

import cyclebt


def test_a_causal_signal_passes_and_one_reading_ahead_is_caught_on_the_first_cut():
    panel = cyclebt.market()
    causal = cyclebt.check_causal(lambda m: m["close"].rolling(20).mean().to_numpy(), panel)
    assert causal and causal.first_difference is None and len(causal.cut_days) == 3
    # Tomorrow's close: on the history cut at t the value of t is missing, so t's value is the
    # first to change, for the earliest cut.
    ahead = cyclebt.check_causal(lambda m: m["close"].shift(-1).to_numpy(), panel)
    assert not ahead
    assert ahead.first_difference == ahead.cut_at == min(ahead.cut_days)
    # Seeded: the same days on every call.
    assert cyclebt.check_causal(lambda m: np.zeros(len(m)), panel).cut_days == causal.cut_days


def test_state_kept_between_calls_is_caught():
    calls = []

    def counting(m):
        calls.append(1)
        return np.full(len(m), float(len(calls)))

    result = cyclebt.check_causal(counting, cyclebt.market())
    assert not result and "state kept between calls" in result.detail
