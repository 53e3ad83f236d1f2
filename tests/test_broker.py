"""The embedded broker never shows a consumer a message file that is still being written."""

import os

from kombu import Connection

from releasehub import broker


def test_a_message_is_written_under_another_name_and_renamed_into_place(tmp_path, monkeypatch):
    seen_while_writing: list[list[str]] = []
    real_replace = os.replace

    def replace(src, dst):
        seen_while_writing.append(sorted(os.listdir(tmp_path)))
        real_replace(src, dst)

    monkeypatch.setattr(broker.os, "replace", replace)
    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "control_folder": str(tmp_path / "control"),
    }
    with Connection("fsatomic://", transport_options=options) as conn:
        queue = conn.SimpleQueue("schedule")
        queue.put({"action": 7})
        # Before the rename only the partial file exists, and no consumer matches its name.
        assert len(seen_while_writing) == 1
        names = seen_while_writing[0]
        assert any(name.endswith(".schedule.msg.part") for name in names)
        assert not any(name.endswith(".schedule.msg") for name in names)
        message = queue.get(timeout=1)
        assert message.payload == {"action": 7}
        message.ack()
        queue.close()


def test_the_embedded_settings_use_the_atomic_transport(settings):
    if not settings.REDIS_URL:
        assert settings.CELERY_BROKER_URL == "fsatomic://"
