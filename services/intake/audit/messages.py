"""What the audit tells people: Vietnamese first, then English."""

from __future__ import annotations

from services.intake.audit.diagnose import Damage

KIND_VI = {
    "edited": "sự kiện bị sửa",
    "removed": "sự kiện bị xoá",
    "reordered": "sự kiện bị đảo thứ tự",
    "inserted": "sự kiện bị chèn thêm",
    "truncated": "lịch sử bị cắt bớt phần cuối",
    "rewritten": "lịch sử bị viết lại, không khớp điểm kiểm tra",
    "seal_altered": "dấu niêm phong bị sửa",
    "block_rewritten": "khối sự kiện không khớp dấu niêm phong khối (bị viết lại hoặc dấu bị sửa)",
}


def damage_vi(damage: Damage) -> str:
    return (f"Lịch sử sự kiện đã bị thay đổi tại vị trí {damage.position}: "
            f"{KIND_VI.get(damage.kind, damage.kind)}.")


def damage_en(damage: Damage) -> str:
    return (f"Event history altered at position {damage.position}: {damage.kind} — "
            f"{damage.detail}.")


def intact_vi(sealed: int, unsealed: int) -> str:
    return (f"Lịch sử sự kiện nguyên vẹn: đã kiểm {sealed} vị trí đã niêm phong; "
            f"{unsealed} sự kiện chưa niêm phong.")


def intact_en(sealed: int, unsealed: int) -> str:
    return (f"Event history intact: {sealed} sealed positions checked; "
            f"{unsealed} events not yet sealed.")
