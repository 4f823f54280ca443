"""Digests read in Vietnamese; user text is escaped in HTML and never breaks a header."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from domain.delivery import EMAIL, Delivery
from services.notifier.mailer import compose
from services.notifier.render import render
from services.notifier.settings import Channels, NotifierSettings
from services.notifier.webhook import body, sign

AT = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def item(**over: object) -> dict[str, object]:
    it: dict[str, object] = {
        "alert_id": str(uuid4()), "kind": "hot_spot", "step": "raised",
        "report_kind": "urgent", "report_kind_vi": "báo cáo đột xuất", "period": None,
        "area_name": "Khu phố Đông Côi", "unit_name": "Chi hội CCB Đông Côi",
        "level_unit_name": "Ban Dân vận Thị ủy", "since_vi": "10:00 thứ Năm, 26/11/2026",
        "severity_vi": "khẩn cấp", "missing": [], "hot_spots": [
            {"title": "<b>Tranh chấp</b> & khiếu kiện\r\nBcc: x@y", "severity_vi": "khẩn cấp",
             "category_vi": "đất đai"}]}
    it.update(over)
    return it


def test_a_single_hot_spot_reads_in_vietnamese_and_escapes_in_html():
    message = render({"name": "Nguyễn Văn A", "items": [item()], "base_url": None})
    assert message.subject == "Điểm nóng mức khẩn cấp: Khu phố Đông Côi"
    assert "Kính gửi đồng chí Nguyễn Văn A" in message.text
    assert "<b>Tranh chấp</b> & khiếu kiện" in message.text
    assert "&lt;b&gt;Tranh chấp&lt;/b&gt; &amp; khiếu kiện" in message.html
    assert "<b>Tranh chấp</b>" not in message.html


def test_a_digest_of_several_items_says_how_many_and_of_what():
    overdue = item(kind="overdue", step="escalated", report_kind_vi="báo cáo nhanh hằng tuần",
                   period="2026-W48", missing=[{"cadre_id": "cb", "name": "Trần Văn B"}])
    message = render({"name": "X", "items": [item(), overdue, overdue], "base_url": "http://x"})
    assert message.subject == "[Tình hình] 3 thông báo mới: 1 điểm nóng, 2 quá hạn"
    assert "[CHUYỂN CẤP] Quá hạn báo cáo nhanh hằng tuần kỳ 2026-W48" in message.text
    assert "Chưa gửi: Trần Văn B." in message.text
    assert "http://x" in message.text


def test_an_email_has_one_line_subject_and_the_delivery_as_message_id():
    delivery = Delivery(channel=EMAIL, account_id="a", trigger=["t:1"], alert_ids=["t"],
                        payload={"name": "X", "to": "x@example.org", "base_url": None,
                                 "items": [item(area_name="Đông Côi\r\nBcc: evil@x")]},
                        queued_at=AT)
    msg = compose(delivery, "tinhhinh@example.org")
    assert msg["Message-ID"] == f"<{delivery.id}@tinhhinh>"
    assert "\n" not in str(msg["Subject"]) and msg["Bcc"] is None


def test_webhook_signature_is_hmac_sha256_of_the_exact_body():
    delivery = Delivery(channel="webhook", account_id="a", trigger=["t:1"], alert_ids=["t"],
                        payload={"name": "X", "items": [item()], "base_url": None},
                        queued_at=AT)
    data = body(delivery)
    assert data == body(delivery)
    assert sign("s", data).startswith("sha256=") and sign("s", data) != sign("t", data)


def test_settings_come_from_the_file_then_the_environment(tmp_path: Path):
    (tmp_path / "notifier.toml").write_text(
        '[notifier]\nsmtp_host = "mail.local"\nemail_pattern = "{username}@cc.vn"\n'
        'expected_kinds = ["weekly"]\n[notifier.emails]\n"ld.ccb.ho" = "chutich@ho.vn"\n')
    settings = NotifierSettings.load(tmp_path, environ={"TINHHINH_SMTP_PORT": "2525",
                                                        "NATS_URL": "nats://x:1"})
    assert settings.kinds == ("weekly",) and settings.nats_url == "nats://x:1"
    assert settings.channels.smtp_port == 2525
    assert settings.channels.email_for("ld.ccb.ho") == "chutich@ho.vn"
    assert settings.channels.email_for("cb.a") == "cb.a@cc.vn"
    assert Channels().email_for("cb.a") is None
    with pytest.raises(ValueError):
        NotifierSettings.load(tmp_path, environ={"TINHHINH_NOTIFIER_KINDS": "daily"})


SNAPSHOTS = Path(__file__).parent / "snapshots"
DIGESTS = {
    # Every branch of the three templates: each kind alone, raised and escalated, and a
    # digest of several with and without a link.
    "hot_spot": {"name": "Nguyễn Văn A", "items": [item()], "base_url": None},
    "reminder": {"name": "B", "base_url": "http://x", "items": [item(
        kind="reminder", report_kind_vi="báo cáo tuần", period="2026-W48", hot_spots=[])]},
    "overdue_escalated": {"name": "C", "base_url": None, "items": [item(
        kind="overdue", step="escalated", period="2026-W48", hot_spots=[],
        missing=[{"name": "Trần Văn B"}, {"name": "Lê Thị C"}])]},
    "hot_spot_escalated": {"name": "D", "base_url": None, "items": [item(
        step="escalated", hot_spots=[{"title": "T", "severity_vi": "cao", "category_vi": ""}])]},
    "several": {"name": "E & F", "base_url": "http://x/?a=1&b=2", "items": [
        item(), item(kind="overdue", period="2026-W48", missing=[{"name": "G"}], hot_spots=[]),
        item(kind="reminder", step="escalated", period="2026-11", hot_spots=[])]},
}


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_a_digest_renders_as_its_stored_snapshot(name: str):
    # Given a digest of each shape; when it is rendered; then subject, text and HTML are
    # byte for byte the stored ones (regenerated only deliberately: UPDATE_SNAPSHOTS=1).
    message = render(DIGESTS[name])
    rendered = f"{message.subject}\n---\n{message.text}---\n{message.html}"
    snapshot = SNAPSHOTS / f"notifier_digest_{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_bytes(rendered.encode())
    assert rendered == snapshot.read_bytes().decode()  # bytes: a title keeps its "\r\n"
