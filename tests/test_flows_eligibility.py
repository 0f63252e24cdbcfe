"""The self-check as applicants use it alongside other flows (found by hand in the shell)."""

from __future__ import annotations

from tests.harness import Harness


async def test_check_resumes_after_a_detour_through_register(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    await harness.press("专科（高职高专、大专）")
    await harness.send("/register")  # a look at the form, then back to the check
    calls = await harness.send("/check")
    assert "接着回答" in calls.text and "专业" in calls.text
    assert "第2题" in calls.text
